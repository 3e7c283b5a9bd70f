"""tightrope transcript: a student's decision record from a save."""

from __future__ import annotations

import html
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from game.engine import new_game, replay
from game.engine.core import choose
from game.records.transcript import (
    OLD_SAVE_NOTE,
    TranscriptError,
    build_record,
    export_transcript,
    meter_trail,
    to_html,
    to_markdown,
)
from game.saves import list_saves, read_envelope, write_save
from game.story import load_story

from .conftest import STARTER, edit, load, play_classroom, run_cli


@pytest.fixture(scope="module")
def ayesha(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The acceptance game: Ayesha K, seed 7, piped into plain classroom mode."""
    saves = tmp_path_factory.mktemp("ayesha")
    return play_classroom(
        saves,
        "Ayesha K",
        7,
        ["2", "Written revisions keep the eight together and protect our troops from disarmament tasks.", "1", "1", "2"],
    )


def texts_of_save(save: Path) -> list[tuple[str, str, str]]:
    """(scene title, choice text, rationale) of every decision, looked up independently of the code under test."""
    story = load_story(STARTER)
    out = []
    for entry in load(save)["history"]:
        node = story.nodes[entry["node"]]
        choice = node.choice(entry["choice"])
        assert choice is not None
        out.append((node.title, choice.text, entry["rationale"]))
    return out


def test_the_scripted_game_made_a_save_with_a_rationale(ayesha: Path) -> None:
    data = load(ayesha)
    assert data["player"] == "Ayesha K" and data["seed"] == 7
    assert len(data["history"]) >= 3
    assert data["history"][0]["rationale"].startswith("Written revisions")


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_every_decision_and_rationale_is_in_each_format(
    ayesha: Path, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"record.{fmt}"
    code, printed, _ = run_cli(["transcript", str(ayesha), "--format", fmt, "-o", str(out), "--story", str(STARTER)], capsys)
    assert code == 0 and str(out) in printed
    text = out.read_text(encoding="utf-8")
    decisions = texts_of_save(ayesha)
    if fmt == "json":
        rec = json.loads(text)
        assert [(d["scene"], d["choice_text"], d["rationale"]) for d in rec["decisions"]] == decisions
        assert rec["student"] == "Ayesha K" and rec["seed"] == 7 and rec["story"]["id"] == "starter"
        assert rec["ending"]["id"] == load(ayesha)["ending"]
        return
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text)) if fmt == "html" else text.replace("\\", "")
    plain = " ".join(plain.split())
    for scene, choice, rationale in decisions:
        assert scene in plain and choice in plain
        if rationale:
            assert rationale in plain
    assert "Ayesha K" in plain and "Seed" in plain and "starter" in plain


def test_header_ending_debrief_questions_and_events(ayesha: Path) -> None:
    story = load_story(STARTER)
    data = read_envelope(ayesha)
    rec = build_record(data, story, ayesha.name)
    assert data.ending is not None
    ending = story.endings[data.ending]
    md_text = to_markdown(rec).replace("\\", "")
    assert ending.title in md_text and " ".join(ending.debrief.split()) in md_text
    for q in ending.questions:
        assert q in md_text
    assert rec.date == data.created[:10]
    fired = [(e, d.turn) for d in rec.decisions for e in d.events]
    saved = [(e, i) for i, entry in enumerate(data.history, 1) for e in entry.events]
    assert [(e.id, t) for e, t in fired] == saved
    for e, _ in fired:
        assert e.title == next(ev.title for ev in story.events if ev.id == e.id)


def test_meter_changes_match_the_save(ayesha: Path) -> None:
    data = read_envelope(ayesha)
    rec = build_record(data, load_story(STARTER))
    for d, entry in zip(rec.decisions, data.history, strict=True):
        assert {c.meter: c.delta for c in d.total} == entry.changes
        assert {c.meter: c.after for c in d.total} == {m: entry.meters[m] for m in entry.changes}
        assert d.changes is not None and {c.meter: c.delta for c in d.changes} == entry.choice_changes


def test_memo_is_the_students_own_words_in_order(story_copy: Path, tmp_path: Path) -> None:
    # two key decisions: make the second scene key in a copy of the story
    story_dir = story_copy
    edit(story_dir / "nodes.yaml", "    title: Friday\n", "    title: Friday\n    key: true\n")
    saves = tmp_path / "saves"
    save = play_classroom(
        saves,
        "Farid Q",
        4,
        [
            "1",
            "First reason: Washington must hear from us before anyone else does.",
            "2",
            "Second reason: let diplomats, not politicians, carry this.",
            "2",
        ],
        story=story_dir,
    )
    rec = build_record(read_envelope(save), load_story(story_dir))
    assert [m.rationale for m in rec.memo] == [
        "First reason: Washington must hear from us before anyone else does.",
        "Second reason: let diplomats, not politicians, carry this.",
    ]
    assert [m.choice_text for m in rec.memo] == [rec.decisions[0].choice_text, rec.decisions[1].choice_text]
    page = to_html(rec)
    memo = page[page.index("What I decided and why") :]
    items = re.findall(r"<li>(.*?)</li>", memo, re.S)
    assert len(items) == 2
    assert "First reason" in items[0] and "Second reason" in items[1]


def test_html_is_self_contained_printable_and_charts_the_meters(ayesha: Path) -> None:
    data = read_envelope(ayesha)
    page = to_html(build_record(data, load_story(STARTER)))
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page, re.I)
    # the only URL is the SVG namespace, which is a name, not a fetch
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "@media print" in page and "Content-Security-Policy" in page
    chart = page[page.index("<svg viewBox") : page.index("</svg>")]
    lines = re.findall(r'<polyline points="([^"]+)"', chart)
    assert len(lines) == len(data.start_meters)
    for points in lines:
        assert len(points.split()) == len(data.history) + 1


def test_chart_points_follow_the_meter_values(ayesha: Path) -> None:
    data = read_envelope(ayesha)
    page = to_html(build_record(data, load_story(STARTER)))
    chart = page[page.index("<svg viewBox") : page.index("</svg>")]
    first = re.findall(r'<polyline points="([^"]+)"', chart)[0]
    ys = [float(p.split(",")[1]) for p in first.split()]
    values = [data.start_meters["us"]] + [e.meters["us"] for e in data.history]
    # SVG y grows downwards: a higher value is drawn higher up
    for (y1, v1), (y2, v2) in zip(zip(ys, values), zip(ys[1:], values[1:])):
        assert (y2 < y1) == (v2 > v1) and (y2 == y1) == (v2 == v1)


HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) ![x](http://evil/) # head"


def test_student_and_story_text_are_escaped(story_copy: Path, tmp_path: Path) -> None:
    story_dir = story_copy
    edit(
        story_dir / "nodes.yaml",
        "text: Tell Washington Pakistan is ready in principle.",
        "text: '<b onclick=x>Commit</b> [a](http://evil/)'",
    )
    story = load_story(story_dir)
    state = new_game(story, 1, "<i>Mallory</i> & co")
    state = choose(story, state, "commit", HOSTILE + " more words to pass the minimum")
    save = write_save(tmp_path / "s.json", story, state)
    rec = build_record(read_envelope(save), story, save.name)
    page = to_html(rec)
    for raw in ("<script", "<img", "<b onclick", "<i>Mallory"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b onclick=x&gt;Commit&lt;/b&gt;" in page
    assert "&lt;i&gt;Mallory&lt;/i&gt; &amp; co" in page
    md_text = to_markdown(rec)
    # the record itself uses no "<" or "[": every one comes from the text and must be escaped
    assert not re.search(r"(?<!\\)[<\[]", md_text)
    assert "\\<script\\>" in md_text and "\\[click\\](javascript" in md_text


def test_a_save_from_another_story_version_says_what_could_not_be_looked_up(
    ayesha: Path, story_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story_dir = story_copy
    edit(story_dir / "story.yaml", 'version: "0.1.0"', 'version: "0.2.0"')
    first = load(ayesha)["history"][0]
    # rename the choice the student took at the first decision
    edit(story_dir / "nodes.yaml", f"      - id: {first['choice']}\n", f"      - id: {first['choice']}_v2\n")
    out = tmp_path / "r.md"
    code, _, _ = run_cli(["transcript", str(ayesha), "-o", str(out), "--story", str(story_dir)], capsys)
    assert code == 0
    md_text = out.read_text().replace("\\", "")
    assert "version 0.1.0 of the story" in md_text and "version 0.2.0" in md_text
    assert "Could not be looked up" in md_text
    assert f'choice "{first["choice"]}" at scene "{first["node"]}"' in md_text
    # everything else still comes from the story
    assert load_story(story_dir).nodes[first["node"]].title in md_text


def test_a_save_from_another_story_is_shown_by_ids(ayesha: Path, story_copy: Path) -> None:
    story_dir = story_copy
    edit(story_dir / "story.yaml", "id: starter", "id: other_story")
    rec = build_record(read_envelope(ayesha), load_story(story_dir))
    assert any('belongs to the story "starter", not to "other_story"' in n for n in rec.notes)
    assert [d.scene for d in rec.decisions] == [e["node"] for e in load(ayesha)["history"]]
    assert rec.ending is not None and rec.ending.title == load(ayesha)["ending"]


def test_meter_trail_rebuilds_older_saves_without_a_trail(ayesha: Path) -> None:
    data = read_envelope(ayesha)
    ids, start, trail = meter_trail(data)
    stripped = replace(data, start_meters={}, history=tuple(replace(e, meters={}) for e in data.history))
    assert meter_trail(stripped) == (ids, start, trail)
    assert trail[-1] == data.meters


def test_export_transcript_paths(ayesha: Path, tmp_path: Path) -> None:
    save = tmp_path / ayesha.name
    shutil.copy(ayesha, save)
    story = load_story(STARTER)
    beside = export_transcript(save, "html", None, story=story)
    assert beside == save.with_name(save.stem + ".transcript.html") and beside.is_file()
    folder = tmp_path / "out"
    folder.mkdir()
    assert export_transcript(save, "md", folder, story=STARTER) == folder / (save.stem + ".transcript.md")
    named = export_transcript(save, "json", folder / "x.json", story=story)
    assert json.loads(named.read_text())["kind"] == "tightrope-transcript"
    with pytest.raises(TranscriptError, match="over the save"):
        export_transcript(save, "md", save, story=story)
    # the saves list does not mistake a JSON record for a broken save
    export_transcript(save, "json", None, story=story)
    assert [s.name for s in list_saves(tmp_path)] == [save.stem]


def test_export_transcript_errors_are_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "b.json"
    broken.write_text("{not json")
    with pytest.raises(TranscriptError) as info:
        export_transcript(broken, "md", None, story=STARTER)
    assert "\n" not in str(info.value) and "not valid JSON" in str(info.value)
    with pytest.raises(TranscriptError, match="unknown format"):
        export_transcript(broken, "pdf", None, story=STARTER)


@pytest.mark.parametrize(
    "args, message",
    [
        (["transcript", "/nonexistent/x.json"], "no such save"),
        (["transcript", "BROKEN"], "not valid JSON"),
        (["transcript", "GOOD", "--story", "/nonexistent/story"], "the story cannot be loaded"),
    ],
)
def test_cli_errors(ayesha: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    args = [str(broken) if a == "BROKEN" else str(ayesha) if a == "GOOD" else a for a in args]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_stdout_output(ayesha: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["transcript", str(ayesha), "--format", "json", "-o", "-", "--story", str(STARTER)], capsys)
    assert code == 0 and json.loads(out)["student"] == "Ayesha K"


def format_2_save(tmp_path: Path) -> Path:
    """Seed 6: "address" raises domestic stability by 4, then the photo event lowers it by 6; written as format 2 did."""
    story = load_story(STARTER)
    state = replay(story, 6, ["commit", "address"], "Old Save")
    data = json.loads(write_save(tmp_path / "old.json", story, state).read_text())
    data["format_version"] = 2
    for entry in data["history"]:
        del entry["choice_changes"], entry["event_changes"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    return path


def test_a_record_tells_the_choice_from_each_event(tmp_path: Path) -> None:
    story = load_story(STARTER)
    save = write_save(tmp_path / "new.json", story, replay(story, 6, ["commit", "address"], "New Save"))
    rec = build_record(read_envelope(save), None)  # no story: the save itself keeps the parts
    d = rec.decisions[1]
    assert d.changes is not None and [(c.meter, c.delta, c.after) for c in d.changes] == [("domestic", 4, 53)]
    (event,) = d.events
    assert event.id == "photo" and event.changes is not None
    assert [(c.meter, c.delta, c.after) for c in event.changes] == [("domestic", -6, 47)]
    assert [(c.meter, c.delta) for c in d.total] == [("domestic", -2)]
    entry = rec.to_json()["decisions"][1]  # type: ignore[index]
    assert entry["choice_changes"] == [{"meter": "domestic", "label": "domestic", "delta": 4, "after": 53}]
    assert entry["events"][0]["changes"][0]["delta"] == -6
    md_text = to_markdown(build_record(read_envelope(save), story)).replace("\\", "")
    assert "Domestic stability +4 (53)" in md_text and "Domestic stability -6 (47)" in md_text


def test_a_record_from_an_old_save_without_its_story_says_what_it_cannot_know(tmp_path: Path) -> None:
    save = format_2_save(tmp_path)
    rec = build_record(read_envelope(save), None)
    d = rec.decisions[1]
    assert d.changes is None and d.events[0].changes is None  # not known
    assert [(c.meter, c.delta) for c in d.total] == [("domestic", -2)]  # but the total is
    assert OLD_SAVE_NOTE in rec.notes
    md_text = to_markdown(rec)
    assert "choice and events together" in md_text and "cannot be told apart" in md_text
    assert "choice and events together" in to_html(rec)
    assert json.loads(json.dumps(rec.to_json()))["decisions"][1]["choice_changes"] is None
    # with its story the replay recomputes the parts, and the note goes
    known = build_record(read_envelope(save), load_story(STARTER))
    assert OLD_SAVE_NOTE not in known.notes and known.decisions[1].changes is not None
    assert known.decisions[1].events[0].text  # the event's text, rendered for the replayed game
