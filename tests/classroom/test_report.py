"""tightrope report: a class's saves summarised."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from game.classroom.report import build_report, collect, to_csv, to_html, to_markdown
from game.engine import replay
from game.saves import write_save
from game.story import load_story
from game.story.text import word_count

from .conftest import CLASS, STARTER, edit, load, play_classroom, run_cli


def saves_in(folder: Path) -> list[dict]:
    return [load(p) for p in sorted(folder.rglob("*.json")) if not p.name.endswith(".transcript.json")]


def test_report_over_a_folder_with_a_corrupt_save(class_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = saves_in(class_copy)
    (class_copy / "corrupt.json").write_text('{"format_version": 2, "story": ')
    code, out, err = run_cli(["report", str(class_copy), "--story", str(STARTER)], capsys)
    assert code == 0
    story = load_story(STARTER)
    assert f"**{len(CLASS)} students** counted" in out

    # ending distribution: every row matches the saves
    endings = Counter(d["ending"] for d in expected)
    assert len(endings) >= 3  # the fixture class reaches several endings, so the counts mean something
    section = out[out.index("## Endings") : out.index("## Key decisions")]
    for eid, ending in story.endings.items():
        assert re.search(rf"\| {re.escape(ending.title)} \| {endings.get(eid, 0)} \|", section), ending.title
    if endings.get(None):
        assert f"| Not finished | {endings[None]} |" in section

    # per-decision counts at the key decision
    chosen = Counter(d["history"][0]["choice"] for d in expected)
    node = story.nodes[story.start]
    section = out[out.index("## Key decisions") : out.index("## Average meter paths")]
    assert f"Reached by {len(expected)} students" in section
    for c in node.choices:
        assert re.search(rf"\| {re.escape(c.text)} \| {chosen.get(c.id, 0)} \|", section), c.text

    # the corrupt file is named, on the page and on standard error
    assert "corrupt.json" in out[out.index("## Not counted") :]
    assert "corrupt.json: the file is damaged or incomplete" in err and "There is no backup copy beside it." in err
    assert "JSON" not in err and ":1:" not in err  # a teacher's words, not a parser's


def test_average_meter_path_compares_like_with_like(class_folder: Path) -> None:
    """Each point averages the students where they stood at the same place: the start, a key scene, the end."""
    story = load_story(STARTER)
    games, _ = collect([class_folder], story)
    report = build_report(story, games, [])
    saves = saves_in(class_folder)
    key_nodes = [n.id for n in story.nodes.values() if n.key]
    assert [p.node for p in report.paths] == ["", *key_nodes, "(end)"]
    for point in report.paths:
        if point.node == "":
            rows = [s["start_meters"] for s in saves]
        elif point.node == "(end)":
            rows = [s["meters"] for s in saves if s["ending"] is not None]
        else:
            rows = []
            for s in saves:
                i = next((i for i, e in enumerate(s["history"]) if e["node"] == point.node), None)
                if i is not None:  # the meters as the student faced the decision
                    rows.append(s["start_meters"] if i == 0 else s["history"][i - 1]["meters"])
        assert point.games == len(rows) > 0
        for m in story.meters:
            assert point.average[m.id] == pytest.approx(sum(r[m.id] for r in rows) / len(rows), abs=0.05)


def test_rationales_for_discussion_come_from_the_saves(class_folder: Path) -> None:
    story = load_story(STARTER)
    games, _ = collect([class_folder], story)
    report = build_report(story, games, [])
    written = {s["player"]: s["history"][0]["rationale"] for s in saves_in(class_folder)}
    quoted = [q for d in report.decisions for c in d.choices for q in c.rationales]
    assert quoted
    for q in quoted:
        assert written[q.student] == q.text
    # each choice someone took has a quote
    for d in report.decisions:
        for c in d.choices:
            assert bool(c.rationales) == (c.count > 0)


def test_anonymous_hides_names_and_files(class_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (class_copy / "broken.json").write_text("[]")
    for fmt in ("md", "html", "csv"):
        code, out, err = run_cli(["report", str(class_copy), "--anonymous", "--format", fmt, "--story", str(STARTER)], capsys)
        assert code == 0
        for name, _, _ in CLASS:
            assert name not in out and name.replace(" ", "-") not in out
        assert "broken.json" not in out and "broken.json" in err
        numbers = sorted(set(re.findall(r"Student (\d+)", out)))
        assert sorted(map(int, numbers)) == list(range(1, len(CLASS) + 1))


def test_csv_gradebook(class_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["report", str(class_folder), "--format", "csv", "--story", str(STARTER)], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    saves = {s["player"]: s for s in saves_in(class_folder)}
    assert sorted(r["student"] for r in rows) == sorted(saves)
    story = load_story(STARTER)
    for r in rows:
        s = saves[r["student"]]
        rationales = [e["rationale"] for e in s["history"] if e["rationale"]]
        assert int(r["decisions"]) == len(s["history"])
        assert int(r["rationale_count"]) == len(rationales)
        assert int(r["rationale_words"]) == sum(word_count(x) for x in rationales)
        assert r["ending"] == (s["ending"] or "")
        assert r["file"].endswith(".json")
        for m in story.meters:
            assert int(r[f"final_{m.id}"]) == s["meters"][m.id]


def test_csv_cells_cannot_be_formulas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    play_classroom(tmp_path, "=HYPERLINK(1)", 1, ["3", "A reason that is long enough to be accepted by the game."])
    code, out, _ = run_cli(["report", str(tmp_path), "--format", "csv", "--story", str(STARTER)], capsys)
    assert code == 0
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["student"] == "'=HYPERLINK(1)"


def test_html_report_has_charts_and_escapes(class_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    play_classroom(class_copy, "<script>x</script>", 2, ["1", "<img src=x onerror=alert(1)> is my reason, long enough."])
    out = tmp_path / "r.html"
    code, printed, _ = run_cli(["report", str(class_copy), "--format", "html", "-o", str(out), "--story", str(STARTER)], capsys)
    assert code == 0 and str(out) in printed
    page = out.read_text()
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    story = load_story(STARTER)
    keys = [n for n in story.nodes.values() if n.key]
    svgs = re.findall(r"<svg viewBox.*?</svg>", page, re.S)
    bars = [s for s in svgs if '<rect x="4"' in s]
    lines = [s for s in svgs if "<polyline" in s]
    assert len(bars) == 1 + len(keys)  # endings + one per key decision
    assert len(re.findall(r'<rect x="4"', bars[0])) == len(story.endings) + 1  # + "Not finished"
    assert len(lines) == 1 and len(re.findall("<polyline", lines[0])) == len(story.meters)
    assert "@media print" in page
    tags = " ".join(re.findall(r"<[^>]+>", page))
    assert not re.search(r"""\b(src|href)\s*=|url\(""", tags, re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "<script>x</script>" in text  # the name is shown, as text


def test_saves_from_another_story_version_are_listed_not_counted(
    class_copy: Path, story_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a newer story version in which the first scene's "wait" choice was removed
    story_dir = story_copy
    edit(story_dir / "story.yaml", 'version: "0.1.0"', 'version: "0.2.0"')
    nodes = story_dir / "nodes.yaml"
    text = nodes.read_text()
    start = text.index("      - id: wait")
    end = text.index("  - id: the_street")
    nodes.write_text(text[:start] + text[end:])
    # and a save from a different story altogether
    other = tmp_path / "other"
    shutil.copytree(STARTER, other)
    edit(other / "story.yaml", "id: starter", "id: elsewhere")
    play_classroom(class_copy, "Gus O", 1, ["1", "A reason long enough for the classroom mode minimum."], story=other)

    code, out, err = run_cli(["report", str(class_copy), "--story", str(story_dir)], capsys)
    assert code == 0
    saves = saves_in(class_copy)
    waited = [s["player"] for s in saves if s["history"][0]["choice"] == "wait"]
    assert waited  # the fixture class has someone who chose "wait"
    not_counted = out[out.index("## Not counted") :]
    assert not_counted.count("from story version 0.1.0") == len(waited)
    assert 'from another story ("elsewhere", not "starter")' in not_counted.replace("\\", "")
    counted = len(saves) - len(waited) - 1
    assert f"**{counted} students** counted" in out
    assert err.count("not counted") == len(waited) + 1


def test_one_game_per_student_and_nested_folders(class_copy: Path, tmp_path: Path) -> None:
    # per-player sub-folders, as tightrope serve keeps them
    nested = tmp_path / "served"
    for save in class_copy.glob("*.json"):
        (nested / save.stem.lower()).mkdir(parents=True)
        shutil.copy(save, nested / save.stem.lower() / save.name)
    # Ayesha also saved an unfinished game under another slot: the finished one counts
    ayesha = next(nested.rglob("Ayesha-K-*.json"))
    data = load(ayesha)
    assert data["ending"] is not None
    play_classroom(tmp_path / "extra", "Ayesha K", 8, ["2", "A second try that I did not finish, long enough."])
    extra = next((tmp_path / "extra").glob("*.json"))
    shutil.copy(extra, ayesha.parent / "second-try.json")
    story = load_story(STARTER)
    # and an autosave of the same game, one decision earlier
    moves = [(e["choice"], e["rationale"]) for e in data["history"][:-1]]
    write_save(ayesha.parent / "autosave.json", story, replay(story, data["seed"], moves, data["player"]))
    games, skipped = collect([nested], story)
    assert len(games) == len(CLASS)
    assert [g.path for g in games if g.record.student == "Ayesha K"] == [ayesha]
    by_file = {Path(s.file).name: s for s in skipped}
    assert set(by_file) == {"second-try.json", "autosave.json"}
    assert "another save of the same student" in by_file["second-try.json"].reason
    assert not by_file["second-try.json"].copy and by_file["autosave.json"].copy
    report = build_report(story, games, skipped)
    assert [Path(s.file).name for s in report.skipped] == ["second-try.json"] and report.copies == 1
    assert "1 earlier copy of counted games (autosaves) left out" in to_markdown(report)


def test_exit_1_when_no_save_could_be_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text("nonsense")
    code, out, err = run_cli(["report", str(tmp_path), str(tmp_path / "missing"), "--story", str(STARTER)], capsys)
    assert code == 1
    assert "a.json" in out and "missing: no such file or folder" in err
    assert "Nobody reached this decision." in out and "**0 students** counted" in out
    assert "no save could be read" in err


def test_markdown_and_html_agree_on_counts(class_folder: Path) -> None:
    story = load_story(STARTER)
    games, skipped = collect([class_folder], story)
    report = build_report(story, games, skipped)
    md_text, page = to_markdown(report), to_html(report)
    for e in report.endings:
        assert f"| {e.title} | {e.count} |" in md_text
        assert f'<td>{html.escape(e.title)}</td><td class="num">{e.count}</td>' in page
    assert to_csv(report).count("\n") == len(games) + 1
