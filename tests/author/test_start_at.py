"""A game that starts at any scene with the meters and flags given (``play
--start NODE --set METER=N``; a replay plan's ``start:`` and ``set:``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.engine import EngineError, choose, options
from game.engine.scene import parse_settings, start_at
from game.story import Story, load_story

from .conftest import ROOT, run_installed


@pytest.fixture(scope="module")
def starter() -> Story:
    return load_story(ROOT / "tests" / "stories" / "starter")


def test_a_scene_with_the_state_given(starter: Story) -> None:
    state = start_at(starter, "decision", parse_settings(starter, ["us=40", "revisions_tabled=true", "gulf=55"]), seed=3)
    assert state.node == "decision" and state.turn == 0 and state.seed == 3 and state.ending is None
    assert state.meters == (40, 55, 55)  # domestic keeps its start value
    assert state.flags == (True,)
    shown = {o.choice.id: o.enabled for o in options(starter, state)}
    assert shown == {"deploy": True, "stay_out": True, "push_hard": True}  # revisions tabled and gulf >= 55
    assert choose(starter, state, "stay_out").ending == "aid_only"


def test_visits_count_the_scene_itself(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(ROOT / "tests" / "stories" / "starter", folder)
    nodes = folder / "nodes.yaml"
    nodes.write_text(nodes.read_text().replace("The eight-nation group meets in Cairo.", "Visit {decision}."))
    story = load_story(folder)
    state = start_at(story, "decision")
    assert story.nodes["decision"].text.render(state, "") == "Visit 1."


@pytest.mark.parametrize(
    "node, settings, message",
    [
        ("decison", [], '"decison" is not a node of this story (did you mean "decision"?)'),
        ("contingent", [], '"contingent" is an ending; a game can start only at a node'),
        ("decision", ["trust=4"], '"trust" is not a meter or flag of this story'),
        ("decision", ["us=140"], 'meter "us" is 0 to 100; 140 is outside that range'),
        ("decision", ["us=high"], 'meter "us" is a whole number from 0 to 100, not "high"'),
        ("decision", ["revisions_tabled=yes"], 'flag "revisions_tabled" is true or false, not "yes"'),
        ("decision", ["us"], 'expected METER=NUMBER or FLAG=true|false, not "us"'),
        ("decision", ["us=1", "us=2"], '"us" is set twice'),
    ],
)
def test_every_mistake_is_one_clear_line(starter: Story, node: str, settings: list[str], message: str) -> None:
    with pytest.raises(EngineError) as info:
        start_at(starter, node, parse_settings(starter, settings))
    assert str(info.value) == message
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ tightrope play --start --set
STARTER = ROOT / "tests" / "stories" / "starter"


def test_plain_play_starts_at_the_scene_with_the_meter_given(tmp_path: Path) -> None:
    proc = run_installed(
        "play",
        "--plain",
        "--story",
        str(STARTER),
        "--start",
        "decision",
        "--set",
        "us=40",
        "--seed",
        "1",
        cwd=tmp_path,
        stdin="q\n",
    )
    assert proc.returncode == 0, proc.stderr
    scene = proc.stdout.split("== The decision ==")[1]
    assert "The eight-nation group meets in Cairo." in scene
    assert "Meters: US relations 40, Gulf ties 50, Domestic stability 55" in scene
    assert "1. Send a medical and engineering contingent. (unavailable:" in scene  # us 40: locked


def test_play_refuses_a_start_or_value_the_story_cannot_take(tmp_path: Path) -> None:
    for args, message in (
        (["--start", "decison"], 'tightrope: --start: "decison" is not a node of this story (did you mean "decision"?)'),
        (["--set", "us=140"], 'tightrope: --set: meter "us" is 0 to 100; 140 is outside that range'),
    ):
        proc = run_installed("play", "--plain", "--story", str(STARTER), *args, cwd=tmp_path, stdin="")
        assert proc.returncode == 2 and proc.stderr.strip() == message, proc.stderr
        assert "Traceback" not in proc.stderr


def test_the_app_starts_its_new_games_there_too(tmp_path: Path) -> None:
    # the app's new-game dialog starts games through the same session
    from game.session import NewGame, Session, Settings

    settings = Settings(STARTER, tmp_path / "saves", start="decision", values=("revisions_tabled=true", "gulf=60"))
    session = Session.open(settings)
    try:
        state = session.start(NewGame("Amina", 4, True, False))
        assert (state.node, state.flags, state.meters[1]) == ("decision", (True,), 60)
        assert {o.choice.id for o in session.options() if o.enabled} == {"deploy", "stay_out", "push_hard"}
    finally:
        session.close()
