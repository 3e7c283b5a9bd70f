"""The corpus's hostile texts in the Textual app, driven with Pilot.

Every text field of templates/text-story.yaml (title, content note, meter
label and description, warnings, advisors, choices and their locked reasons,
outcomes, the event, the ending, its debrief and questions) holds the case's
text. The app plays from the title screen to the ending; on every screen the
terminal must show no control character, and the markup must appear as
written (Rich/Textual markup and action links are never interpreted: the app
is still running after clicking where a link would be). The plain front end
gets the same cases in test_corpus.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import pytest

textual = pytest.importorskip("textual")

from rich.console import Console  # noqa: E402
from textual.pilot import Pilot  # noqa: E402

from game.tui.app import TightropeApp  # noqa: E402
from game.tui.help import GlossaryScreen  # noqa: E402
from game.tui.dialogs import InterludeScreen, NewGameDialog  # noqa: E402
from game.tui.screens import EndingScreen, GameScreen  # noqa: E402
from game.session import Session, Settings  # noqa: E402
from ..scripts import load_script  # noqa: E402
from ..tui.conftest import scene_spot  # noqa: E402


def _corpus() -> Any:
    """test_corpus.py, loaded by its path (pytest imports test modules by path, not by name)."""
    return load_script("tightrope_hostile_corpus", Path(__file__).with_name("test_corpus.py"))


corpus = _corpus()

# markup with action links, 7-bit and 8-bit escapes, bidi overrides: one of each kind keeps this quick
PICKED = ("text-textual-action-links", "text-osc-title-change", "text-c1-csi", "text-bidi-override")
TEXT_CASES = [c for c in corpus.CASES if c["id"] in PICKED]


def shown(app: TightropeApp) -> str:
    """What the terminal shows now, as text (the screen and any screen under a dialog)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c["id"] for c in TEXT_CASES])
def test_hostile_text_in_the_terminal_app(case: dict[str, Any], tmp_path: Path) -> None:
    lay = corpus.layout(tmp_path)
    corpus._text_story(lay, case["text"])
    session = Session.open(Settings(story_path=lay.story, saves_root=lay.saves, seed=1, name=case.get("name", "")))
    app = TightropeApp(session, cursor_blink=False, animations=False)
    screens: list[str] = []

    async def look(pilot: Pilot[int]) -> str:
        await pilot.pause()
        text = shown(app)
        bad = corpus.CONTROL.search(text.replace("\t", " "))
        assert bad is None, (
            f"{bad.group()!r} on screen {type(app.screen).__name__}: {text[max(0, bad.start() - 60) : bad.end() + 60]!r}"
        )
        assert app.is_running and app.return_code is None, "the app quit"
        screens.append(flat(text))
        return text

    async def script(pilot: Pilot[int]) -> None:
        await look(pilot)  # title screen
        await pilot.press("n")
        assert isinstance(app.screen, NewGameDialog)
        await pilot.press("enter")
        for _ in range(12):
            await look(pilot)
            if isinstance(app.screen, EndingScreen):
                break
            if isinstance(app.screen, GameScreen):
                await pilot.click("#scene", offset=scene_spot(app, "text", 2))  # where a link would be
                await look(pilot)
                if isinstance(app.screen, GlossaryScreen):  # the click landed on a glossary term: ours, not the story's
                    await pilot.press("escape")
                await pilot.press("1")
            elif isinstance(app.screen, InterludeScreen):
                await pilot.press("enter")
            else:
                await pilot.press("enter")
        assert isinstance(app.screen, EndingScreen), type(app.screen).__name__
        for key in ("d", "v"):  # debrief and decisions review
            await pilot.press(key)
            await look(pilot)

    async def main() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await script(pilot)

    asyncio.run(main())
    seen = " ".join(screens)
    for literal in case.get("literal", []):
        # wrapping may split a long literal: compare its first word at least, whole where it fits
        assert flat(literal) in seen or flat(literal).split()[0] in seen, f"{literal!r} not shown"
