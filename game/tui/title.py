"""The title screen, and the base and keys shared by the main screens.

The title screen is the first thing drawn, before the story is loaded: it
shows the wordmark and the menu at once and fills in the story's premise,
content note, "Endings found" and the Continue line when the app's session
is ready (:class:`~game.tui.messages.SessionReady`). So this module imports
nothing of the game's lower layers at import time; the game and ending
screens (game.tui.screens) load when a game starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer

from .messages import SessionReady, StoryReloaded
from .text import Text, plain, reflow

if TYPE_CHECKING:
    from ..session import Session
    from .app import TightropeApp

WORDMARK = "T I G H T R O P E"
ROPE = "━━━━━━━━━━━━━━━━━━━━━━━━ ● ━━━━━━━━━━━━━━━━━━━━━━━━"

# shared by every main screen; "app." actions live on TightropeApp
GLOSSARY = Binding("g", "app.glossary", "Glossary")
COMMON = [
    GLOSSARY,
    Binding("question_mark", "app.help", "Help", key_display="?"),
    Binding("r,ctrl+r", "app.reload", "Reload"),
    Binding("f2", "app.watch", "Watch (--debug)", show=False),
]


def quietly(bindings: list[Binding], *actions: str) -> list[Binding]:
    """The bindings with those actions left out of the footer (still in the help and the palette), so the footer fits 80 columns."""
    return [
        Binding(b.key, b.action, b.description, show=False, key_display=b.key_display, priority=b.priority)
        if b.action in actions
        else b
        for b in bindings
    ]


class MainScreen(Screen[None]):
    """Base of the title, game and ending screens."""

    def __init__(self) -> None:
        super().__init__()
        # Textual sets the breakpoint classes (-narrow, -wide, -short, -tall) when the
        # screen gets its first Resize, after its first frame: set them now, so that
        # the first frame is already laid out for the terminal's size.
        try:
            app = self.app
        except RuntimeError:  # made outside a running app (a test): the first Resize sets them
            return
        for points, value in ((app.HORIZONTAL_BREAKPOINTS, app.size.width), (app.VERTICAL_BREAKPOINTS, app.size.height)):
            reached = [name for at, name in sorted(points or []) if value >= at]
            if reached:
                self.add_class(reached[-1])

    @property
    def tapp(self) -> TightropeApp:
        return cast("TightropeApp", self.app)

    @property
    def session(self) -> Session:
        return self.tapp.session

    def on_resize(self) -> None:
        self.app.call_later(self.tapp.check_size)  # below 80x24 a message covers the screen

    async def on_story_reloaded(self, message: StoryReloaded) -> None:
        await self.recompose()
        self.after_recompose()

    def after_recompose(self) -> None:
        """Fill what compose leaves empty (after a reload rebuilt the screen)."""

    def topbar(self, right: str) -> Horizontal:
        from ..story.text import clean_line

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
            bits.append(f"Seed {s.state.seed}")
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
        Binding("l", "app.load", "Load", show=False),  # the menu shows every key; the footer keeps to 80 columns
        Binding("s", "app.scenario", "Scenario", show=False),
        Binding("f", "app.endings", "Endings found", show=False),
        Binding("w", "app.cast", "Who's who", show=False),
        *quietly(COMMON, "app.glossary"),
        Binding("q", "app.quit_confirm", "Quit"),
        Binding("down,right", "app.focus_next", "Next", show=False),
        Binding("up,left", "app.focus_previous", "Previous", show=False),
    ]
    AUTO_FOCUS = "#menu-new_game"

    MENU = (
        ("new_game", "New game", "n"),
        ("continue_game", "Continue", "c"),
        ("load", "Load", "l"),
        ("scenario", "Scenario", "s"),
        ("endings", "Endings", "f"),
        ("cast", "Who's who", "w"),
        ("glossary", "Glossary", "g"),
        ("help", "Help", "?"),
        ("quit_confirm", "Quit", "q"),
    )

    def compose(self) -> ComposeResult:
        # only constants here: this is drawn before the story is loaded
        with VerticalScroll(id="title-scroll"):
            with Vertical(id="title-box"):
                yield Text(Content.styled(WORDMARK, "bold"), id="wordmark")
                yield Text(Content(ROPE), id="rope")
                yield Text(Content.styled("Loading the story…", "italic"), id="story-title")
                yield Text(id="premise")
                yield Text(id="content-note")
        with Vertical(id="title-menu"):
            with Center(), Grid(id="menu"):
                for action, label, key in self.MENU:
                    yield Button(Content(f"{key} {label}"), id=f"menu-{action}", classes="menu-item", compact=True)
            yield Text(id="continue-detail", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        if self.tapp.ready:
            self.after_recompose()

    def on_session_ready(self, message: SessionReady) -> None:
        self.after_recompose()

    def after_recompose(self) -> None:
        from ..story.text import clean_line

        if not self.is_attached:  # the app is closing (a browser tab shut while the story loaded): nothing to fill
            return
        s = self.session
        meta = s.story.meta
        self.query_one("#story-title", Text).set(plain(clean_line(meta.title), "italic"))
        premise = self.query_one("#premise", Text)
        premise.set(reflow(meta.premise) if meta.premise else "")
        premise.display = bool(meta.premise)
        note = self.query_one("#content-note", Text)
        note.set(Content.assemble(("Content note: ", "bold"), reflow(meta.content_note)) if meta.content_note else "")
        note.display = bool(meta.content_note)
        self.query_one("#menu-scenario", Button).display = bool(s.story.full and s.story.full.scenarios or s.story.scenarios)
        self.fill_menu()
        self.query_one("#title-scroll", VerticalScroll).scroll_home(animate=False)

    def on_screen_resume(self) -> None:
        if self.tapp.ready:
            self.fill_menu()

    def fill_menu(self) -> None:
        from ..present import when
        from ..story.text import clean_line

        if not self.is_attached:
            return
        s = self.session
        try:
            latest = s.latest()
        except Exception:  # noqa: BLE001 - per-player saves before a name is known: Continue asks for it
            latest = None
        button = self.query_one("#menu-continue_game", Button)
        bits: list[str] = []
        if s.story.scenario is not None:
            bits.append(f"Scenario: {clean_line(s.story.scenario.title)}")
        if latest is not None:
            who = f"{clean_line(latest.player)} · " if latest.player else ""
            bits.append(f"Continue: {who}{s.slot_scene(latest)} · {when(latest.updated)}")
            button.disabled = False
        elif s.continue_needs_name():
            bits.append("Continue: your name first")
            button.disabled = False
        else:
            bits.append("No saved game yet")
            button.disabled = True
        found, total = self.tapp.endings_count()
        if total:
            bits.append(f"Endings found: {found} of {total}")
        self.query_one("#continue-detail", Text).set("\n".join(bits))  # one line each: never cut in two at 80 columns

    @on(Button.Pressed, ".menu-item")
    async def picked(self, event: Button.Pressed) -> None:
        action = (event.button.id or "").removeprefix("menu-")
        if action:
            await self.run_action(f"app.{action}")


class TooSmallScreen(ModalScreen[None]):
    """Covers everything while the terminal is smaller than the game needs; goes when it is large enough."""

    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit", show=False)]

    def __init__(self, least: tuple[int, int]) -> None:
        super().__init__()
        self.least = least

    def on_resize(self) -> None:
        self.app.call_later(cast("TightropeApp", self.app).check_size)  # large enough again: the game comes back

    def compose(self) -> ComposeResult:
        cols, rows = self.least
        yield Text(
            Content(
                f"Tightrope needs a terminal of at least {cols} columns by {rows} rows. "
                "Make the window larger (or the font smaller) and the game comes back as it was. "
                "Ctrl+Q quits."
            ),
            id="too-small",
        )
