"""The title screen, and the base and keys shared by the main screens.

Only what the title screen needs is imported here, so the first screen is
drawn quickly; the game and ending screens (game.tui.screens) load when a
game starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer

from ..present import when
from ..session import Session
from ..story.text import clean_line
from .messages import StoryReloaded
from .text import Text, plain, reflow

if TYPE_CHECKING:
    from .app import TightropeApp

WORDMARK = "T I G H T R O P E"
ROPE = "━━━━━━━━━━━━━━━━━━━━━━━━ ● ━━━━━━━━━━━━━━━━━━━━━━━━"

# shared by every main screen; "app." actions live on TightropeApp
COMMON = [
    Binding("g", "app.glossary", "Glossary"),
    Binding("question_mark", "app.help", "Help", key_display="?"),
    Binding("r,ctrl+r", "app.reload", "Reload story", show=False),
]


class MainScreen(Screen[None]):
    """Base of the title, game and ending screens."""

    @property
    def tapp(self) -> TightropeApp:
        return cast("TightropeApp", self.app)

    @property
    def session(self) -> Session:
        return self.tapp.session

    async def on_story_reloaded(self, message: StoryReloaded) -> None:
        await self.recompose()
        self.after_recompose()

    def after_recompose(self) -> None:
        """Fill what compose leaves empty (after a reload rebuilt the screen)."""

    def topbar(self, right: str) -> Horizontal:
        return Horizontal(
            Text(plain(clean_line(self.session.story.meta.title), "bold"), id="topbar-title"),
            Text(right, id="topbar-info"),
            id="topbar",
        )

    def player_info(self) -> str:
        s = self.session
        bits = []
        if s.state is not None:
            bits.append(f"Turn {s.state.turn}")
        if s.player:
            bits.append(s.player)
        if s.classroom:
            bits.append("Classroom")
        return " · ".join(bits)


# ------------------------------------------------------------------ title
class TitleScreen(MainScreen):
    BINDINGS = [
        Binding("n", "app.new_game", "New game"),
        Binding("c", "app.continue_game", "Continue"),
        Binding("l", "app.load", "Load"),
        *COMMON,
        Binding("q", "app.quit_confirm", "Quit"),
        Binding("down,right", "app.focus_next", "Next", show=False),
        Binding("up,left", "app.focus_previous", "Previous", show=False),
    ]
    AUTO_FOCUS = "#menu-new_game"

    MENU = (
        ("new_game", "New game", "n"),
        ("continue_game", "Continue", "c"),
        ("load", "Load", "l"),
        ("help", "How to play", "?"),
        ("glossary", "Glossary", "g"),
        ("quit_confirm", "Quit", "q"),
    )

    def compose(self) -> ComposeResult:
        meta = self.session.story.meta
        with VerticalScroll(id="title-scroll"):
            with Vertical(id="title-box"):
                yield Text(plain(WORDMARK, "bold"), id="wordmark")
                yield Text(ROPE, id="rope")
                yield Text(plain(clean_line(meta.title), "italic"), id="story-title")
                if meta.premise:
                    yield Text(reflow(meta.premise), id="premise")
                if meta.content_note:
                    yield Text(
                        Content.assemble(("Content note: ", "bold"), reflow(meta.content_note)),
                        id="content-note",
                    )
                with Center(), Grid(id="menu"):
                    for action, label, key in self.MENU:
                        yield Button(f"{key}  {label}", id=f"menu-{action}", classes="menu-item", compact=True)
                yield Text(id="continue-detail", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.after_recompose()
        self.query_one("#title-scroll", VerticalScroll).scroll_home(animate=False)

    def after_recompose(self) -> None:
        self.fill_menu()

    def on_screen_resume(self) -> None:
        self.fill_menu()

    def fill_menu(self) -> None:
        s = self.session
        try:
            latest = s.latest()
        except Exception:  # noqa: BLE001 - per-player saves before a name is known: Continue asks for it
            latest = None
        detail = self.query_one("#continue-detail", Text)
        button = self.query_one("#menu-continue_game", Button)
        if latest is not None:
            who = f"{clean_line(latest.player)} · " if latest.player else ""
            detail.set(f"Continue: {who}{s.slot_scene(latest)} · {when(latest.updated)}")
            button.disabled = False
        elif s.continue_needs_name():
            detail.set("Continue: your name first")
            button.disabled = False
        else:
            detail.set("No saved game yet.")
            button.disabled = True

    @on(Button.Pressed, ".menu-item")
    async def picked(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("menu-")
        if action:
            await self.run_action(f"app.{action}")
