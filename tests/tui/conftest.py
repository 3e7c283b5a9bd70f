"""Helpers for driving the Textual app headlessly with Pilot."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.console import Console
from textual.pilot import Pilot

from game.session import Session, Settings
from game.tui.app import TightropeApp

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "tests" / "stories" / "starter"
T = TypeVar("T")


def make_app(story: Path = STARTER, saves: Path | None = None, **settings: Any) -> TightropeApp:
    """The app as `tightrope play` builds it, with blinking and animation off."""
    assert saves is not None, "give every test its own saves folder"
    session = Session.open(Settings(story_path=story, saves_root=saves, **settings))
    return TightropeApp(session, load=settings.get("load"), cursor_blink=False, animations=False)


def drive(
    app: TightropeApp,
    script: Callable[[Pilot[int]], Awaitable[T]],
    size: tuple[int, int] = (100, 30),
    notifications: bool = False,
) -> T:
    """Run ``script`` against the app in a headless terminal of ``size`` (notifications shown when asked)."""

    async def main() -> T:
        async with app.run_test(size=size, notifications=notifications) as pilot:
            await pilot.pause()
            return await script(pilot)

    return asyncio.run(main())


def screen_text(app: TightropeApp) -> str:
    """What the terminal shows right now, as plain text (one line per row)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    # as App.export_screenshot does: the screen with the screens under a modal
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def scene_part(app: TightropeApp, name: str) -> str:
    """A part of the game screen's scene, as text: happened, title, meta, warnings, text, advisors."""
    from game.tui.page import Page

    return app.screen.query_one("#scene", Page).text_of(name)


def scene_spot(app: TightropeApp, name: str, x: int = 0) -> tuple[int, int]:
    """Where to click in the scene (an offset for ``pilot.click("#scene", ...)``): column ``x`` of a part's first line."""
    from game.tui.page import Page

    scene = app.screen.query_one("#scene", Page)
    return scene.styles.padding.left + x, scene.rows_of(name)[0] - round(scene.scroll_y)


async def press(pilot: Pilot[int], *keys: str) -> None:
    """Press keys; Pilot lets the app settle after each."""
    await pilot.press(*keys)


async def type_into(pilot: Pilot[int], selector: str, text: str) -> None:
    """Put text into an Input or TextArea as if typed (quicker than a key per character)."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    if hasattr(widget, "insert") and hasattr(widget, "document"):  # TextArea
        widget.insert(text)
    else:
        widget.insert_text_at_cursor(text)  # type: ignore[attr-defined]
    await pilot.pause()


@pytest.fixture
def saves(tmp_path: Path) -> Path:
    return tmp_path / "saves"
