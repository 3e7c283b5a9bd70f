"""The title screen, and the base and keys shared by the main screens.

The title screen is the first thing drawn, before the story is loaded: it
shows the wordmark and the menu at once and fills in the story's premise,
content note, "Endings found" and the Continue line when the app's session
is ready (:class:`~game.tui.messages.SessionReady`). So this module imports
nothing of the game's lower layers at import time; the game and ending
screens (game.tui.screens) load when a game starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from rich.text import Text as RichText
from textual import events
from textual._context import active_app  # (what App.app reads; not re-exported for type checkers)
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer

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


T = TypeVar("T")


def step_through(items: Sequence[T], current: T | None, step: int) -> T | None:
    """The item ``step`` places from ``current`` among ``items``, stopping at either end (as focus does);
    the first when ``current`` is not among them, None when there are none (for menus and choice lists)."""
    if not items:
        return None
    if current not in items:
        return items[0]
    return items[max(0, min(len(items) - 1, items.index(current) + step))]


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
        # Textual sets the breakpoint classes (-narrow, -wide, -short, -tall) when the
        # screen gets its first Resize, after its first frame: the screen starts with
        # them, so that the first frame is already laid out for the terminal's size
        # (given to the constructor: adding them afterwards would style the screen
        # once more before it is even mounted).
        super().__init__(classes=" ".join(self._breakpoint_classes()) or None)

    @staticmethod
    def _breakpoint_classes() -> list[str]:
        try:
            app = active_app.get()
        except LookupError:  # made outside a running app (a test): the first Resize sets them
            return []
        out = []
        for points, value in ((app.HORIZONTAL_BREAKPOINTS, app.size.width), (app.VERTICAL_BREAKPOINTS, app.size.height)):
            reached = [name for at, name in sorted(points or []) if value >= at]
            if reached:
                out.append(reached[-1])
        return out

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
class TitleMenu(Widget, can_focus=True):
    """The title screen's menu: one widget drawing every item in a grid.

    It behaves as the row of buttons it replaces (arrows move along the
    items, skipping hidden and disabled ones; Enter or a click picks one; the
    pointer highlights the item under it) at a fraction of their cost: nine
    buttons in a grid were most of what the title screen drew beyond a bare
    Textual app, and the title is drawn before anything else.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "pick", "Pick", show=False),
        Binding("down,right", "move(1)", "Next", show=False),
        Binding("up,left", "move(-1)", "Previous", show=False),
        Binding("home", "move(-99)", "First", show=False),
        Binding("end", "move(99)", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "title-menu--item",
        "title-menu--highlight",
        "title-menu--hover",
        "title-menu--disabled",
    }
    COLUMNS = 5
    GUTTER = 1
    WIDTH = 76  # the grid's width at most, centred in the widget

    class Item:
        """One item: the app action it runs, its label and its key."""

        __slots__ = ("action", "label", "key")

        def __init__(self, action: str, label: str, key: str) -> None:
            self.action, self.label, self.key = action, label, key

    class Picked(Message):
        """An item was picked (by Enter, Space or a click)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    highlighted: reactive[str] = reactive("", layout=False)
    hover: reactive[str] = reactive("", layout=False)

    def __init__(self, items: list[TitleMenu.Item], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items = items
        self.hidden: set[str] = set()
        self.disabled_items: set[str] = set()
        self.set_reactive(TitleMenu.highlighted, items[0].action if items else "")

    # -- state
    def shown(self) -> list[TitleMenu.Item]:
        return [item for item in self.items if item.action not in self.hidden]

    def set_shown(self, action: str, shown: bool) -> None:
        if (action not in self.hidden) != shown:
            (self.hidden.discard if shown else self.hidden.add)(action)
            self.refresh(layout=True)

    def set_enabled(self, action: str, enabled: bool) -> None:
        if (action not in self.disabled_items) != enabled:
            (self.disabled_items.discard if enabled else self.disabled_items.add)(action)
            if not enabled and self.highlighted == action:
                self.action_move(1)
            self.refresh()

    def is_enabled(self, action: str) -> bool:
        return action not in self.disabled_items and action not in self.hidden

    # -- keys and pointer
    def action_move(self, step: int) -> None:
        choosable = [item.action for item in self.shown() if item.action not in self.disabled_items]
        self.highlighted = step_through(choosable, self.highlighted, step) or self.highlighted

    def action_pick(self) -> None:
        if self.is_enabled(self.highlighted):
            self.post_message(self.Picked(self.highlighted))

    def item_at(self, x: int, y: int) -> str | None:
        """The item drawn at (x, y) of the widget, if any (not a gutter)."""
        cols, cell = self.grid()
        x -= self.indent()
        col, within = divmod(x, cell + self.GUTTER)
        if within >= cell or col >= cols or x < 0 or y < 0:
            return None
        index = y * cols + col
        shown = self.shown()
        return shown[index].action if index < len(shown) else None

    def on_click(self, event: events.Click) -> None:
        action = self.item_at(event.x, event.y)
        if action is not None and self.is_enabled(action):
            self.highlighted = action
            self.post_message(self.Picked(action))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hover = self.item_at(event.x, event.y) or ""

    def on_leave(self, event: events.Leave) -> None:
        self.hover = ""

    # -- drawing
    def columns(self, width: int) -> int:
        return max(1, min(self.COLUMNS, (min(width, self.WIDTH) + self.GUTTER) // (8 + self.GUTTER)))

    def grid(self) -> tuple[int, int]:
        """(columns, width of a cell) for the widget's width."""
        width = min(self.WIDTH, self.content_size.width or self.size.width)
        cols = self.columns(width)
        return cols, max(1, (width - self.GUTTER * (cols - 1)) // cols)

    def indent(self) -> int:
        """Columns left of the grid (it is centred)."""
        cols, cell = self.grid()
        return max(0, (self.content_size.width - (cols * cell + self.GUTTER * (cols - 1))) // 2)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, -(-len(self.shown()) // self.columns(width)))

    def render(self) -> RichText:
        cols, cell = self.grid()
        plain_style = self.get_component_rich_style("title-menu--item")
        styles = {
            "highlight": self.get_component_rich_style("title-menu--highlight"),
            "hover": self.get_component_rich_style("title-menu--hover"),
            "disabled": self.get_component_rich_style("title-menu--disabled"),
        }
        out = RichText(no_wrap=True, overflow="crop", end="")
        shown = self.shown()
        indent = " " * self.indent()
        for i, item in enumerate(shown):
            if i % cols == 0:
                out.append(("\n" if i else "") + indent)
            else:
                out.append(" " * self.GUTTER)
            if item.action in self.disabled_items:
                style = styles["disabled"]
            elif item.action == self.highlighted and self.has_focus:
                style = styles["highlight"]
            elif item.action == self.hover:
                style = styles["hover"]
            else:
                style = plain_style
            text = f" {item.key} {item.label}"[:cell]
            out.append(text.ljust(cell), style)
        return out

    def watch_has_focus(self, focus: bool) -> None:
        self.refresh()


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
    ]
    AUTO_FOCUS = "#menu"

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
        yield TitleMenu([TitleMenu.Item(action, label, key) for action, label, key in self.MENU], id="menu")
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
        self.menu.set_shown("scenario", bool(s.story.full and s.story.full.scenarios or s.story.scenarios))
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
        bits: list[str] = []
        if s.story.scenario is not None:
            bits.append(f"Scenario: {clean_line(s.story.scenario.title)}")
        if latest is not None:
            who = f"{clean_line(latest.player)} · " if latest.player else ""
            bits.append(f"Continue: {who}{s.slot_scene(latest)} · {when(latest.updated)}")
        elif s.continue_needs_name():
            bits.append("Continue: your name first")
        else:
            bits.append("No saved game yet")
        self.menu.set_enabled("continue_game", latest is not None or s.continue_needs_name())
        found, total = self.tapp.endings_count()
        if total:
            bits.append(f"Endings found: {found} of {total}")
        self.query_one("#continue-detail", Text).set("\n".join(bits))  # one line each: never cut in two at 80 columns

    @property
    def menu(self) -> TitleMenu:
        return self.query_one("#menu", TitleMenu)

    async def on_title_menu_picked(self, event: TitleMenu.Picked) -> None:
        await self.run_action(f"app.{event.action}")


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
