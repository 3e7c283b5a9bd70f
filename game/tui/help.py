"""Help (how to play and every key) and the searchable glossary."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input

from ..engine import GameState
from ..present import Decision, cast, glossary
from ..story.model import Story
from ..story.text import clean_line
from .dialogs import InfoScreen, button_row
from .text import Text, reflow
from .widgets import decision_review, watch_text

# What each action does, in the help's words. The keys and where they work
# come from the screens' BINDINGS (see key_rows), so the table cannot drift
# from them; an action missing here is shown with its binding's description.
ACTION_HELP: dict[str, str] = {
    "app.new_game": "new game",
    "app.continue_game": "continue the latest save",
    "choose": "take that choice",
    "app.undo": "undo the last decision",
    "app.save": "save to a named slot",
    "app.load": "load a save",
    "delete": "delete the selected save (asks first)",
    "app.glossary": "glossary (type to search; a scene's own terms first)",
    "app.cast": "who's who: the story's characters (all invented)",
    "app.endings": "the endings you have found",
    "app.scenario": "the full story or a scenario (such as the lesson)",
    "app.decisions": "every decision so far, with what it changed",
    "app.play_again": "play this game again from the same seed",
    "app.watch": "watch every flag and visit count (play --debug)",
    "toggle_advisors": "show or hide the advisors",
    "app.help": "this help",
    "app.reload": "reload the story from disk",
    "app.export": "export the decision record (classroom)",
    "jump('debrief')": "jump to the debrief",
    "jump('chart')": "jump to the chart of the meters",
    "jump('review')": "jump to your decisions",
    "scroll_scene": "scroll the scene (not the choices)",
    "submit": "lock in the rationale",
    "close": "continue after an interlude",
    "cancel": "close the dialog",
    "app.quit_confirm": "quit (asks first)",
    "back": "back to the title screen (asks first)",
    "app.title": "back to the title screen",
    "app.focus_next": "next menu item",
    "app.focus_previous": "previous menu item",
}
KEY_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "space": "Space",
    "delete": "Delete",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "tab": "Tab",
    "f2": "F2",
}
MAIN = ("title", "game", "ending")
# Textual's own keys (not bindings of ours), shown after ours
BUILT_IN: tuple[tuple[str, str, str], ...] = (
    ("↑ ↓  Home  End  Enter", "move through the choices and lists (Home, End: first, last) and take one", "game, menus, lists"),
    ("Tab", "next control or section", "everywhere"),
)


def _places() -> tuple[tuple[str, list[BindingType]], ...]:
    from .dialogs import InterludeScreen
    from .rationale import RationaleDialog
    from .saves_screen import SavesDialog
    from .screens import EndingScreen, GameScreen
    from .title import TitleScreen

    return (
        ("title", TitleScreen.BINDINGS),
        ("game", GameScreen.BINDINGS),
        ("ending", EndingScreen.BINDINGS),
        ("save and load", SavesDialog.BINDINGS),
        ("rationale", RationaleDialog.BINDINGS),
        ("interlude", InterludeScreen.BINDINGS),
    )


def _keys(keys: list[str]) -> str:
    """Key names for the table; a run of digits becomes "1-9"."""
    digits = sorted(k for k in keys if k.isdigit())
    out = [KEY_NAMES.get(k, k) for k in keys if not k.isdigit()]
    if digits:
        out.append(digits[0] if len(digits) == 1 else f"{digits[0]}-{digits[-1]}")
    return "  ".join(out)


def key_rows() -> list[tuple[str, str, str]]:
    """(keys, what they do, where) for every binding of the screens a player meets, then Textual's own keys."""
    found: dict[tuple[str, str], list[str]] = {}  # (place, what it does) -> keys
    for place, bindings in _places():
        for item in bindings:
            binding = item if isinstance(item, Binding) else Binding(*item)
            base = binding.action.split("(")[0]  # choose(1) ... choose(9) are one row
            what = ACTION_HELP.get(binding.action) or ACTION_HELP.get(base) or binding.description.lower() or base
            keys = found.setdefault((place, what), [])
            keys += [k.strip() for k in binding.key.split(",") if k.strip() not in keys]
    rows: dict[tuple[str, str], list[str]] = {}  # (keys, what) -> places
    for (place, what), keys in found.items():
        rows.setdefault((_keys(keys), what), []).append(place)
    out = [(keys, what, "everywhere" if set(MAIN) <= set(where) else ", ".join(where)) for (keys, what), where in rows.items()]
    palette = App.COMMAND_PALETTE_BINDING
    quit_keys = [b.key for b in App.BINDINGS if isinstance(b, Binding) and b.action == "quit"]
    out += BUILT_IN
    out.append((palette, "command palette: new game, save, load, undo, glossary, theme, reload", "everywhere"))
    out += [(k, "quit at once", "everywhere") for k in quit_keys]
    return out


