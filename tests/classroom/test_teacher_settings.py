"""The teacher's settings reach every student (issue 13): fixed in New game, rationales never read as keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, TextArea

from game.saves import read_envelope
from game.tui.dialogs import NewGameDialog
from game.tui.rationale import RationaleDialog
from game.tui.screens import GameScreen

from ..tui.conftest import drive, make_app, press, screen_text, type_into

# a rationale made of the app's own keys: s save, l load, u undo, q quit, n new, g glossary, e export, a advisors
TYPED = "slow quiet undo is no longer a game plan"


@pytest.fixture
def saves(tmp_path: Path) -> Path:
    return tmp_path / "saves"


def test_new_game_shows_the_class_settings_fixed_and_keys_go_into_the_rationale(saves: Path) -> None:
    # what `tightrope serve --classroom --seed 7 --min-rationale 30 --no-undo` starts for every tab
    app = make_app(saves=saves, per_player=True, classroom=True, seed=7, min_rationale=30, no_undo=True)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        dialog = app.screen
        assert isinstance(dialog, NewGameDialog)
        assert not dialog.query("#seed") and not dialog.query("#classroom")
        assert "Set for this class:" in screen_text(app)
        fixed = " ".join(str(dialog.query_one("#fixed").render()).split())
        assert "Seed 7: the whole class meets the same events" in fixed
        assert "(at least 30 characters)" in fixed and "Undo is off" in fixed
        await type_into(pilot, "#name", "Amina Q")
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen)
        s = app.session
        assert s.classroom and s.state is not None and s.state.seed == 7 and s.min_rationale == 30
        await press(pilot, "1")
        assert isinstance(app.screen, RationaleDialog)
        for ch in TYPED:
            await pilot.press("space" if ch == " " else ch)
        assert isinstance(app.screen, RationaleDialog)  # no Save, Load, Quit or New game dialog opened
        assert app.screen.query_one(TextArea).text == TYPED
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen) and s.state.turn == 1
        await press(pilot, "u")
        assert s.state.turn == 1 and "Undo is turned off for this game by your teacher." in screen_text(app)
        s.flush()

    drive(app, script)
    (save,) = saves.rglob("*.json")
    data = read_envelope(save)
    assert data.history[0].rationale == TYPED and data.seed == 7
    assert data.settings is not None and data.settings.classroom and data.settings.no_undo
    assert data.settings.min_rationale == 30


def test_at_home_the_boxes_are_there(saves: Path) -> None:
    app = make_app(saves=saves, seed=3)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        dialog = app.screen
        assert isinstance(dialog, NewGameDialog)
        assert dialog.query_one("#seed", Input).value == "3" and not dialog.query_one("#classroom", Checkbox).value
        assert "Set for this class" not in screen_text(app)

    drive(app, script)


def test_a_tab_under_a_name_already_playing_is_told_its_game_is_kept_apart(saves: Path) -> None:
    from datetime import date

    from game.saves import SlotLock

    today = date.today().isoformat()
    other_tab = SlotLock.acquire(saves / "Amina-Q" / f"Amina-Q-{today}.json", "Amina Q")  # her game open elsewhere
    app = make_app(saves=saves, per_player=True, classroom=True, seed=7, min_rationale=5)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        await type_into(pilot, "#name", "Amina Q")
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen)
        told = [n.message for n in app._notifications]
        assert any("Amina Q's game (open since" in m and f'kept apart in the save "Amina-Q-{today}-2"' in m for m in told), told

    try:
        drive(app, script)
    finally:
        other_tab.release()
