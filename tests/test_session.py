"""The play session's rules (game/session.py) and the described decision it returns (game/present.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.errors import UsageError
from game.present import decisions, describe
from game.session import MAX_MIN_RATIONALE, NewGame, Session, SessionError, Settings
from game.story import load_story

STARTER = Path(__file__).resolve().parent / "stories" / "starter"
ROOT_STORY = Path(__file__).resolve().parent.parent / "story"


def session(tmp_path: Path, story: Path = STARTER, **kw: object) -> Session:
    return Session.open(Settings(story_path=story, saves_root=tmp_path / "saves", **kw))  # type: ignore[arg-type]


def test_a_decision_keeps_the_choice_and_each_event_apart(tmp_path: Path) -> None:
    s = session(tmp_path)
    s.start(NewGame("", 6, True, False))
    first = s.choose("commit")
    assert first.events == () and first.changes == first.total
    d = s.choose("address")  # seed 6: the photo event fires after it
    assert (d.turn, d.node, d.choice, d.scene) == (2, "the_street", "address", "Friday")
    assert d.changes is not None and [(c.label, c.delta, c.after) for c in d.changes] == [("Domestic stability", 4, 53)]
    (event,) = d.events
    assert event.id == "photo" and event.title and event.basis and event.text
    assert event.changes is not None and [(c.label, c.delta, c.after) for c in event.changes] == [("Domestic stability", -6, 47)]
    assert [(c.meter, c.delta, c.after) for c in d.total] == [("domestic", -2, 47)]
    assert d.meters == {"us": 58, "gulf": 50, "domestic": 47}
    assert s.decisions() == [first, d] and s.last_decision() == d


def test_a_threshold_crossed_is_part_of_the_decision(tmp_path: Path, starter_copy: Path) -> None:
    story_file = starter_copy / "story.yaml"
    story_file.write_text(story_file.read_text().replace("below: 15", "below: 40"))
    story = load_story(starter_copy)
    s = Session(story, Settings(starter_copy, tmp_path))
    s.start(NewGame("", 1, True, False))
    s.choose("commit")
    s.choose("address")
    d = s.choose("push_hard")
    assert d.ending == "street_crisis" and d.ending_title
    assert [(c.meter, c.ending) for c in d.crossed] == [("domestic", "street_crisis")] and d.crossed[0].value < 40
    assert s.state is not None and describe(story, s.state) == d and decisions(story, s.state)[-1] == d


def test_the_rationale_rule_is_the_sessions(tmp_path: Path) -> None:
    s = session(tmp_path, min_rationale=20)
    s.start(NewGame("Bo", 1, True, classroom=True))
    assert s.needs_rationale() and s.min_rationale == 20
    assert s.rationale_problem("too   short") == "Please write a little more (9 of 20 characters)."
    with pytest.raises(SessionError, match="a little more"):
        s.choose("commit", "too short")
    assert s.state is not None and s.state.turn == 0  # nothing chosen
    s.choose("commit", "  Goodwill now   buys a seat. ")
    assert s.state.step is not None and s.state.step.rationale == "Goodwill now buys a seat."
    assert not s.needs_rationale() and s.rationale_problem("") is None  # the street is not a key decision


def test_undo_is_decided_by_the_session(tmp_path: Path) -> None:
    s = session(tmp_path)
    assert not s.can_undo() and not s.undo()
    s.start(NewGame("", 1, True, False))
    assert not s.can_undo()
    s.choose("commit")
    assert s.can_undo() and s.undo() and s.state is not None and s.state.turn == 0


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"min_rationale": MAX_MIN_RATIONALE + 1}, "--min-rationale must be from 0 to 10000"),
        ({"min_rationale": -1}, "--min-rationale must be from 0 to 10000"),
        ({"autosave": "../x"}, "not a safe save name"),
    ],
)
def test_settings_no_session_accepts_are_usage_errors(tmp_path: Path, kw: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Settings(STARTER, tmp_path, **kw)  # type: ignore[arg-type]


def test_begin_starts_as_the_command_line_asked(tmp_path: Path) -> None:
    s = session(tmp_path, seed=5, name="Bo")
    state = s.begin()
    assert state.seed == 5 and state.player == "Bo"
    s.choose("commit")
    s.save("mine")
    loaded = session(tmp_path, load="mine")
    assert loaded.begin() == s.state and loaded.player == "Bo"
    with pytest.raises(UsageError, match="needs --name"):
        session(tmp_path, classroom=True).begin()
    with pytest.raises(UsageError, match="no such save file|mine2"):
        session(tmp_path, load="missing/mine2.json").begin()


# ------------------------------------------------------------------ undo, kept; the teacher's settings
def test_every_undo_is_kept_with_the_rationale_it_took_back(tmp_path: Path) -> None:
    s = session(tmp_path, min_rationale=5)
    s.start(NewGame("Bo", 1, True, classroom=True))
    s.choose("commit", "Goodwill first.")
    assert s.undo() and s.state is not None and s.state.turn == 0
    s.choose("revise", "Revisions first.")
    assert s.autosave() == []
    (undone,) = s.undone
    assert (undone.turn, undone.node, undone.choice, undone.rationale, undone.ending) == (
        1,
        "the_cable",
        "commit",
        "Goodwill first.",
        None,
    )
    s.close()
    again = session(tmp_path)
    again.load(s.game_slot())
    assert again.undone == s.undone  # kept in the save


def test_no_undo_is_the_sessions_rule(tmp_path: Path) -> None:
    home = session(tmp_path, no_undo=True)
    home.start(NewGame("", 1, True, False))
    home.choose("commit")
    assert not home.can_undo() and not home.undo() and home.undo_problem() == "Undo is turned off for this game."
    taught = session(tmp_path, no_undo=True, classroom=True, name="Bo", min_rationale=0)
    taught.begin()
    taught.choose("commit")
    taught.autosave()
    assert taught.undo_problem() == "Undo is turned off for this game by your teacher." and taught.undone == []
    loaded = session(tmp_path)  # a game made with undo off keeps it off, whoever loads it
    taught.close()
    loaded.load(taught.game_slot())
    assert not loaded.can_undo()


def test_a_teachers_settings_hold_for_every_new_game(tmp_path: Path) -> None:
    s = session(
        tmp_path, classroom=True, seed=7, min_rationale=30, no_undo=True, per_player=True, scenario="lesson", story=ROOT_STORY
    )
    fixed = s.fixed()
    assert fixed is not None and fixed.lines() == [
        "Classroom mode: a written rationale at each key decision (at least 30 characters)",
        "Seed 7: the whole class meets the same events",
        "Scenario: The first three weeks (lesson)",
        "Undo is off",
    ]
    s.start(NewGame("Ayesha K", 123, True, classroom=False, scenario=""))  # what a student might ask for
    assert s.classroom and s.state is not None and s.state.seed == 7 and s.min_rationale == 30
    assert s.story.scenario is not None and s.story.scenario.id == "lesson" and s.no_undo
    assert session(tmp_path).fixed() is None  # at home the player chooses
    s.close()


def test_a_scenario_is_played_saved_and_loaded(tmp_path: Path) -> None:
    s = session(tmp_path, story=ROOT_STORY, scenario="lesson", name="Bo", seed=7)
    s.begin()
    assert s.story.scenario is not None and s.story.start == s.story.scenario.start
    s.choose(s.options()[0].choice.id)
    s.autosave()
    data = json.loads((tmp_path / "saves" / f"{s.game_slot()}.json").read_text())
    assert data["story"]["scenario"] == "lesson"
    s.close()
    full = session(tmp_path, story=ROOT_STORY)
    full.load(s.game_slot())
    assert full.story.scenario is not None and full.story.scenario.id == "lesson"  # played on in its scenario
    with pytest.raises(UsageError, match='--scenario: unknown scenario "lesso"'):
        session(tmp_path, story=ROOT_STORY, scenario="lesso")


def test_play_no_undo_in_plain_mode(tmp_path: Path) -> None:
    args = ["play", "--plain", "--story", str(STARTER), "--seed", "1", "--saves", str(tmp_path), "--no-undo"]
    env = {k: v for k, v in os.environ.items() if k != "TIGHTROPE_SAVES"}
    proc = subprocess.run(
        [sys.executable, "-m", "game", *args], input="1\nu\n", capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 3 and "Undo is turned off for this game." in proc.stdout and "Undone" not in proc.stdout