HOW_TO_PLAY = """\
You advise Pakistan's government. Each scene sets out a situation, what your
advisors think, and a few choices. Take one with its number (or the arrow keys
and Enter, or a click). PageUp and PageDown scroll a long scene; they never
move the highlight on the choices.

The meters show how things stand (on the right, or in a strip above the scene
in a narrow terminal). After each decision the change is shown next to each
meter for a moment (▲ up, ▼ down). Next to a choice, ▲ and ▼ say which meters
it moves (? when it depends on chance). A meter near a danger line is marked
"!", and the warning above the scene escalates as it gets closer: Warning (!),
Serious warning (!!), Final warning (!!!). Some choices are greyed out, with
the reason: they need something you have not done yet.

Random events may interrupt between scenes. What your decision changed and
what each event changed are always shown apart. Underlined words in a scene
are in the glossary: click one, or press g. Every game ends in one of several
endings, each a trade-off; the ending screen has a debrief, questions for
discussion, a chart of the meters, a review of your decisions, and the seed:
p plays the same game again. The title screen counts the endings you have found.

Each scene is labelled as reported fact, hypothetical, or reported facts in an
invented scene; the characters who advise you are invented (w: who's who).
The game saves itself after every decision, each game in its own slot;
Continue on the title screen picks up the latest save."""


def key_table() -> Content:
    parts: list[str | tuple[str, str]] = []
    rows = key_rows()
    width = max(len(k) for k, _, _ in rows) + 2
    for keys, what, where in rows:
        parts.append((keys.ljust(width), "bold $accent"))
        parts.append(what)
        parts.append((f"  ({where})", "dim"))
        parts.append("\n")
    return Content.assemble(*parts).rstrip()


