"""The session behind the app (no screen), and the text helpers, with property tests."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from textual.content import Content

from game.cli import build_parser
from game.present import when
from game.saves import AUTOSAVE, SaveError, list_saves
from game.session import NewGame, Session, SessionError, Settings
from game.story.text import clean
from game.tui.page import Block, wrap_block
from game.tui.text import reflow, wrap_words
from game.tui.widgets import chart_lines, chart_scale

from .conftest import STARTER


def session(tmp_path: Path, story: Path = STARTER, **kw: object) -> Session:
    return Session.open(Settings(story_path=story, saves_root=tmp_path / "saves", **kw))  # type: ignore[arg-type]


def test_settings_from_the_play_command(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["play", "--story", str(STARTER), "--seed", "3", "--name", " Bo \x1b[1m ", "--hide-effects", "--per-player-saves"]
        + ["--classroom", "--min-rationale", "10", "--saves", str(tmp_path), "--autosave", "lesson", "--load", "x"]
    )
    s = Settings.from_args(args)
    assert s == Settings(STARTER, tmp_path, 3, "Bo", "x", "lesson", True, 10, False, True)


def test_autosave_slots_and_where_saves_go(tmp_path: Path) -> None:
    s = session(tmp_path, autosave="lesson")
    s.start(NewGame("Ali Khan", 1, True, classroom=True))
    assert s.autosave_slots() == [f"Ali-Khan-{date.today().isoformat()}", "lesson"]
    assert s.slot_base(date(2026, 3, 1)) == "Ali-Khan-2026-03-01"
    assert s.saves_dir == tmp_path / "saves"
    nameless = session(tmp_path)
    nameless.start(NewGame("", 1, True, False))
    assert nameless.autosave_slots() == [AUTOSAVE]
    per = session(tmp_path, per_player=True)
    with pytest.raises(SaveError, match="enter your name"):
        _ = per.saves_dir
    with pytest.raises(SessionError, match="a name is needed"):
        per.start(NewGame("  ", None, True, False))
    per.start(NewGame("Ali Khan", None, True, False))
    assert per.saves_dir == tmp_path / "saves" / "Ali-Khan"
    assert 0 <= per.state.seed < 2**31  # type: ignore[union-attr]


def test_background_autosaves_are_written_in_order(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.start(NewGame("", 1, True, False))
    jobs = []
    for choice in ("commit", "address", "deploy"):
        s.choose(choice)
        jobs.append(s.autosave_later())
    s.flush()
    assert all(job.done() and job.result() == [] for job in jobs)
    data = json.loads((tmp_path / "saves" / "autosave.json").read_text())
    assert [h["choice"] for h in data["history"]] == ["commit", "address", "deploy"]
    assert data["ending"] == "contingent"
    s.close()


def test_a_gated_autosave_waits_for_its_gate_and_never_past_a_flush(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    s = session(tmp_path)
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    saved = tmp_path / "saves" / "autosave.json"
    gate = threading.Event()
    job = s.autosave_later(after=gate)
    assert not job.done() and not saved.exists()  # the app has not drawn the new screen yet
    gate.set()
    assert job.result(timeout=5) == [] and saved.exists()

    s.choose("address")
    job = s.autosave_later(after=threading.Event())  # never set: flush (and so close) sets it
    s.flush()
    assert job.done() and [h["choice"] for h in json.loads(saved.read_text())["history"]] == ["commit", "address"]

    monkeypatch.setattr(Session, "GATE_SECONDS", 0.05)
    s.undo()
    job = s.autosave_later(after=threading.Event())  # never set, no flush: written after GATE_SECONDS
    assert job.result(timeout=5) == [] and [h["choice"] for h in json.loads(saved.read_text())["history"]] == ["commit"]
    s.close()


def test_autosave_failure_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "saves").write_text("a file where the folder should be")
    s = session(tmp_path)
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    problems = s.autosave_later().result()
    assert len(problems) == 1 and problems[0].startswith("Autosave failed: cannot write to")
    assert s.autosave() == problems


def test_load_restores_the_mode_and_keeps_the_game_on_failure(tmp_path: Path) -> None:
    s = session(tmp_path, min_rationale=5)
    s.start(NewGame("Bo", 1, False, True))
    s.choose("commit", "A reason")
    s.save("mine")
    other = session(tmp_path)
    other.start(NewGame("", 2, True, False))
    before = other.state
    (tmp_path / "saves" / "bad.json").write_text("{}")
    with pytest.raises(SaveError):
        other.load("bad")
    assert other.state is before
    other.load("mine")
    assert other.classroom and not other.show_effects and other.player == "Bo"
    assert other.state is not None and other.state.step is not None and other.state.step.rationale == "A reason"
    assert {i.name for i in other.saves()} == {"mine", "bad"}
    assert other.latest() is not None and other.latest().name == "mine"  # type: ignore[union-attr]


def test_latest_skips_broken_saves_and_other_stories(tmp_path: Path) -> None:
    s = session(tmp_path)
    folder = tmp_path / "saves"
    folder.mkdir()
    (folder / "broken.json").write_text("not json")
    assert s.latest() is None
    s.start(NewGame("", 1, True, False))
    s.save("one")
    data = json.loads((folder / "one.json").read_text())
    data["story"]["id"] = "another"
    data["updated"] = "2999-01-01T00:00:00+00:00"
    (folder / "other.json").write_text(json.dumps(data))
    latest = s.latest()
    assert latest is not None and latest.name == "one"
    info = next(i for i in s.saves() if i.name == "other")
    assert s.slot_scene(info) == "(another story: another)"


def test_reload_results(tmp_path: Path, starter_copy: Path) -> None:
    s = session(tmp_path, story=starter_copy)
    assert s.reload().kind == "ok"  # no game yet: the story is simply replaced
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    nodes = starter_copy / "nodes.yaml"
    original = nodes.read_text()
    nodes.write_text(original.replace("goto: decision", "goto: nowhere", 1))
    bad = s.reload()
    assert bad.kind == "problems" and bad.problems and all(":" in line for line in bad.problems)
    assert "nodes.yaml:" in bad.problems[0] and "nowhere" in bad.problems[0]
    nodes.write_text(original.replace("the_street", "the_square"))
    gone = s.reload()
    assert gone.kind == "vanished" and gone.fallback == "the_cable" and gone.story is not None
    assert s.state is not None and s.state.node == "the_street"  # nothing changed yet
    state = s.accept_jump(gone.story, gone.fallback)
    assert state.node == "the_cable" and state.meters == (58, 50, 49) and state.turn == 1
    assert [len(v) for _, v in s.series()] == [2, 2, 2]
    shutil.rmtree(starter_copy)
    lost = s.reload()
    assert lost.kind in {"problems", "error"} and "old story is kept" in lost.message


def test_decisions_and_series(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.start(NewGame("", 1, True, False))
    for choice in ("commit", "address", "deploy"):
        s.choose(choice)
    first = s.decisions()[0]
    assert (first.turn, first.scene, first.choice, first.choice_text) == (
        1,
        "The cable from Washington",
        "commit",
        "Tell Washington Pakistan is ready in principle.",
    )
    assert first.changes is not None
    assert [(c.label, c.delta, c.after) for c in first.changes] == [("US relations", 8, 58), ("Domestic stability", -6, 49)]
    assert first.note == "Committing early buys goodwill and spends leverage."
    series = dict((m.id, v) for m, v in s.series())
    assert series["us"] == [50, 58, 58, 64] and series["domestic"] == [55, 49, 53, 45]
    assert s.ending is not None and s.ending.id == "contingent"


def test_when_is_local_time_or_the_text_itself() -> None:
    assert len(when("2025-11-25T10:00:00+00:00")) == 16
    assert when("yesterday") == "yesterday"


# ------------------------------------------------------------------ properties
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(TEXT)
def test_reflow_cleans_and_is_stable(text: str) -> None:
    out = reflow(text)
    assert out == clean(out)  # no control characters left
    assert reflow(out) == out  # reflowing again changes nothing
    assert "\n\n\n" not in out and out == out.strip()
    assert out.split() == clean(text).split()  # every word kept, in order


@given(st.lists(st.integers(0, 100), min_size=1, max_size=30), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2))
def test_chart_lines_shape(values: list[int], rows: int, col: int, gap: int) -> None:
    lo, hi = chart_scale(values, 0, 100)
    assert 0 <= lo <= min(values) and max(values) <= hi <= 100
    lines = chart_lines(values, lo, hi, rows, col, gap)
    assert len(lines) == rows
    assert all(len(line) <= len(values) * (col + gap) for line in lines)

    def height(i: int) -> int:  # filled eighths of column i
        start = i * (col + gap)
        return sum(" ▁▂▃▄▅▆▇█".index(line[start]) if start < len(line) else 0 for line in lines)

    for i, j in zip(range(len(values)), range(1, len(values))):
        if values[i] < values[j]:
            assert height(i) <= height(j)
    assert all(height(i) >= 1 for i in range(len(values)))  # every value shows


@given(st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=10), min_size=1, max_size=30), st.integers(16, 60))
def test_hanging_indent(words: list[str], width: int) -> None:
    text = " ".join(words)
    lines = [line.plain for line in wrap_block(Block("b", Content(text + "\nx y"), lead=Content("1 ")), width)]
    assert lines[0].startswith("1 ")
    assert all(line.startswith("  ") for line in lines[1:])
    assert all(len(line) <= width for line in lines)
    assert " ".join(" ".join(lines).split())[2:] == text + " x y"


# ------------------------------------------------------------------ each game its own slot
def test_a_new_game_never_overwrites_the_previous_games_save(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    s.autosave()
    first = tmp_path / "saves" / f"{s.game_slot()}.json"
    kept = first.read_bytes()
    s.start(NewGame("", 2, True, False))
    assert s.game_slot() != first.stem
    s.choose("wait")
    s.autosave()
    assert first.read_bytes() == kept
    assert {p.stem for p in (tmp_path / "saves").glob("*.json")} == {"autosave", "autosave-2"}
    s.load("autosave")  # a loaded game goes on in its own slot
    assert s.game_slot() == "autosave"
    s.choose("address")
    s.autosave()
    assert json.loads(first.read_text())["history"][-1]["choice"] == "address"
    s.close()


def test_exported_records_of_two_games_have_their_own_names(tmp_path: Path) -> None:
    s = session(tmp_path)
    paths = []
    for seed in (1, 1):  # the same game twice
        s.start(NewGame("", seed, True, False))
        for choice in ("commit", "address", "deploy"):
            s.choose(choice)
        paths.append(s.export("md"))
    assert paths[0] != paths[1] and all(p.is_file() for p in paths)


# ------------------------------------------------------------------ endings found
def test_endings_found_are_kept_across_sessions(tmp_path: Path, data_folder: Path) -> None:
    s = session(tmp_path)
    assert s.endings_found().found("starter") == {}
    s.start(NewGame("", 1, True, False))
    for choice in ("commit", "address", "deploy"):
        s.choose(choice)
    again = session(tmp_path)
    assert set(again.endings_found().found("starter")) == {"contingent"}
    assert (data_folder / "endings-found.json").is_file()


def test_an_unreadable_endings_file_is_kept_aside_not_overwritten(tmp_path: Path, data_folder: Path) -> None:
    from game.progress import EndingsFound

    broken = data_folder / "endings-found.json"
    broken.write_text("{not json")
    found = EndingsFound(broken)
    assert found.read() == {}
    assert found.add("starter", "contingent")
    assert (data_folder / "endings-found.json.unreadable").read_text() == "{not json"
    assert found.found("starter").keys() == {"contingent"}
    assert not found.add("starter", "contingent")  # not new any more


def test_per_player_endings_are_the_players_own(tmp_path: Path) -> None:
    s = session(tmp_path, per_player=True)
    s.start(NewGame("Ali Khan", 1, True, False))
    for choice in ("commit", "address", "deploy"):
        s.choose(choice)
    assert s.autosave() == []
    assert (tmp_path / "saves" / "Ali-Khan" / ".progress" / "endings-found.json").is_file()
    assert [info.name for info in list_saves(tmp_path / "saves" / "Ali-Khan")] == [s.game_slot()]  # never taken for a save
    other = session(tmp_path, per_player=True)
    other.player = "Sara"
    assert other.endings_found().found("starter") == {}


# ------------------------------------------------------------------ scenarios
CAST = STARTER.parent / "cast"


def test_a_scenario_is_played_and_its_saves_remember_it(tmp_path: Path) -> None:
    s = session(tmp_path, story=CAST, scenario="short")
    assert s.story.scenario is not None and s.story.scenario.id == "short"
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    s.save("week")
    data = json.loads((tmp_path / "saves" / "week.json").read_text())
    assert data["story"]["scenario"] == "short"
    full = session(tmp_path, story=CAST)
    assert full.story.scenario is None
    state = full.load("week")  # the save plays on in its scenario
    assert full.story.scenario is not None and full.story.scenario.id == "short"
    full.choose("go_on")
    assert full.state is not None and full.state.ending == "short_ahead" and state.turn == 1


def test_a_wrong_scenario_is_one_line_with_a_suggestion(tmp_path: Path) -> None:
    from game.errors import UsageError

    with pytest.raises(UsageError, match='--scenario: unknown scenario "shrot".*did you mean "short"'):
        session(tmp_path, story=CAST, scenario="shrot")
    with pytest.raises(UsageError, match="this story has no scenarios"):
        session(tmp_path, scenario="lesson")


def _wrap_reference(text: str, width: int) -> list[str]:
    """wrap_words as first written: each candidate line measured whole, spaces kept (slow, plainly right)."""
    import re

    out: list[str] = []
    start_of_line = 0
    for raw in text.split("\n"):
        words = [(start_of_line + m.start(), start_of_line + m.end()) for m in re.finditer(r"[^ ]+", raw)]
        current: tuple[int, int] | None = None
        for a, b in words:
            if current is not None and cell_len(text[current[0] : b]) <= width:
                current = (current[0], b)
                continue
            if current is not None:
                out.append(text[current[0] : current[1]])
            if cell_len(text[a:b]) > width:
                out += [c.plain for c in Content(text[a:b]).fold(width)]
                current = None
            else:
                current = (a, b)
        if current is not None:
            out.append(text[current[0] : current[1]])
        elif not raw.strip():
            out.append("")
        start_of_line += len(raw) + 1
    return out


@given(
    st.lists(
        st.one_of(st.text(alphabet="abc\u00a0漢é", min_size=1, max_size=12), st.sampled_from([" ", "  ", "\n", "\n\n"])),
        max_size=40,
    ),
    st.integers(2, 30),  # (a two-cell character cannot fit one cell)
)
def test_wrap_words_matches_the_plain_definition(parts: list[str], width: int) -> None:
    text = "".join(parts)
    got = [line.plain for line in wrap_words(Content(text), width)]
    assert got == _wrap_reference(text, width)
    assert all(cell_len(line) <= width for line in got)


_SHIPPED_STORY = None


def _shipped() -> object:
    global _SHIPPED_STORY
    if _SHIPPED_STORY is None:
        from game.story import load_story

        _SHIPPED_STORY = load_story(Path(__file__).resolve().parents[2] / "story")
    return _SHIPPED_STORY


def _find_terms_reference(story: object, text: str) -> list[tuple[int, int, int]]:
    """find_terms as first written: every form of every term searched for, with no quick test first."""
    import re

    from game.present import _acronym, apart, term_forms
    from game.story.text import clean_line

    spans = []
    for k, t in enumerate(story.glossary):  # type: ignore[attr-defined]
        best: tuple[int, int] | None = None
        for form in term_forms(clean_line(t.term)):
            flags = 0 if _acronym(form) else re.IGNORECASE
            m = re.search(r"(?<!\w)" + re.escape(form) + r"s?(?!\w)", text, flags)
            if m and (best is None or m.start() < best[0] or (m.start() == best[0] and m.end() > best[1])):
                best = (m.start(), m.end())
        if best is not None:
            spans.append((best[0], best[1], k))
    return apart(spans)  # (which span wins where two overlap is not what is compared here)


@given(st.data())
def test_find_terms_finds_what_a_search_for_every_form_finds(data: st.DataObject) -> None:
    from game.present import find_terms, term_forms
    from game.story.text import clean_line

    story = _shipped()
    forms = [f for t in story.glossary for f in term_forms(clean_line(t.term))]  # type: ignore[attr-defined]
    pieces = data.draw(
        st.lists(
            st.one_of(
                st.sampled_from(forms).flatmap(lambda f: st.sampled_from([f, f.lower(), f.upper(), f + "s", "x" + f])),
                st.sampled_from([" ", ", ", ". ", "\n", "-", "'"]),
                st.text(alphabet="abcInst \u0130\u0131\u017f\u212a", max_size=6),  # letters that fold to ASCII
            ),
            max_size=25,
        )
    )
    text = "".join(pieces)
    assert find_terms(story, text) == _find_terms_reference(story, text)  # type: ignore[arg-type]


def test_find_terms_folds_the_letters_a_pattern_ignoring_case_folds() -> None:
    from game.present import find_terms

    story = _shipped()
    for text in ("the Board of Peace", "the \u0130nternational Stabilization Force", "the National \u017fecurity Committee"):
        assert find_terms(story, text) == _find_terms_reference(story, text) != []  # type: ignore[arg-type]
