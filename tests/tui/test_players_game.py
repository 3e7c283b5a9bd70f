"""The player's game (issue 15): every choice visible at 80x24, honest feedback, endings to collect, a fast start.

Pilot tests, one or more for each fix: the layout at 80x24 (every choice and the
main meters at once, a choice always drawn whole), scroll keys, the status line,
notifications, pop-up sizes, the message below 80x24, the gallery of endings,
the seed and play again, glossary terms in the scene, the cast, scenarios, the
author's watch, and the title drawn before the story is loaded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from game.engine import jump, options
from game.errors import UsageError
from game.present import effect_hints
from game.session import Session, Settings
from game.story import load_story
from game.story.text import clean_line
from game.tui.app import TightropeApp
from game.tui.dialogs import ConfirmDialog, InterludeScreen, NewGameDialog, ProblemsDialog, ScenarioDialog
from game.tui.help import CastScreen, DecisionsScreen, EndingsScreen, GlossaryScreen, HelpScreen, WatchScreen
from game.tui.page import Page
from game.tui.rationale import RationaleDialog
from game.tui.saves_screen import SavesDialog
from game.tui.screens import EndingScreen, GameScreen
from game.tui.title import TitleScreen, TooSmallScreen
from game.tui.widgets import ChoiceList, MetersPanel

from .conftest import STARTER, drive, make_app, press, scene_part, scene_spot, screen_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "story"
CAST = ROOT / "tests" / "stories" / "cast"
MAIN_METERS = ("US relations", "Gulf ties", "Domestic stability")


def flat(text: object) -> str:
    return " ".join(str(text).split())


def region_text(app: TightropeApp, region: Region) -> str:
    """What the terminal shows inside a region (the whole screen text, cropped)."""
    lines = screen_text(app).splitlines()
    return "\n".join(line[region.x : region.right] for line in lines[region.y : region.bottom])


def choice_line(story: object, opt: object) -> str:
    """A choice as it should read on screen: number, text, then its hints (or why it is unavailable)."""
    from game.engine import Option

    assert isinstance(opt, Option)
    text = clean_line(opt.choice.text)
    if not opt.enabled:
        return f"{text} Unavailable: {clean_line(opt.reason)}"
    hints = " · ".join(f"{h.label} {h.sign}" for h in effect_hints(story, opt.choice))  # type: ignore[arg-type]
    return f"{text} {hints}".strip()


def inside(widget: Widget, app: TightropeApp) -> bool:
    r = widget.region
    return r.width > 0 and r.height > 0 and r.x >= 0 and r.y >= 0 and r.right <= app.size.width and r.bottom <= app.size.height


async def start(pilot: Pilot[int]) -> None:
    await press(pilot, "n", "enter")
    assert isinstance(pilot.app.screen, GameScreen)


async def show_node(pilot: Pilot[int], node: str) -> None:
    app = pilot.app
    assert isinstance(app, TightropeApp)
    s = app.session
    assert s.state is not None
    s.state = jump(s.story, s.state, node)
    screen = app.screen
    assert isinstance(screen, GameScreen)
    screen.redraw(fresh=False)
    await pilot.pause()


def assert_choices_whole(app: TightropeApp, every_one_visible: bool = True) -> None:
    """Each choice is drawn with its number, its whole text and its hints; with every_one_visible, without scrolling."""
    screen = app.screen
    assert isinstance(screen, GameScreen)
    choices = screen.query_one("#choices", ChoiceList)
    shown = flat(region_text(app, choices.content_region))
    s = app.session
    opts = options(s.story, s.state)  # type: ignore[arg-type]
    if every_one_visible:
        assert choices.max_scroll_y == 0, f"the choices scroll at {app.size}"
        for n, opt in enumerate(opts, 1):
            assert f"{n} {choice_line(s.story, opt)}" in shown, (n, shown)
    for k, opt in enumerate(opts):  # drawn whole, even where the list would scroll
        assert flat(choices.prompt_text(k)) == flat(f"{k + 1} {choice_line(s.story, opt)}")


async def settled_choices_whole(pilot: Pilot[int], every_one_visible: bool = True, within: float = 3.0) -> None:
    """assert_choices_whole once the screen has settled: a change of width (a panel shown or hidden,
    the terminal resized) is laid out over two refreshes, the second when the widgets hear their new
    size; a player sees the first for a frame or two. Fails if it never settles within ``within`` s."""
    app = pilot.app
    assert isinstance(app, TightropeApp)
    deadline = time.monotonic() + within
    while True:
        await pilot.pause(0.05)
        try:
            assert_choices_whole(app, every_one_visible)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


# ------------------------------------------------------------------ the screen at 80x24
def test_first_decision_at_80x24_every_choice_and_the_main_meters(saves: Path) -> None:
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        shown = screen_text(app)
        for label in MAIN_METERS:
            assert label in shown
        node = app.session.node
        assert clean_line(node.title) in shown  # the scene's opening
        assert_choices_whole(app)
        scene = app.screen.query_one("#scene")
        assert scene.region.height >= 6, "the scene keeps room to read"

    drive(app, script, (80, 24))


def test_every_scene_of_the_shipped_story_draws_every_choice_whole_at_80x24(saves: Path) -> None:
    """Every node, not only the first: choices are never cut, re-wrapped badly or missing their hints."""
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        for node in app.session.story.nodes:
            await show_node(pilot, node)
            assert_choices_whole(app, every_one_visible=len(app.session.options()) <= 5)

    drive(app, script, (80, 24))


def test_eight_delegations_after_reload_and_the_palettes_keys(saves: Path) -> None:
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        await show_node(pilot, "a2_eight_meeting")
        assert "Eight delegations" in screen_text(app)
        assert_choices_whole(app)
        await press(pilot, "r")  # reload: the screen is rebuilt
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)
        await settled_choices_whole(pilot)
        app.action_show_help_panel()  # the palette's "Keys": a panel takes part of the width
        await settled_choices_whole(pilot, every_one_visible=False)
        app.action_hide_help_panel()
        await settled_choices_whole(pilot)
        await pilot.resize_terminal(100, 30)
        await settled_choices_whole(pilot)

    drive(app, script, (80, 24))


def test_page_keys_scroll_the_scene_not_the_choices(saves: Path) -> None:
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        scene = app.screen.query_one("#scene")
        choices = app.screen.query_one("#choices", ChoiceList)
        assert scene.max_scroll_y > 0  # the first scene is longer than its room at 80x24
        assert choices.highlighted == 0
        await press(pilot, "pagedown")
        assert scene.scroll_y > 0 and choices.highlighted == 0
        await press(pilot, "pageup")
        assert scene.scroll_y == 0 and choices.highlighted == 0
        first = app.session.options()[0].choice
        await press(pilot, "pagedown", "enter")  # takes the highlighted (first) choice, not the last
        state = app.session.state
        assert state is not None and state.step is not None and state.step.choice == first.id

    drive(app, script, (80, 24))


def test_the_help_says_how_to_scroll(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#keys").render())
        assert "PgUp  PgDn" in keys and "scroll the scene (not the choices)" in keys
        assert "PageUp and PageDown scroll a long scene" in flat(
            app.screen.query_one("#help-body").query("Text").first().render()
        )

    drive(app, script)


def test_status_messages_clear_when_they_stop_being_true(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        await press(pilot, "1", "u")
        status = app.screen.query_one("#status")
        assert status.display and "Undone: back to The cable from Washington." in flat(status.render())
        await press(pilot, "1")  # a new decision: "Undone" is no longer true
        assert not status.display and flat(status.render()) == ""
        await press(pilot, "a")
        assert status.display  # a new message shows again
        await press(pilot, "1")
        assert not status.display

    drive(app, script, (80, 24))


def test_notifications_never_cover_the_title_menu_or_a_choice(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        app.notify("A long notification that would once have sat on the menu at the bottom right.", timeout=30)
        await pilot.pause()
        toasts = list(app.screen.query("Toast"))
        assert toasts
        menu = app.screen.query_one("#menu").region
        for toast in toasts:
            assert not toast.region.overlaps(menu)
        await start(pilot)
        app.tell("Saved to somewhere.")  # in the game, messages go to the status line
        await pilot.pause()
        assert "Saved to somewhere." in flat(app.screen.query_one("#status").render())
        app.notify("A warning from below.", timeout=30)
        await pilot.pause()
        choices = app.screen.query_one("#choices").region
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(choices)

    drive(app, script, (80, 24), notifications=True)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
def test_meter_labels_are_whole_while_a_change_shows(saves: Path, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MetersPanel, "DELTA_SECONDS", 600.0)
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        await press(pilot, "1")
        while isinstance(app.screen, InterludeScreen):
            await press(pilot, "enter")
        state = app.session.state
        assert state is not None and state.step is not None
        shown = screen_text(app)
        for mid, delta in state.step.changes:
            label = clean_line(app.session.story.meter(mid).label)
            arrow = ("▲" if delta > 0 else "▼") + (f"+{delta}" if delta > 0 else str(delta))
            assert any(label in line and arrow in line for line in shown.splitlines()), (label, arrow)

    drive(app, script, size)


# ------------------------------------------------------------------ pop-ups and small terminals
def test_pop_ups_fit_at_80x24(saves: Path, starter_copy: Path) -> None:
    long = "A very long interlude. " * 120
    app = make_app(story=starter_copy, saves=saves, seed=6, classroom=True, name="Bo")

    async def fits(pilot: Pilot[int]) -> None:
        await pilot.pause()
        dialog = app.screen.query_one(".dialog")
        assert inside(dialog, app), (type(app.screen).__name__, dialog.region)
        for button in app.screen.query("Button"):
            assert inside(button, app), (type(app.screen).__name__, button.id, button.region)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n")
        await fits(pilot)
        await press(pilot, "enter")
        for _ in range(12):  # saves to list
            app.session.save(f"slot {_}")
        for key, kind in (("s", SavesDialog), ("l", SavesDialog), ("question_mark", HelpScreen), ("g", GlossaryScreen)):
            await press(pilot, key)
            assert isinstance(app.screen, kind)
            await fits(pilot)
            await press(pilot, "escape")
        await press(pilot, "q")
        assert isinstance(app.screen, ConfirmDialog)
        await fits(pilot)
        await press(pilot, "escape")
        await press(pilot, "1")
        assert isinstance(app.screen, RationaleDialog)
        await fits(pilot)
        await press(pilot, "escape")
        decision = app.session.choose("commit", "because " * 10)
        from game.present import EventReport

        big = replace(decision, outcome_text=long, events=(EventReport("x", "A long event", "Hypothetical", long, ()),))
        app.push_screen(InterludeScreen(big))
        await fits(pilot)
        await press(pilot, "enter")
        app.push_screen(ProblemsDialog("The story has 40 errors.", [f"nodes.yaml:{n}:1: error R001: x" for n in range(40)]))
        await fits(pilot)

    drive(app, script, (80, 24))


def test_below_80x24_a_plain_message_instead_of_a_squashed_layout(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        assert isinstance(app.screen, TooSmallScreen)
        assert "needs a terminal of at least 80 columns by 24 rows" in flat(screen_text(app))
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert isinstance(app.screen, TitleScreen)
        await start(pilot)
        await pilot.resize_terminal(79, 30)
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert isinstance(app.screen, GameScreen)  # the game comes back as it was

    drive(app, script, (60, 20))


# ------------------------------------------------------------------ endings found, the seed, play again
def test_endings_found_survive_a_relaunch_and_the_gallery_hides_the_others(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def first(pilot: Pilot[int]) -> None:
        assert "Endings found: 0 of 3" in flat(screen_text(app))
        await start(pilot)
        await press(pilot, "1", "1", "1")
        assert isinstance(app.screen, EndingScreen)
        assert "A new ending! Endings found: 1 of 3" in flat(app.screen.query_one("#found").render())

    drive(app, first)
    again = make_app(saves=saves, seed=1)

    async def relaunch(pilot: Pilot[int]) -> None:
        assert "Endings found: 1 of 3" in flat(screen_text(again))
        await press(pilot, "f")
        assert isinstance(again.screen, EndingsScreen)
        shown = flat(again.screen.query_one("#list-text").render())
        assert "1 of 3 endings found" in shown and "Blue helmets, careful rules" in shown
        others = [e.title for e in again.session.story.endings.values() if e.id != "contingent"]
        assert all(title not in shown for title in others) and shown.count("? ? ? not found yet") == 2

    drive(again, relaunch)


def test_the_seed_is_shown_and_play_again_starts_the_same_game(saves: Path) -> None:
    app = make_app(saves=saves)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        state = app.session.state
        assert state is not None
        assert f"Seed {state.seed}" in screen_text(app)  # in the top bar
        await press(pilot, "2", "1", "1")  # revise has a random outcome
        while not isinstance(app.screen, EndingScreen):
            await press(pilot, "enter")
        first = app.session.state
        assert first is not None
        assert f"Seed {first.seed}" in flat(app.screen.query_one("#seed-line").render())
        slot = app.session.game_slot()
        await press(pilot, "p")
        assert isinstance(app.screen, GameScreen)
        assert app.session.state is not None and app.session.state.seed == first.seed and app.session.state.turn == 0
        assert app.session.game_slot() != slot  # the finished game keeps its own save
        await press(pilot, "2", "1", "1")
        while not isinstance(app.screen, EndingScreen):
            await press(pilot, "enter")
        again = app.session.state
        assert again is not None and (again.ending, again.meters, again.step) == (first.ending, first.meters, first.step)

    drive(app, script)
    assert len(list(saves.glob("*.json"))) == 2


# ------------------------------------------------------------------ honest feedback
def test_the_decisions_changes_and_the_events_are_apart_in_the_box_and_the_review(saves: Path) -> None:
    app = make_app(saves=saves, seed=6)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        await press(pilot, "1", "1")  # commit, address: the photograph fires with seed 6
        assert isinstance(app.screen, InterludeScreen)
        pop = flat(screen_text(app))
        assert "Your decision changed: Domestic stability +4" in pop and "This event changed: Domestic stability -6" in pop
        await press(pilot, "enter")
        box = flat(scene_part(app, "happened"))
        assert "Your decision: Domestic stability +4" in box and "Event: A photograph · Domestic stability -6" in box
        await press(pilot, "v")
        assert isinstance(app.screen, DecisionsScreen)
        review = flat(app.screen.query_one("#list-text").render())
        assert "Your decision: Domestic stability +4 Event: A photograph · Domestic stability -6" in review

    drive(app, script)


def test_warnings_escalate(saves: Path) -> None:
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        s = app.session
        assert s.state is not None
        seen = []
        for value in (24, 16, 11):
            meters = list(s.state.meters)
            meters[s.story.meter_index["domestic"]] = value
            s.state = replace(s.state, meters=tuple(meters))
            assert isinstance(app.screen, GameScreen)
            app.screen.redraw(fresh=False)
            await pilot.pause()
            seen.append(flat(scene_part(app, "warnings")))
        assert seen[0].startswith("! Warning, Domestic stability: ")
        assert seen[1].startswith("!! Serious warning, Domestic stability: ")
        assert seen[2].startswith("!!! Final warning, Domestic stability: ")
        assert len({w.split(": ", 1)[1] for w in seen}) == 3  # three different texts

    drive(app, script, (80, 24))


# ------------------------------------------------------------------ glossary, cast, scenarios, the watch
def test_glossary_terms_are_marked_in_the_scene_and_open_from_it(saves: Path) -> None:
    app = make_app(story=SHIPPED, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        screen = app.screen
        assert isinstance(screen, GameScreen)
        terms = screen.scene_terms()
        assert terms
        block = screen.query_one("#scene", Page).block("text")
        assert block is not None
        marked = [span for span in block.text.spans if "underline" in str(span.style)]
        assert len(marked) == len(terms)
        screen.action_term(terms[0])
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        term = clean_line(app.session.story.glossary[terms[0]].term)
        assert flat(app.screen.query_one("#terms").render()).startswith(term)
        await press(pilot, "escape", "g")  # g from a scene: its own terms first
        assert isinstance(app.screen, GlossaryScreen)
        assert "underlined in this scene come first" in flat(app.screen.query_one("#glossary-count").render())

    drive(app, script, (100, 30))


def test_story_markup_in_a_glossary_term_is_never_an_action(saves: Path, starter_copy: Path) -> None:
    story = starter_copy / "story.yaml"
    story.write_text(story.read_text().replace("- term: ISF", '- term: "[@click=app.quit]ISF"'))
    nodes = starter_copy / "nodes.yaml"
    nodes.write_text(nodes.read_text().replace("Three days after", "[@click=app.quit]ISF: Three days after", 1))
    app = make_app(story=starter_copy, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        screen = app.screen
        assert isinstance(screen, GameScreen)
        assert "[@click=app.quit]ISF" in screen_text(app)
        for term in screen.scene_terms():
            screen.action_term(term)
            await pilot.pause()
            assert app.is_running
            await press(pilot, "escape")
        await pilot.click("#scene", offset=scene_spot(app, "text", 2))
        await pilot.pause()
        assert app.is_running and app.return_code is None

    drive(app, script)


def test_speakers_are_named_and_the_cast_is_marked_invented(saves: Path) -> None:
    app = make_app(story=CAST, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        advisors = scene_part(app, "advisors")
        assert "Sana Mirza, Director, UN desk, Foreign Office\nPut the reservations in writing first." in advisors
        assert "Lt Gen Tariq Hayat, Corps commander, speaking for the planners\n" in advisors
        assert "Ministry of Finance\nTell the partners first." in advisors
        await press(pilot, "w")
        assert isinstance(app.screen, CastScreen)
        cast = flat(app.screen.query_one("#list-text").render())
        assert "Sana Mirza invented Director, UN desk, Foreign Office" in cast
        assert cast.count("invented") >= 3

    drive(app, script)


def test_the_title_offers_the_scenarios(saves: Path) -> None:
    app = make_app(story=CAST, saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        assert "Endings found: 0 of 1" in flat(screen_text(app))  # the full story
        await press(pilot, "s")
        assert isinstance(app.screen, ScenarioDialog)
        await press(pilot, "down", "enter")
        assert app.session.story.scenario is not None and app.session.story.scenario.id == "short"
        shown = flat(screen_text(app))
        assert "Scenario: The first week only" in shown and "Endings found: 0 of 2" in shown
        await start(pilot)
        await press(pilot, "1", "1")
        assert isinstance(app.screen, EndingScreen) and app.session.state is not None
        assert app.session.state.ending == "short_ahead"
        await press(pilot, "q", "s", "up", "enter")  # back to the full story
        assert app.session.story.scenario is None

    drive(app, script)
    assert not any(p.name.endswith(".unreadable") for p in saves.parent.rglob("*"))


def test_the_authors_watch(saves: Path) -> None:
    session = Session.open(Settings(story_path=STARTER, saves_root=saves, seed=1))
    app = TightropeApp(session, debug=True, cursor_blink=False, animations=False)

    async def script(pilot: Pilot[int]) -> None:
        await start(pilot)
        await press(pilot, "2")
        watch = flat(app.screen.query_one("#watch", Page).text_of("watch"))
        assert "Scene the_street" in watch and "✓ revisions_tabled" in watch
        await press(pilot, "f2")
        assert isinstance(app.screen, WatchScreen)

    drive(app, script)
    plain = make_app(saves=saves, seed=1)

    async def without(pilot: Pilot[int]) -> None:
        await start(pilot)
        assert not plain.screen.query("#watch")
        await press(pilot, "f2")
        assert isinstance(plain.screen, GameScreen)
        assert "play --debug" in flat(plain.screen.query_one("#status").render())

    drive(plain, without)


def test_the_reload_key_is_in_the_footer(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        assert "r Reload" in screen_text(app).splitlines()[-1]
        await start(pilot)
        assert "r Reload" in screen_text(app).splitlines()[-1]

    drive(app, script, (80, 24))


# ------------------------------------------------------------------ a fast start
def test_the_title_is_drawn_before_the_story_is_loaded_and_keys_wait_for_it(saves: Path) -> None:
    loaded = asyncio.Event()
    started: list[bool] = []

    def opener() -> Session:
        started.append(True)
        return Session.open(Settings(story_path=STARTER, saves_root=saves, seed=1))

    app = TightropeApp(opener=opener, cursor_blink=False, animations=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            assert not app.ready or started  # the first frame comes before the story
            assert "New game" in screen_text(app)
            await press(pilot, "n")  # pressed while the story may still be loading
            for _ in range(100):
                if isinstance(app.screen, NewGameDialog):
                    break
                await pilot.pause(0.05)
            assert app.ready and isinstance(app.screen, NewGameDialog)
            await press(pilot, "escape")
            assert "Content note:" in screen_text(app)
            loaded.set()

    asyncio.run(main())
    assert loaded.is_set() and started == [True]


def test_a_story_that_cannot_be_loaded_closes_the_app_with_one_line(saves: Path) -> None:
    def opener() -> Session:
        raise UsageError("the story cannot be loaded: nodes.yaml:3:1: error R001: x")

    app = TightropeApp(opener=opener, cursor_blink=False, animations=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(100):
                if not app.is_running:
                    break
                await pilot.pause(0.05)

    asyncio.run(main())
    assert app.return_code == 2 and app.failure is not None
    assert str(app.failure).startswith("the story cannot be loaded")


def test_the_shipped_story_loads_in_the_app_with_a_scenario(saves: Path) -> None:
    story = load_story(SHIPPED)
    if not story.scenarios:
        pytest.fail("the shipped story has no scenario to play")
    name = next(iter(story.scenarios))
    app = make_app(story=SHIPPED, saves=saves, seed=1, scenario=name)

    async def script(pilot: Pilot[int]) -> None:
        assert app.session.story.scenario is not None
        assert f"Scenario: {clean_line(app.session.story.scenario.title)}" in flat(screen_text(app))
        await start(pilot)

    drive(app, script, (80, 24))


def test_closing_while_the_story_loads_is_quiet(saves: Path) -> None:
    """A browser tab shut while its game still loads the story: the app ends cleanly, with no error."""
    import threading

    go = threading.Event()

    def opener() -> Session:
        go.wait(10)
        return Session.open(Settings(story_path=STARTER, saves_root=saves, seed=1))

    app = TightropeApp(opener=opener, cursor_blink=False, animations=False)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(0.1)
            assert "New game" in screen_text(app)
            app.exit()
            go.set()
            await pilot.pause(0.3)

    asyncio.run(main())
    assert app.return_code == 0 and app.failure is None
    screen = TitleScreen()
    screen.after_recompose()  # an unmounted title screen has nothing to fill: no error
    screen.fill_menu()
