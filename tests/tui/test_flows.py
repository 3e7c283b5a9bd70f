"""Every flow of the Textual app, driven with Pilot (App.run_test)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input
from textual.widgets._footer import FooterKey

from game.cli import main
from game.saves import AUTOSAVE
from game.tui.dialogs import ConfirmDialog, InterludeScreen, NewGameDialog, ProblemsDialog
from game.tui.help import GlossaryScreen, HelpScreen
from game.tui.rationale import RationaleDialog
from game.tui.saves_screen import SavesDialog
from game.tui.screens import EndingScreen, GameScreen
from game.tui.title import TitleMenu, TitleScreen
from game.tui.widgets import ChoiceList, MetersPanel

from .conftest import STARTER, drive, make_app, press, scene_part, scene_spot, screen_text, type_into

MAIN_METERS = ("US relations", "Gulf ties", "Domestic stability")


async def new_game(pilot: Pilot[int]) -> None:
    await press(pilot, "n")
    assert isinstance(pilot.app.screen, NewGameDialog)
    await press(pilot, "enter")
    assert isinstance(pilot.app.screen, GameScreen)


def texts(pilot: Pilot[int]) -> str:
    return screen_text(pilot.app)  # type: ignore[arg-type]


def flat(text: object) -> str:
    """Text with every run of whitespace as one space (wrapping undone)."""
    return " ".join(str(text).split())


def widget_text(pilot: Pilot[int], selector: str) -> str:
    return flat(pilot.app.screen.query_one(selector).render())


# ------------------------------------------------------------------ playing
@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
def test_new_game_to_an_ending(saves: Path, size: tuple[int, int]) -> None:
    app = make_app(saves=saves, seed=1, name="Ayesha")

    async def script(pilot: Pilot[int]) -> None:
        assert isinstance(app.screen, TitleScreen)
        shown = texts(pilot)
        assert "T I G H T R O P E" in shown and "Content note:" in shown and "New game" in shown
        await new_game(pilot)
        for key in ("1", "1", "1"):
            shown = texts(pilot)
            for label in MAIN_METERS:
                assert label in shown, f"{label} not visible at {size}"
            await press(pilot, key)
        assert isinstance(app.screen, EndingScreen)
        shown = texts(pilot)
        assert "Ending: Blue helmets, careful rules" in shown
        assert "Debrief" in shown
        assert app.session.state is not None and app.session.state.ending == "contingent"

    drive(app, script, size)
    slot = app.session.game_slot()
    assert slot == f"Ayesha-{date.today().isoformat()}"  # a game of its own, named after the player and the day
    saved = json.loads((saves / f"{slot}.json").read_text())
    assert saved["ending"] == "contingent"
    assert [h["choice"] for h in saved["history"]] == ["commit", "address", "deploy"]


def test_ending_shows_debrief_questions_chart_and_review(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "1", "1")
        body = app.screen.query_one("#ending-body")
        text = "\n".join(str(w.render()) for w in body.query("Text"))
        assert "Debrief" in text and "Real as of 25 November 2025" in text
        assert "1. What did Pakistan gain and risk?" in text
        assert "You chose: Tell Washington Pakistan is ready in principle." in text
        assert "Author's note: Committing early buys goodwill and spends leverage." in text
        assert "Your decision: US relations +8, Domestic stability -6" in text
        chart = str(app.screen.query_one("#meter-chart").render())
        assert "US relations   50 → 64" in chart and "turn" in chart
        await press(pilot, "v")
        assert "Your decisions" in texts(pilot)

    drive(app, script)


def test_arrows_enter_and_clicks_choose_too_and_outcomes_show(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "down", "enter")  # the second choice: revise, which has a random outcome
        state = app.session.state
        assert state is not None and state.step is not None and state.step.choice == "revise"
        expected = {"accepted": "Cairo and Amman co-sign the text.", "ignored": "The draft circulates and stalls."}
        assert state.step.outcome is not None and expected[state.step.outcome] in texts(pilot)
        await press(pilot, "u")
        await pilot.click("#choices", offset=(4, 1))  # row 0 is the border
        await pilot.pause()
        state = app.session.state
        assert state is not None and state.step is not None and state.step.choice == "commit"

    drive(app, script)


def test_disabled_choice_is_greyed_with_its_reason_and_cannot_be_taken(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "3", "2")  # wait, then quiet: US relations 48, no revisions
        assert app.session.state is not None and app.session.state.node == "decision"
        choices = app.screen.query_one("#choices", ChoiceList)
        assert not choices.choices[0].enabled
        assert "Unavailable: Needs either Washington's confidence or a revised mandate." in flat(choices.prompt_text(0))
        assert choices.highlighted == 1  # the cursor starts on the first choice that can be taken
        before = app.session.state
        await press(pilot, "1")
        assert app.session.state is before  # nothing happened
        assert widget_text(pilot, "#status").startswith("Unavailable: Needs either")
        assert "Unavailable: Needs either" in texts(pilot)
        await press(pilot, "9")
        assert app.session.state is before
        assert widget_text(pilot, "#status") == "There are 3 choices here: press 1 to 3."

    drive(app, script)


def test_undo_with_u_and_ctrl_z(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "2")
        state = app.session.state
        assert state is not None and state.turn == 2
        await press(pilot, "u")
        assert app.session.state is not None and app.session.state.turn == 1
        assert app.session.state.node == "the_street"
        await press(pilot, "ctrl+z")
        assert app.session.state.turn == 0 and app.session.state.node == "the_cable"
        assert "The cable from Washington" in texts(pilot)
        await press(pilot, "u")
        assert widget_text(pilot, "#status") == "Nothing to undo."
        await press(pilot, "1", "1", "1")
        assert isinstance(app.screen, EndingScreen)
        await press(pilot, "u")  # from the ending back into the game
        assert isinstance(app.screen, GameScreen)
        assert app.session.state.node == "decision"

    drive(app, script)


def test_meter_changes_are_shown_for_a_moment(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MetersPanel, "DELTA_SECONDS", 1.5)
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")  # US relations +8, Domestic stability -6
        meters = app.screen.query_one("#meters", MetersPanel)
        assert meters.deltas["us"] == 8 and "58 ▲+8" in str(meters.meter_text("us"))
        assert "49 ▼-6" in str(meters.meter_text("domestic"))
        assert "58 ▲+8" in texts(pilot)
        assert "Your decision: US relations +8, Domestic stability -6" in flat(texts(pilot))
        await pilot.pause(1.7)
        assert "us" not in meters.deltas and "▲" not in str(meters.meter_text("us"))
        assert "58 ▲+8" not in texts(pilot) and "58" in texts(pilot)

    drive(app, script)


def test_threshold_warning_is_visible(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        state = app.session.state
        assert state is not None
        # domestic stability 20 is inside the warning band of the starter (below 15, warned within 15)
        app.session.state = replace(state, meters=(50, 50, 20))
        assert isinstance(app.screen, GameScreen)
        app.screen.redraw(fresh=False)
        await pilot.pause()
        shown = "! Warning, Domestic stability: Protests are spreading; one more blow could topple the cabinet."
        assert flat(scene_part(app, "warnings")) == shown
        assert "! Warning, Domestic stability: Protests are spreading" in texts(pilot)
        assert "domestic" in app.screen.query_one("#meters", MetersPanel).warned

    drive(app, script)


def test_event_interlude_shows_the_event_and_outcome(saves: Path) -> None:
    app = make_app(saves=saves, seed=6)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "2")  # commit, quiet: the photograph fires with seed 6
        assert isinstance(app.screen, InterludeScreen)
        shown = texts(pilot)
        assert "A photograph" in shown and "checkpoint spreads" in shown and "Hypothetical" in shown
        await press(pilot, "1")  # a number key only closes the interlude
        assert isinstance(app.screen, GameScreen)
        assert app.session.state is not None and app.session.state.turn == 2
        assert "Event: A photograph" in texts(pilot)

    drive(app, script)


def test_advisors_toggle(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        assert "Foreign Office\nWe voted yes with reservations." in scene_part(app, "advisors")
        assert "We voted yes with reservations." in texts(pilot)
        await press(pilot, "a")
        assert scene_part(app, "advisors") == "" and "We voted yes with reservations." not in texts(pilot)
        await press(pilot, "a")
        assert "Foreign Office\nWe voted yes with reservations." in scene_part(app, "advisors")

    drive(app, script)


def test_hidden_effects(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, show_effects=False)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        prompt = app.screen.query_one("#choices", ChoiceList).prompt_text(0)
        assert "Tell Washington" in prompt and "▲" not in prompt and "▼" not in prompt

    drive(app, script)


def test_title_menu_works_by_mouse_and_arrows(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        menu = app.screen.query_one("#menu", TitleMenu)

        def at(action: str) -> tuple[int, int]:  # where an item is drawn in the menu
            cols, cell = menu.grid()
            index = [item.action for item in menu.shown()].index(action)
            return menu.indent() + (index % cols) * (cell + menu.GUTTER) + 2, index // cols

        assert app.screen.focused is menu and menu.highlighted == "new_game"
        await pilot.hover("#menu", offset=at("help"))
        assert menu.hover == "help"
        await pilot.click("#menu", offset=at("glossary"))
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        await press(pilot, "escape")
        assert app.screen.focused is menu and menu.highlighted == "glossary"
        await press(pilot, "up", "up", "up", "up")  # Who's who, Endings, Load (no scenarios, Continue disabled), New game
        assert menu.highlighted == "new_game"
        await press(pilot, "up")  # stays at the first
        assert menu.highlighted == "new_game"
        await press(pilot, "end")
        assert menu.highlighted == "quit_confirm"
        await press(pilot, "home")
        assert menu.highlighted == "new_game"
        await press(pilot, "down", "down", "down", "down", "down")  # Load, Endings, Who's who, Glossary, Help
        assert menu.highlighted == "help"
        await press(pilot, "enter")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        await pilot.click("#menu", offset=at("continue_game"))  # disabled: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen) and menu.highlighted == "help"
        await pilot.click("#menu", offset=(at("load")[0] - 3, 0))  # the gutter between two items: nothing
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)
        await pilot.click("#menu", offset=at("new_game"))
        await pilot.pause()
        assert isinstance(app.screen, NewGameDialog)

    drive(app, script)


def test_new_game_dialog_fields(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        dialog = app.screen
        assert isinstance(dialog, NewGameDialog)
        await type_into(pilot, "#name", "Bo")
        dialog.query_one("#seed", Input).value = "42"
        dialog.query_one("#effects").value = False  # type: ignore[attr-defined]
        await press(pilot, "enter")
        s = app.session
        assert s.state is not None and s.state.seed == 42 and s.player == "Bo" and not s.show_effects

    drive(app, script)


def test_new_game_dialog_cancel_and_classroom_needs_a_name(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "escape")
        assert isinstance(app.screen, TitleScreen) and app.session.state is None
        await press(pilot, "n")
        app.screen.query_one("#classroom").value = True  # type: ignore[attr-defined]
        await press(pilot, "enter")
        assert isinstance(app.screen, NewGameDialog)
        assert "Please enter your name" in texts(pilot)

    drive(app, script)


# ------------------------------------------------------------------ saves
def test_save_then_load(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, name="Ayesha")

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        saved_state = app.session.state
        await press(pilot, "s")
        dialog = app.screen
        assert isinstance(dialog, SavesDialog)
        name = dialog.query_one("#slot-name", Input)
        assert name.value == "Ayesha"
        name.value = ""
        await type_into(pilot, "#slot-name", "first try")
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen)
        assert (saves / "first try.json").is_file()
        await press(pilot, "2")  # play on
        assert app.session.state is not None and app.session.state.turn == 2
        await press(pilot, "l")
        dialog = app.screen
        assert isinstance(dialog, SavesDialog)
        table = dialog.query_one("#slots", DataTable)
        names = [info.name for info in dialog.infos]
        assert set(names) == {"first try", app.session.game_slot()}
        assert "The street" not in texts(pilot)
        table.move_cursor(row=names.index("first try"))
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen)
        state = app.session.state
        assert state is not None and saved_state is not None
        assert (state.node, state.meters, state.turn) == (saved_state.node, saved_state.meters, saved_state.turn)

    drive(app, script)


def test_save_slot_list_shows_player_scene_date_and_ending(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, name="Ayesha")

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "1", "1", "l")
        shown = texts(pilot)
        assert app.session.game_slot() in shown and "Ayesha" in shown
        assert "Ending: Blue helmets, careful rules" in shown
        assert "Saved" in shown

    drive(app, script)


def test_overwriting_a_slot_asks_first_and_bad_names_are_refused(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "s")
        app.screen.query_one("#slots", DataTable).focus()
        await press(pilot, "enter")  # picking a row names the slot
        assert app.screen.query_one("#slot-name", Input).value == AUTOSAVE
        await press(pilot, "enter")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")
        assert isinstance(app.screen, SavesDialog)
        app.screen.query_one("#slot-name", Input).value = "../evil"
        await press(pilot, "enter")
        assert isinstance(app.screen, SavesDialog)
        assert "not a safe save name" in texts(pilot)
        assert not (saves.parent / "evil.json").exists()

    drive(app, script)


def test_delete_a_slot_with_confirmation(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        app.session.flush()  # autosaves are written in the background
        assert (saves / "autosave.json").is_file()
        await press(pilot, "l", "d")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")  # keep it
        assert (saves / "autosave.json").is_file()
        await press(pilot, "d", "y")
        assert not (saves / "autosave.json").exists()
        assert isinstance(app.screen, SavesDialog) and app.screen.infos == []
        assert "No saves yet" in texts(pilot)

    drive(app, script)


def test_continue_loads_the_latest_save(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, name="Ayesha")

    async def script(pilot: Pilot[int]) -> None:
        assert not app.screen.query_one("#menu", TitleMenu).is_enabled("continue_game")
        await new_game(pilot)
        await press(pilot, "1", "q", "y")
        assert isinstance(app.screen, TitleScreen)
        assert "Continue: Ayesha · Friday" in texts(pilot)
        app.session.state = None
        await press(pilot, "c")
        assert isinstance(app.screen, GameScreen)
        assert app.session.state is not None and app.session.state.node == "the_street"

    drive(app, script)


def test_broken_save_gives_a_message_and_is_not_overwritten(saves: Path) -> None:
    saves.mkdir(parents=True)
    bad = saves / "broken.json"
    bad.write_text('{"format_version": 2, "story": ')
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "l")
        assert "unreadable" in texts(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, TitleScreen)
        assert app.session.state is None
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "not valid JSON" in errors[-1].message

    drive(app, script)
    assert bad.read_text() == '{"format_version": 2, "story": '


def test_load_argument_opens_the_game_and_a_bad_one_is_a_message(saves: Path) -> None:
    first = make_app(saves=saves, seed=1)

    async def play(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "1")

    drive(first, play)
    app = make_app(saves=saves, load=AUTOSAVE)

    async def check(pilot: Pilot[int]) -> None:
        assert isinstance(app.screen, GameScreen)
        assert app.session.state is not None and app.session.state.node == "decision"

    drive(app, check)
    missing = make_app(saves=saves, load="nothing-here")

    async def check_missing(pilot: Pilot[int]) -> None:
        assert isinstance(missing.screen, TitleScreen)
        assert any(n.severity == "error" for n in missing._notifications)

    drive(missing, check_missing)


def test_per_player_saves_need_a_name_and_stay_apart(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, per_player=True)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        assert isinstance(app.screen, NewGameDialog)  # a name is required
        await type_into(pilot, "#name", "Ali Khan")
        await press(pilot, "enter")
        assert isinstance(app.screen, GameScreen)
        await press(pilot, "1")

    drive(app, script)
    assert (saves / "Ali-Khan" / f"Ali-Khan-{date.today().isoformat()}.json").is_file()
    assert not list(saves.glob("*.json"))
    other = make_app(saves=saves, seed=1, per_player=True)

    async def load_other(pilot: Pilot[int]) -> None:
        await press(pilot, "l")
        await type_into(pilot, "#name", "Sara")  # whose saves?
        await press(pilot, "enter")
        assert isinstance(other.screen, SavesDialog)
        assert other.screen.infos == []  # Ali's saves are not Sara's

    drive(other, load_other)


# ------------------------------------------------------------------ help and glossary
def test_help_lists_every_key(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#keys").render())
        for key in ("1-9", "u  ctrl+z", "s ", "l ", "g ", "a ", "? ", "q ", "r  ctrl+r", "e ", "ctrl+p"):
            assert key in keys
        assert "US relations (0 to 100, starts at 50)" in str(app.screen.query_one("#meter-help").render())
        await press(pilot, "escape")
        assert isinstance(app.screen, TitleScreen)

    drive(app, script)


def test_glossary_search(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "g")
        assert isinstance(app.screen, GlossaryScreen)
        terms = app.screen.query_one("#terms")
        assert "ISF" in str(terms.render())
        await type_into(pilot, "#search", "stabil")  # matches the definition
        assert "International Stabilization Force" in str(terms.render())
        assert "1 of 1 terms match" in texts(pilot)
        await type_into(pilot, "#search", "zzz")
        assert "ISF" not in str(terms.render())
        assert "0 of 1 terms match" in texts(pilot)
        await press(pilot, "escape")
        assert isinstance(app.screen, TitleScreen)

    drive(app, script)


# ------------------------------------------------------------------ reload
def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_hot_reload_of_a_valid_story_keeps_the_game(saves: Path, starter_copy: Path) -> None:
    app = make_app(story=starter_copy, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        before = app.session.state
        assert before is not None
        _edit(starter_copy / "nodes.yaml", "Crowds gather after Friday prayers.", "Crowds fill the square after Friday prayers.")
        await press(pilot, "r")
        after = app.session.state
        assert after is not None and after is not before
        assert (after.node, after.meters, after.turn) == (before.node, before.meters, before.turn)
        assert "Crowds fill the square after Friday prayers." in flat(scene_part(app, "text"))
        await press(pilot, "ctrl+r")
        assert isinstance(app.screen, GameScreen)

    drive(app, script)


def test_hot_reload_of_a_broken_story_shows_errors_and_keeps_the_old_one(saves: Path, starter_copy: Path) -> None:
    app = make_app(story=starter_copy, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        old_story = app.session.story
        _edit(starter_copy / "nodes.yaml", "goto: the_street\n        note:", "goto: the_stret\n        note:")
        await press(pilot, "r")
        assert isinstance(app.screen, ProblemsDialog)
        lines = str(app.screen.query_one("#problem-lines").render()).splitlines()
        assert lines and all(line.split(":")[0].endswith(".yaml") for line in lines)
        assert any("nodes.yaml:" in line and "the_stret" in line for line in lines)
        assert app.session.story is old_story
        await press(pilot, "enter")
        await press(pilot, "1")  # the old story still plays
        assert app.session.state is not None and app.session.state.node == "the_street"

    drive(app, script)


def test_hot_reload_when_the_scene_vanished_offers_the_nearest_place(saves: Path, starter_copy: Path) -> None:
    app = make_app(story=starter_copy, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        assert app.session.state is not None and app.session.state.node == "the_street"
        old = app.session.story
        nodes = starter_copy / "nodes.yaml"
        nodes.write_text(nodes.read_text().replace("the_street", "the_square"))
        await press(pilot, "r", "n")  # no: keep playing the old story
        assert app.session.story is old and app.session.state is not None and app.session.state.node == "the_street"
        await press(pilot, "r")
        assert isinstance(app.screen, ConfirmDialog)
        assert 'The current scene "the_street" is not in the reloaded story.' in widget_text(pilot, ".dialog-title")
        await press(pilot, "y")
        state = app.session.state
        assert isinstance(app.screen, GameScreen)
        assert state is not None and state.node == "the_cable" and state.meters == (58, 50, 49)
        assert "The cable from Washington" in texts(pilot)
        await press(pilot, "u")  # the history carried over
        assert app.session.state is not None and app.session.state.turn == 0

    drive(app, script)


# ------------------------------------------------------------------ hostile text
# YAML double-quoted escapes: \e is ESC, \a is BEL, so the story carries real control characters
HOSTILE_YAML = '"Press [@click=app.quit]here[/] or [bold]this[/bold] \\e[31mred\\e[0m \\e]0;pwned\\a ok."'


def test_hostile_story_text_is_shown_literally(saves: Path, starter_copy: Path) -> None:
    _edit(
        starter_copy / "nodes.yaml",
        "text: |\n      Crowds gather after Friday prayers. Domestic stability: {domestic}.\n",
        f"text: {HOSTILE_YAML}\n",
    )
    _edit(starter_copy / "nodes.yaml", "title: Friday", "title: '[b]Friday[/b] [@click=app.bell]x[/]'")
    app = make_app(story=starter_copy, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        text = scene_part(app, "text")
        assert "[@click=app.quit]here[/]" in text and "[bold]this[/bold]" in text
        assert "\x1b" not in text and "\x07" not in text and "pwned" not in text
        shown = texts(pilot)
        assert "[@click=app.quit]here[/] or [bold]this[/bold]" in shown
        assert "[b]Friday[/b] [@click=app.bell]x[/]" in shown
        await pilot.click("#scene", offset=scene_spot(app, "text", 8))  # on the would-be link
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert isinstance(app.screen, GameScreen)

    drive(app, script)


# ------------------------------------------------------------------ classroom
def test_classroom_rationale_prompt_at_key_decisions(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, name="Ayesha Khan", classroom=True, min_rationale=20)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        assert app.session.classroom
        await press(pilot, "1")  # the cable is a key decision
        dialog = app.screen
        assert isinstance(dialog, RationaleDialog)
        assert "Tell Washington Pakistan is ready in principle." in texts(pilot)
        await type_into(pilot, "#rationale", "too short")
        await press(pilot, "enter")
        assert isinstance(app.screen, RationaleDialog)  # not locked in
        assert dialog.query_one("#lock", Button).disabled
        assert app.session.state is not None and app.session.state.turn == 0
        await press(pilot, "escape")  # back to the choices: nothing chosen
        assert isinstance(app.screen, GameScreen) and app.session.state.turn == 0
        await press(pilot, "1")
        await type_into(pilot, "#rationale", "Goodwill now buys a seat at the table.")
        await press(pilot, "enter")
        state = app.session.state
        assert isinstance(app.screen, GameScreen)
        assert state is not None and state.step is not None
        assert state.step.rationale == "Goodwill now buys a seat at the table."
        await press(pilot, "1")  # the street is not a key decision: no prompt
        assert isinstance(app.screen, GameScreen) and app.session.state.turn == 2

    drive(app, script)
    slot = saves / f"{app.session.game_slot()}.json"
    assert slot.name.startswith("Ayesha-Khan-")
    data = json.loads(slot.read_text())
    assert data["history"][0]["rationale"] == "Goodwill now buys a seat at the table."
    assert data["play_settings"]["classroom"] is True


def test_classroom_mode_from_the_dialog_and_export(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, min_rationale=5)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        await type_into(pilot, "#name", "Bo")
        app.screen.query_one("#classroom").value = True  # type: ignore[attr-defined]
        await press(pilot, "enter", "1")
        await type_into(pilot, "#rationale", "because")
        await press(pilot, "enter", "1", "1")
        assert isinstance(app.screen, EndingScreen)
        hints = [flat(w.render()) for w in app.screen.query_one("#ending-body").query(".hint")]
        assert any("Press e to export" in h for h in hints)
        await press(pilot, "e")
        done = [n for n in app._notifications if n.title == "Exported"]
        assert done, [n.message for n in app._notifications]

    drive(app, script)
    record = saves / f"{app.session.game_slot()}.transcript.md"
    assert record.name.startswith("Bo-")
    assert record.is_file() and "because" in record.read_text()


def test_a_failing_export_is_a_message_and_is_not_retried(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer bug is reported; the export is not tried again without the game's story (against the shipped one)."""
    calls: list[dict[str, object]] = []

    def broken(*args: object, **kwargs: object) -> Path:
        calls.append(kwargs)
        raise TypeError("a renderer bug")

    monkeypatch.setattr("game.records.transcript.export_transcript", broken)
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1", "1", "1", "e")
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "export failed: a renderer bug" in errors[-1].message
        assert isinstance(app.screen, EndingScreen)

    drive(app, script)
    assert len(calls) == 1 and calls[0]["story"] is app.session.story


