"""The game screen's one-widget pages (the scene, the decisions), its meters panel, and the collector kept out of keys."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.selection import Selection

from game.tui import app as tui_app
from game.tui import page as page_module
from game.tui.page import Block, Page
from game.tui.screens import GameScreen
from game.tui.widgets import ChoiceList, MetersPanel

from .conftest import drive, make_app, press, screen_text


class PageApp(App[None]):
    CSS = "Page { width: 24; height: 8; }"

    def compose(self) -> ComposeResult:
        yield Page(id="page")


def run_page(script: object, size: tuple[int, int] = (40, 12)) -> None:
    async def main() -> None:
        app = PageApp()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, app.query_one(Page))  # type: ignore[operator]

    asyncio.run(main())


BLOCKS = [
    Block("happened", Content("You said yes."), above=1, callout=True),
    Block("title", Content("Friday"), "bold", above=1),
    Block("text", Content("Crowds gather after Friday prayers in Lahore."), above=1),
    Block("empty", Content("")),
    Block("turn", Content("The cable\nAnswer at once, with planners."), lead=Content(" 1 ")),
]


def test_a_page_wraps_its_blocks_and_knows_where_each_is() -> None:
    async def script(pilot: Pilot[None], page: Page) -> None:
        page.show(BLOCKS)
        await pilot.pause()
        width = page.scrollable_content_region.width
        lines = page.plain.split("\n")
        assert all(len(line) <= width for line in lines)
        assert lines[0] == "" and lines[1].startswith("█ You said yes.")  # a blank line above, then the callout
        assert page.rows_of("title") == (3, 4) and lines[3] == "Friday"
        start, end = page.rows_of("text")
        assert end - start == 3  # 45 characters at 22 columns
        assert " ".join(ln.strip() for ln in lines[start:end]) == "Crowds gather after Friday prayers in Lahore."
        assert page.block("empty") is None and page.rows_of("empty") == (0, 0)  # empty blocks are left out
        first, last = page.rows_of("turn")
        assert lines[first].startswith(" 1 The cable")
        assert all(line.startswith("   ") for line in lines[first + 1 : last])  # a hanging indent
        assert page.text_of("title") == "Friday" and page.text_of("nothing") == ""
        assert page.virtual_size.height == len(lines)

    run_page(script)


def test_no_break_spaces_keep_words_together() -> None:
    async def script(pilot: Pilot[None], page: Page) -> None:
        page.show([Block("text", Content("aaaa bbbb cccc US\u00a0relations\u00a0▲ dd"))])
        await pilot.pause()
        assert "US\u00a0relations\u00a0▲" in page.plain.split("\n")[1]

    run_page(script)


def test_a_page_is_drawn_scrolled_and_wrapped_again_when_its_width_changes() -> None:
    async def script(pilot: Pilot[None], page: Page) -> None:
        words = " ".join(f"word{i}" for i in range(40))
        page.show([Block("text", Content(words))])
        await pilot.pause()
        assert page.max_scroll_y > 0
        shown = screen_text(pilot.app)  # type: ignore[arg-type]
        assert "word0 word1" in shown and "word39" not in shown
        page.scroll_end(animate=False)
        await pilot.pause()
        assert "word39" in screen_text(pilot.app)  # type: ignore[arg-type]
        narrow = page.plain.count("\n")
        page.styles.width = 40
        await pilot.pause()
        assert page.plain.count("\n") < narrow  # wider: fewer lines

    run_page(script, (60, 12))


def test_unchanged_blocks_are_not_wrapped_again(monkeypatch: pytest.MonkeyPatch) -> None:
    wrapped: list[str] = []
    real = page_module.wrap_block

    def counting(block: Block, width: int) -> list[Content]:
        wrapped.append(block.name)
        return real(block, width)

    monkeypatch.setattr(page_module, "wrap_block", counting)

    async def script(pilot: Pilot[None], page: Page) -> None:
        page.show(BLOCKS)
        await pilot.pause()
        wrapped.clear()
        page.show([*BLOCKS, Block("more", Content("One more decision."))])
        assert wrapped == ["more"]
        # the same text with other styles is another block
        page.show([Block("title", Content.styled("Friday", "italic"), "bold", above=1)])
        assert wrapped == ["more", "title"]

    run_page(script)


def test_text_selected_on_a_page_can_be_copied() -> None:
    async def script(pilot: Pilot[None], page: Page) -> None:
        page.show([Block("title", Content("Friday")), Block("text", Content("Crowds gather."), above=1)])
        await pilot.pause()
        got = page.get_selection(Selection(Offset(0, 2), Offset(6, 2)))
        assert got == ("Crowds", "\n")
        plain_row = page._strip(2)
        pilot.app.screen.selections = {page: Selection(Offset(0, 2), Offset(6, 2))}
        await pilot.pause()
        chosen_row = page._strip(2)
        assert chosen_row.text == plain_row.text == "Crowds gather."
        assert [seg.style for seg in chosen_row] != [seg.style for seg in plain_row]  # drawn as selected
        assert "Crowds gather." in screen_text(pilot.app)  # type: ignore[arg-type]

    run_page(script)


# ------------------------------------------------------------------ the meters, one widget
def test_the_meters_panel_draws_every_meter_and_describes_the_one_pointed_at(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        assert isinstance(app.screen, GameScreen)
        meters = app.screen.query_one("#meters", MetersPanel)
        story = app.session.story
        assert meters.size.height == 2 * len(story.meters)
        shown = screen_text(app)
        for m in story.meters:
            assert m.label in shown
        await pilot.hover("#meters", offset=(3, 1 + 2))  # the border, then the second meter's line
        assert meters.tooltip is not None and str(meters.tooltip).startswith(story.meters[1].label + ":")

    drive(app, script)


# ------------------------------------------------------------------ the collector, kept out of keys
def test_the_program_collects_garbage_once_a_decision_is_drawn(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []  # the generations collected
    monkeypatch.setattr(tui_app.gc, "collect", lambda generation=2: collected.append(generation) or 0)
    monkeypatch.setattr(tui_app.TightropeApp, "FULL_COLLECTION_EVERY", 3)
    app = make_app(saves=saves, seed=1)
    app.idle_collection = True

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        assert collected == []
        await press(pilot, "1")
        await pilot.pause(app.IDLE_COLLECTION_SECONDS + 0.2)
        assert collected == [1]  # the young objects
        app.collect_when_idle()  # asked twice in a row: one collection, after the last
        app.collect_when_idle()
        await pilot.pause(app.IDLE_COLLECTION_SECONDS + 0.2)
        assert collected == [1, 1]
        await press(pilot, "u")
        await pilot.pause(app.IDLE_COLLECTION_SECONDS + 0.2)
        assert collected == [1, 1, 2]  # every third: everything

    drive(app, script)


def test_tests_and_other_hosts_keep_the_collector_as_it_is(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[int] = []
    monkeypatch.setattr(tui_app.gc, "collect", lambda generation=2: collected.append(generation) or 0)
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter", "1")
        await pilot.pause(app.IDLE_COLLECTION_SECONDS + 0.2)
        assert collected == []

    drive(app, script)


def test_collect_between_keys_freezes_what_is_loaded_and_raises_the_young_count() -> None:
    before = gc.get_threshold()
    try:
        tui_app.collect_between_keys()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (tui_app.YOUNG_OBJECTS, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


# ------------------------------------------------------------------ the choices, one widget
def test_arrows_skip_unavailable_choices_and_stop_at_either_end(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter", "3", "2")  # wait, then quiet: the first choice of "decision" is unavailable
        choices = app.screen.query_one("#choices", ChoiceList)
        assert [o.enabled for o in choices.choices] == [False, True, True]
        assert choices.highlighted == 1
        await press(pilot, "up")
        assert choices.highlighted == 1  # the unavailable one is never highlighted
        await press(pilot, "down", "down")
        assert choices.highlighted == 2
        await press(pilot, "home")
        assert choices.highlighted == 1
        await press(pilot, "end")
        assert choices.highlighted == 2

    drive(app, script)


def test_a_click_on_an_unavailable_choice_says_why(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter", "3", "2")
        before = app.session.state
        await pilot.click("#choices", offset=(4, 1))  # row 0 is the border: the first, unavailable choice
        await pilot.pause()
        assert app.session.state is before
        assert "Unavailable: Needs either" in screen_text(app)

    drive(app, script)


def test_the_choice_under_the_pointer_is_marked(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        choices = app.screen.query_one("#choices", ChoiceList)
        second = choices.rows_of("choice-1")[0]
        await pilot.hover("#choices", offset=(4, 1 + second))
        block = choices.block("choice-1")
        assert block is not None and block.fill  # a background for the row under the pointer
        assert choices.highlighted == 0  # the highlight (what Enter takes) stays
        await pilot.hover("#scene")
        block = choices.block("choice-1")
        assert block is not None and not block.fill

    drive(app, script)


def test_the_first_frame_of_a_game_already_shows_the_scene_and_every_choice(saves: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages are shown before the new screen is first laid out: they are wrapped as it is, so that
    its first frame is whole (not an empty scene and list for a frame, which a person would see flash)."""
    from textual.screen import Screen

    frames: list[str] = []
    real = Screen._refresh_layout

    def capture(self: Screen[object], *args: object, **kwargs: object) -> None:
        real(self, *args, **kwargs)  # type: ignore[arg-type]
        if isinstance(self, GameScreen) and not frames:
            frames.append(screen_text(self.app))  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", capture)
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        assert isinstance(app.screen, GameScreen) and frames
        first = " ".join(frames[0].split())
        assert app.session.node.title in first
        assert app.session.node.text.render(app.session.state, "").split()[0] in first  # the text's first word
        for n, opt in enumerate(app.session.options(), 1):
            assert f"{n} {' '.join(opt.choice.text.split()[:4])}" in first, (n, first)

    drive(app, script, (80, 24))


