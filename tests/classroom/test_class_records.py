"""The whole class at once (issue 13): records for a folder, the report's new columns, stable anonymous numbers."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from game.classroom.report import build_report, collect
from game.saves import read_envelope, slug
from game.session import NewGame, Session, Settings
from game.story import load_story

from .conftest import CLASS, ROOT, STARTER, load, play_classroom, run_cli

SHIPPED = ROOT / "story"


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ------------------------------------------------------------------ transcript FOLDER --out-dir DIR
def test_one_record_per_save_named_after_the_student(
    class_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ayesha played twice; one save is damaged but has its backup; one is not a save at all
    play_classroom(class_copy / "again", "Ayesha K", 8, ["2", "A second try that I did not finish, long enough."])
    damaged = class_copy / "Dana-damaged.json"
    shutil.copy(next(class_copy.glob("Dana-M-*.json")), damaged.with_name(damaged.name + ".bak"))
    damaged.write_text('{"format_version": 3, "story": ')
    (class_copy / "notes.json").write_text("[]")
    out_dir = tmp_path / "records"
    code, out, err = run_cli(
        [
            "transcript",
            str(class_copy),
            "--format",
            "html",
            "--out-dir",
            str(out_dir),
            "--zip",
            "--combined",
            "--story",
            str(STARTER),
        ],
        capsys,
    )
    assert code == 0, err
    names = sorted(p.name for p in out_dir.iterdir())
    expected = sorted([f"{slug(name)}.html" for name, _, _ in CLASS] + ["Ayesha-K-2.html", "all-records.html"])
    assert names == expected
    assert f"Wrote {len(CLASS) + 1} records to {out_dir}, 2 saves could not be read" in out
    for name, _, _ in CLASS:
        page = (out_dir / f"{slug(name)}.html").read_text()
        assert f"<h1>Decision record: {html.escape(name)}</h1>" in page
    # the broken files are listed with what to do, in a teacher's words
    assert f"not written: {damaged}: the file is damaged or incomplete" in err
    assert f"restore {damaged.name}.bak: copy it over {damaged.name}" in err
    assert "notes.json: this is not a Tightrope save." in err
    combined = (out_dir / "all-records.html").read_text()
    assert combined.count("<h1>Decision record:") == len(CLASS) + 1 and combined.count('class="record pagebreak"') == len(CLASS)
    with zipfile.ZipFile(tmp_path / "records.zip") as z:
        assert sorted(z.namelist()) == sorted(f"records/{n}" for n in expected)
    # the same run again gives the same names (nothing renumbered)
    code, _, _ = run_cli(
        ["transcript", str(class_copy), "--format", "md", "--out-dir", str(tmp_path / "md"), "--story", str(STARTER)], capsys
    )
    assert code == 0 and sorted(p.stem for p in (tmp_path / "md").iterdir()) == sorted(
        n.removesuffix(".html") for n in expected if n != "all-records.html"
    )


def test_records_of_a_folder_need_out_dir_and_a_readable_save(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text("nonsense")
    code, _, err = run_cli(["transcript", str(tmp_path), "--story", str(STARTER)], capsys)
    assert code == 2 and "need --out-dir DIR" in err
    code, out, err = run_cli(["transcript", str(tmp_path), "--out-dir", str(tmp_path / "r"), "--story", str(STARTER)], capsys)
    assert code == 1 and "Wrote 0 records" in out and "no save could be read" in err and "Traceback" not in err
    code, _, err = run_cli(["transcript", str(tmp_path), "--out-dir", str(tmp_path / "r"), "--combined"], capsys)
    assert code == 2 and "--combined goes with --format html" in err


# ------------------------------------------------------------------ undo in the record and the report
def test_an_undo_in_classroom_mode_is_in_the_record_and_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = "Commit now: the seat at the table matters more than the street."
    second = "On reflection, parliament should own this before we promise anything."
    play_classroom(tmp_path, "Farah N", 4, ["1", first, "u", "3", second, "1", "1"])
    save = next(tmp_path.glob("Farah-N-*.json"))
    (undone,) = read_envelope(save).undone
    assert (undone.turn, undone.choice, undone.rationale) == (1, "commit", first)
    for fmt in ("md", "html", "json"):
        code, out, _ = run_cli(["transcript", str(save), "--format", fmt, "-o", "-", "--story", str(STARTER)], capsys)
        assert code == 0
        text = html.unescape(out) if fmt == "html" else out
        assert "Taken back" in text or '"undone"' in text
        assert first in text and second in text  # what was taken back is kept, and what replaced it
    code, out, _ = run_cli(["transcript", str(save), "--format", "md", "-o", "-", "--story", str(STARTER)], capsys)
    assert (
        "- **Undos:** 1 decision taken back" in out and "- **Mode:** classroom mode (rationales of at least 40 characters)" in out
    )
    code, out, _ = run_cli(["report", str(tmp_path), "--format", "csv", "--story", str(STARTER)], capsys)
    (row,) = rows_of(out)
    assert row["undos"] == "1" and row["classroom"] == "yes" and row["seed"] == "4"
    assert row["rationale_the_cable"] == second and row["choice_the_cable"] == "Ask parliament for a debate first."


# ------------------------------------------------------------------ the report's CSV
def test_the_csv_has_the_settings_and_each_key_rationale(class_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["report", str(class_folder), "--format", "csv", "--story", str(STARTER)], capsys)
    assert code == 0
    rows = {r["student"]: r for r in rows_of(out)}
    for name, seed, lines in CLASS:
        r = rows[name]
        assert (r["seed"], r["classroom"], r["undos"], r["scenario"]) == (str(seed), "yes", "0", "")
        assert r["rationale_the_cable"] == lines[1]  # the text itself, as written (quoted by the CSV writer)
    assert "<need>" in rows["Ayesha K"]["rationale_the_cable"]


def test_rationale_cells_cannot_be_formulas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    play_classroom(tmp_path, "Gus O", 1, ["3", '=HYPERLINK("http://x") is what I would have said, at length.'])
    code, out, _ = run_cli(["report", str(tmp_path), "--format", "csv", "--story", str(STARTER)], capsys)
    (row,) = rows_of(out)
    assert row["rationale_the_cable"].startswith("'=HYPERLINK")


# ------------------------------------------------------------------ --anonymous, stable
def test_anonymous_numbers_are_the_same_on_every_run_and_in_every_format(
    class_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs: dict[str, list[str]] = {}
    for run in (1, 2):
        for fmt in ("md", "html", "csv"):
            target = tmp_path / f"run{run}.{fmt}"
            args = ["report", str(class_folder), "--anonymous", "--format", fmt, "-o", str(target), "--story", str(STARTER)]
            code, _, _ = run_cli(args, capsys)
            assert code == 0
            outputs.setdefault(fmt, []).append(target.read_text())
    for fmt, (one, two) in outputs.items():
        assert one == two, fmt  # two runs, identical files
    assert not list(tmp_path.glob("*key*"))  # no key file unless asked
    key = tmp_path / "class-key.csv"
    code, out, _ = run_cli(
        [
            "report",
            str(class_folder),
            "--anonymous",
            "--format",
            "csv",
            "--key-file",
            str(key),
            "-o",
            str(tmp_path / "k.csv"),
            "--story",
            str(STARTER),
        ],
        capsys,
    )
    assert code == 0 and "keep it private" in out
    names = {r["number"]: r["student"] for r in rows_of(key.read_text())}
    assert sorted(names.values()) == sorted(name for name, _, _ in CLASS)
    seeds = {name: seed for name, seed, _ in CLASS}
    rationale = {name: lines[1] for name, _, lines in CLASS}
    for r in rows_of(outputs["csv"][0]):  # the key agrees with the report: each number's seed and words are that student's
        assert int(r["seed"]) == seeds[names[r["student"]]]
        assert r["rationale_the_cable"] == rationale[names[r["student"]]]
    md_text, page = outputs["md"][0], html.unescape(re.sub(r"<[^>]+>", " ", outputs["html"][0]))
    for number, name in names.items():  # markdown and HTML quote the same words under the same number
        quoted = rationale[name]
        assert f"> {quoted}\n>\n> — {number}\n" in md_text.replace("\\", "")
        assert re.search(re.escape(quoted) + r"\s*— " + number + r"\b", page)
    code, _, err = run_cli(["report", str(class_folder), "--key-file", str(key), "--story", str(STARTER)], capsys)
    assert code == 2 and "--key-file goes with --anonymous" in err


# ------------------------------------------------------------------ scenarios
def test_a_class_that_played_the_lesson(tmp_path: Path) -> None:
    story = load_story(SHIPPED)
    for name, seed in (("Amina Q", 7), ("Bilal R", 8)):
        s = Session.open(Settings(story_path=SHIPPED, saves_root=tmp_path, classroom=True, min_rationale=0, scenario="lesson"))
        s.start(NewGame(name, seed, True, True))
        while s.state is not None and s.state.ending is None:
            choice = next(o for o in s.options() if o.enabled)
            s.choose(choice.choice.id, "Because it keeps our options open." if s.needs_rationale() else "")
        s.autosave()
        s.close()
    games, skipped = collect([tmp_path], story)
    assert len(games) == 2 and not skipped
    report = build_report(story, games, skipped)
    lesson = story.with_scenario("lesson")
    assert {e.id for e in report.endings} == set(lesson.endings)  # the lesson's endings, not the full story's
    assert {d.node for d in report.decisions} == {n.id for n in lesson.nodes.values() if n.key}
    assert report.scenarios == ("The first three weeks (lesson)",)
    assert all(s.scenario == "The first three weeks (lesson)" for s in report.students)
    assert load(next(tmp_path.glob("Amina-Q-*.json")))["story"]["scenario"] == "lesson"
