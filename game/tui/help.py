"""Help (how to play and every key) and the searchable glossary."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input

from ..story.model import Story
from ..story.text import clean_line
from .dialogs import InfoScreen, button_row
from .text import Text, reflow

# (keys, what they do, where) - the single list the help screen shows
KEYS: tuple[tuple[str, str, str], ...] = (
    ("n", "new game", "title, ending"),
    ("c", "continue the latest save", "title"),
    ("1-9", "take that choice", "game"),
    ("↑ ↓  Enter", "move through the choices and take one", "game, menus, lists"),
    ("u  ctrl+z", "undo the last decision", "game, ending"),
    ("s", "save to a named slot", "game, ending"),
    ("l", "load a save", "title, game, ending"),
    ("d  Delete", "delete the selected save (asks first)", "save and load"),
    ("g", "glossary (type to search)", "everywhere"),
    ("a", "show or hide the advisors", "game"),
    ("?", "this help", "everywhere"),
    ("r  ctrl+r", "reload the story from disk", "everywhere"),
    ("e", "export the decision record (classroom)", "ending"),
    ("Tab", "next control or section", "everywhere"),
    ("Enter  Space", "continue after an interlude", "interlude"),
    ("Esc", "close a dialog", "dialogs"),
    ("q", "back, or quit (asks first)", "everywhere"),
    ("ctrl+p", "command palette: new game, save, load, undo, glossary, theme, reload", "everywhere"),
    ("ctrl+q", "quit at once", "everywhere"),
)

HOW_TO_PLAY = """\
You advise Pakistan's government. Each scene sets out a situation, what your
advisors think, and a few choices. Take one with its number (or the arrow keys
and Enter, or a click).

The meters on the right show how things stand. After each decision the change
is shown next to each meter for a moment (▲ up, ▼ down). A "!" marks a meter
near a danger line; the warning is also printed above the scene. Some choices
are greyed out, with the reason: they need something you have not done yet.

Random events may interrupt between scenes. Every game ends in one of several
endings, each a trade-off; the ending screen has a debrief, questions for
discussion, a chart of the meters and a review of your decisions.

Each scene is labelled as reported fact, hypothetical, or reported facts in an
invented scene. The game saves itself after every decision (the "autosave"
slot); Continue on the title screen picks up the latest save."""


def key_table() -> Content:
    parts: list[str | tuple[str, str]] = []
    width = max(len(k) for k, _, _ in KEYS) + 2
    for keys, what, where in KEYS:
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
    """The story's glossary; typing filters terms and definitions."""

    AUTO_FOCUS = "#search"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, story: Story, query: str = "") -> None:
        super().__init__()
        self.story = story
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
        q = " ".join(query.lower().split())
        out = []
        for t in sorted(self.story.glossary, key=lambda t: t.term.lower()):
            term, definition = clean_line(t.term), clean_line(t.definition)
            source = self.story.sources.get(t.source) if t.source else None
            src = clean_line(source.title) if source else ""
            if not q or q in term.lower() or q in definition.lower():
                out.append((term, definition, src))
        return out

    def show(self, query: str) -> None:
        found = self.matches(query)
        total = len(self.story.glossary)
        count = self.query_one("#glossary-count", Text)
        if not total:
            count.set("This story has no glossary.")
        elif query.strip():
            count.set(f"{len(found)} of {total} terms match “{clean_line(query)}”.")
        else:
            count.set(f"{total} terms.")
        parts: list[str | tuple[str, str]] = []
        for term, definition, src in found:
            if parts:
                parts.append("\n\n")
            parts.append((term, "bold $accent"))
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