# ------------------------------------------------------------------ app
def test_back_and_quit_ask_first(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "q")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "escape")
        assert isinstance(app.screen, GameScreen)
        await press(pilot, "q", "y")
        assert isinstance(app.screen, TitleScreen)
        await press(pilot, "q")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "n")
        assert isinstance(app.screen, TitleScreen)
        await press(pilot, "q", "y")

    drive(app, script)
    assert app.return_code == 0


def test_command_palette_offers_the_game_commands(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in ("New game", "Save", "Load", "Undo", "Glossary", "Theme", "Reload story", "Help", "Advisors"):
            assert wanted in titles
        await press(pilot, "ctrl+p")
        await type_into(pilot, "CommandInput", "glossary")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        assert isinstance(app.screen, GlossaryScreen)

    drive(app, script)


def test_themes_include_tightrope(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        assert app.theme == "tightrope"
        assert {"tightrope", "tightrope-paper", "textual-dark", "textual-light"} <= set(app.available_themes)
        app.theme = "tightrope-paper"
        await pilot.pause()
        assert app.current_theme.dark is False

    drive(app, script)


def test_no_color_keeps_the_meaning_without_colour(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        assert app.no_color
        await new_game(pilot)
        await press(pilot, "1")
        shown = texts(pilot)
        assert "▲+8" in shown and "▼-6" in shown  # signs and arrows, not colour alone
        assert "Domestic\u00a0stability\u00a0▼" in app.screen.query_one("#choices", ChoiceList).prompt_text(1)

    drive(app, script)


def test_story_that_fails_to_load_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = Path(__file__).resolve().parents[1] / "stories" / "broken" / "unknown_target"
    code = main(["play", "--story", str(broken), "--saves", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("tightrope: the story cannot be loaded:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_autosave_name_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["play", "--story", str(STARTER), "--saves", str(tmp_path), "--autosave", "../x"])
    assert code == 2 and "not a safe save name" in capsys.readouterr().err


def test_autosave_argument_is_written_after_every_decision(saves: Path) -> None:
    app = make_app(saves=saves, seed=1, autosave="lesson")

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        await press(pilot, "1")

    drive(app, script)
    assert json.loads((saves / "lesson.json").read_text())["node"] == "the_street"
    assert json.loads((saves / "autosave.json").read_text())["node"] == "the_street"


def test_the_shipped_story_opens(saves: Path) -> None:
    story = Path(__file__).resolve().parents[2] / "story"
    app = make_app(story=story, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await new_game(pilot)
        shown = texts(pilot)
        for label in MAIN_METERS:
            assert label in shown

    drive(app, script, (80, 24))


def footer_keys(pilot: Pilot[int]) -> list[str]:
    return [key.description for key in pilot.app.screen.query(FooterKey)]


def test_a_class_neither_sees_nor_uses_the_reload_key(saves: Path, starter_copy: Path) -> None:
    """Reloading the story is an author's key: gone from the footer in classroom mode, and r does nothing."""
    author = make_app(story=starter_copy, saves=saves / "author", seed=1)

    async def authoring(pilot: Pilot[int]) -> None:
        assert "Reload" in footer_keys(pilot)
        await new_game(pilot)
        assert "Reload" in footer_keys(pilot)
        before = author.session.story
        await press(pilot, "r")
        assert author.session.story is not before  # read again

    drive(author, authoring)
    student = make_app(story=starter_copy, saves=saves / "class", seed=1, classroom=True, name="Amina")

    async def in_class(pilot: Pilot[int]) -> None:
        assert "Reload" not in footer_keys(pilot)
        await press(pilot, "n")
        await pilot.pause()
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, GameScreen)
        assert "Reload" not in footer_keys(pilot) and "Undo" in footer_keys(pilot)
        before = student.session.story
        await press(pilot, "r", "ctrl+r")
        assert student.session.story is before and isinstance(pilot.app.screen, GameScreen)

    drive(student, in_class)