class HelpScreen(InfoScreen):
    """How to play, every key, and what each meter means."""

    AUTO_FOCUS = "#help-body"
    BINDINGS = [Binding("escape,q,question_mark,enter", "close", "Close")]

    def __init__(self, story: Story) -> None:
        super().__init__()
        self.story = story

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall", id="help"):
            yield Text("How to play", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Text(reflow(HOW_TO_PLAY), classes="para")
                yield Text("Keys", classes="section")
                yield Text(key_table(), id="keys")
                yield Text("The meters", classes="section")
                parts: list[str | tuple[str, str]] = []
                for m in self.story.meters:
                    if parts:
                        parts.append("\n")
                    parts.append((clean_line(m.label), "bold"))
                    parts.append(f" ({m.min} to {m.max}, starts at {m.start}): " + clean_line(m.description))
                yield Text(Content.assemble(*parts), id="meter-help")
            yield button_row(Button("Close (Esc)", variant="primary", id="close"))


class GlossaryScreen(InfoScreen):
    """The story's glossary; typing filters terms and definitions. From a scene, its own terms come first."""

    AUTO_FOCUS = "#search"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, story: Story, query: str = "", featured: list[int] | None = None, term: int | None = None) -> None:
        """``featured``: indexes in story.glossary of the terms in the scene; ``term``: open on that one entry."""
        super().__init__()
        self.story = story
        self.featured = list(featured or [])
        if term is not None and 0 <= term < len(story.glossary):
            query = clean_line(story.glossary[term].term)
        self.query_text = query

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall", id="glossary"):
            yield Text("Glossary", classes="dialog-title")
            yield Input(self.query_text, placeholder="Type to search terms and definitions", id="search", compact=True)
            yield Text(id="glossary-count", classes="hint")
            with VerticalScroll(id="glossary-body"):
                yield Text(id="terms")
            yield button_row(Button("Close (Esc)", variant="primary", id="close"))

    def on_mount(self) -> None:
        self.show(self.query_text)

    def matches(self, query: str) -> list[tuple[str, str, str]]:
        """The entries that match, the term asked for (or its short form) first."""
        from ..present import lookup

        exact = {e.term for e in lookup(self.story, query)} if query.strip() else set()
        found = [(e.term, e.definition, e.source) for e in glossary(self.story, query)]
        return [f for f in found if f[0] in exact] + [f for f in found if f[0] not in exact]

    def show(self, query: str) -> None:
        found = self.matches(query)
        total = len(self.story.glossary)
        here = {clean_line(self.story.glossary[k].term) for k in self.featured if 0 <= k < total}
        if not query.strip() and here:  # the scene's own terms first
            found = [f for f in found if f[0] in here] + [f for f in found if f[0] not in here]
        count = self.query_one("#glossary-count", Text)
        if not total:
            count.set("This story has no glossary.")
        elif query.strip():
            count.set(f"{len(found)} of {total} terms match “{clean_line(query)}”.")
        elif here:
            count.set(f"{total} terms; the {len(here)} underlined in this scene come first.")
        else:
            count.set(f"{total} terms.")
        parts: list[str | tuple[str, str]] = []
        for term, definition, src in found:
            if parts:
                parts.append("\n\n")
            parts.append((term, "bold $accent"))
            if term in here and not query.strip():
                parts.append(("  (in this scene)", "dim"))
            parts.append("\n" + definition)
            if src:
                parts.append(("\nSource: " + src, "dim italic"))
        self.query_one("#terms", Text).set(Content.assemble(*parts) if parts else Content(""))

    @on(Input.Changed, "#search")
    def search(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(Button.Pressed)
    def action_close(self) -> None:
        self.dismiss(None)


class ListScreen(InfoScreen):
    """A titled, scrolling page of text with a Close button (cast, endings, decisions, watch)."""

    AUTO_FOCUS = "#list-body"
    BINDINGS = [Binding("escape,q,enter", "close", "Close")]
    TITLE_TEXT = ""

    def body(self) -> Content:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall", id="list"):
            yield Text(self.TITLE_TEXT, classes="dialog-title", id="list-title")
            with VerticalScroll(id="list-body"):
                yield Text(self.body(), id="list-text")
            yield button_row(Button("Close (Esc)", variant="primary", id="close"))


class CastScreen(ListScreen):
    """Who's who: the story's recurring characters, every one of them marked invented."""

    TITLE_TEXT = "Who's who"

    def __init__(self, story: Story) -> None:
        super().__init__()
        self.story = story

    def body(self) -> Content:
        people = cast(self.story)
        if not people:
            return Content.styled("This story has no recurring characters.", "dim italic")
        parts: list[str | tuple[str, str]] = [
            ("Every person below is invented for the game. Real office-holders are quoted in the scenes, never voiced.", "dim")
        ]
        for c in people:
            parts += ["\n\n", (c.name, "bold $accent"), ("  invented", "italic $text-warning"), "\n", (c.role, "italic")]
            parts += ["\n", c.description]
        return Content.assemble(*parts)


class EndingsScreen(ListScreen):
    """The endings found (with the day each was first found); the others' titles stay hidden until found."""

    TITLE_TEXT = "Endings found"

    def __init__(self, story: Story, found: dict[str, str]) -> None:
        super().__init__()
        self.story = story
        self.found = found

    def body(self) -> Content:
        from ..present import BASIS_LABEL

        endings = list(self.story.endings.values())
        got = [e for e in endings if e.id in self.found]
        parts: list[str | tuple[str, str]] = [(f"{len(got)} of {len(endings)} endings found", "bold")]
        if self.story.scenario is not None:
            parts.append((f" in {clean_line(self.story.scenario.title)}", "bold"))
        parts.append(
            ("\nEvery ending is a trade-off, not a score. The titles of the others stay hidden until you reach them.", "dim")
        )
        for n, e in enumerate(endings, 1):
            parts.append("\n\n")
            if e.id in self.found:
                parts += [(f"{n:>2}. ", "dim"), (clean_line(e.title), "bold $accent")]
                parts.append((f"\n    {BASIS_LABEL[e.basis]} · first found {self.found[e.id]}", "dim"))
            else:
                parts += [(f"{n:>2}. ", "dim"), ("? ? ?", "dim"), ("  not found yet", "dim italic")]
        return Content.assemble(*parts)


class DecisionsScreen(ListScreen):
    """Every decision so far: what was chosen, what it changed, and each event with its own changes."""

    TITLE_TEXT = "Your decisions so far"

    def __init__(self, decisions: list[Decision]) -> None:
        super().__init__()
        self.decisions = decisions

    def body(self) -> Content:
        return decision_review(self.decisions)


class WatchScreen(ListScreen):
    """For authors (play --debug): every flag and visit count now."""

    TITLE_TEXT = "Watch: flags and visit counts"

    def __init__(self, story: Story, state: GameState) -> None:
        super().__init__()
        self.story = story
        self.state = state

    def body(self) -> Content:
        return watch_text(self.story, self.state)