def test_a_click_on_any_row_of_a_choice_takes_that_choice_and_the_border_none(saves: Path) -> None:
    app = make_app(story=Path(__file__).resolve().parents[2] / "story", saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        choices = app.screen.query_one("#choices", ChoiceList)
        start, end = choices.rows_of("choice-0")
        assert end - start >= 2  # the first decision's first choice takes two lines or more at 80x24
        before, first = app.session.state, choices.choices[0].choice.id
        await pilot.click("#choices", offset=(4, 0))  # the border: nothing
        await pilot.pause()
        assert app.session.state is before
        await pilot.click("#choices", offset=(4, 1 + end - 1))  # the choice's last line (row 0 is the border)
        await pilot.pause()
        state = app.session.state
        assert state is not None and state.step is not None and state.step.choice == first

    drive(app, script, (80, 24))


def test_each_line_of_a_meter_describes_that_meter(saves: Path) -> None:
    app = make_app(saves=saves, seed=1)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter")
        meters = app.screen.query_one("#meters", MetersPanel)
        first = app.session.story.meters[0].label
        for row in (1, 2):  # the first meter's line and its bar (row 0 is the border)
            await pilot.hover("#meters", offset=(3, row))
            assert str(meters.tooltip).startswith(first + ":"), row

    drive(app, script)


def test_the_choices_fit_their_lines_after_the_terminal_is_resized(saves: Path) -> None:
    app = make_app(story=Path(__file__).resolve().parents[2] / "story", saves=saves, seed=2)

    async def script(pilot: Pilot[int]) -> None:
        await press(pilot, "n", "enter", "2")
        choices = app.screen.query_one("#choices", ChoiceList)
        for size in ((80, 24), (100, 30), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.3)
            lines = choices.plain.split("\n")
            assert choices.scrollable_content_region.height == len(lines), size  # no blank rows under them
            assert all(len(line) <= choices.scrollable_content_region.width for line in lines), size

    drive(app, script, (100, 30))
