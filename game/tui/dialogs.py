"""Modal dialogs that return a value with ``dismiss`` (new game, confirm,
player name), the interlude between scenes, and the list of problems."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList
from textual.widgets.option_list import Option

from ..present import Decision, change_text
from ..session import Fixed, NewGame
from ..story.model import Story
from ..story.text import clean_line
from .text import Text, plain, reflow

MAX_NAME = 60


def button_row(*buttons: Button) -> Horizontal:
    return Horizontal(*buttons, classes="buttons")


class NewGameDialog(ModalScreen[NewGame | None]):
    """Player name, optional seed, effect hints on or off, classroom mode on or off.

    Settings a teacher fixed on the command line (``fixed``, from
    Session.fixed) are listed as text, not offered as boxes to change.
    """

    CSS_PATH = "dialogs.tcss"

    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        name: str = "",
        seed: int | None = None,
        show_effects: bool = True,
        classroom: bool = False,
        name_required: bool = False,
        fixed: Fixed | None = None,
    ) -> None:
        super().__init__()
        self.player = name
        self.seed = seed
        self.show_effects = show_effects
        self.classroom = classroom
        self.name_required = name_required
        self.fixed = fixed

    def compose(self) -> ComposeResult:
        fixed = self.fixed
        with Vertical(classes="dialog", id="new-game"):
            yield Text("New game", classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Your name", classes="field-label")
                yield Input(
                    self.player,
                    placeholder="required" if self.name_required or (fixed and fixed.classroom) else "optional",
                    id="name",
                    max_length=MAX_NAME,
                    compact=True,
                )
            if fixed is None or fixed.seed is None:
                with Horizontal(classes="field"):
                    yield Label("Seed", classes="field-label")
                    yield Input(
                        "" if self.seed is None else str(self.seed),
                        placeholder="blank for a random game",
                        id="seed",
                        type="integer",
                        max_length=19,
                        compact=True,
                    )
            if fixed is None or fixed.show_effects is None:
                yield Checkbox("Show effects on choices", self.show_effects, id="effects", compact=True)
            if fixed is None or not fixed.classroom:
                yield Checkbox("Classroom mode: a rationale at each key decision", self.classroom, id="classroom", compact=True)
            if fixed is not None and fixed.lines():
                yield Text(plain("Set for this class:", "bold"), classes="detail", id="fixed-title")
                yield Text("\n".join(f"• {line}" for line in fixed.lines()), classes="detail", id="fixed")
            yield Text(id="error", classes="error")
            yield button_row(Button("Start", variant="primary", id="start"), Button("Cancel", id="cancel"))

    def _fail(self, message: str, focus: str) -> None:
        self.query_one("#error", Text).set(message)
        self.query_one(focus).focus()

    def _result(self) -> NewGame | None:
        fixed = self.fixed
        name = clean_line(self.query_one("#name", Input).value)[:MAX_NAME]
        seed_box = self.query("#seed").results(Input)
        raw_seed = next((box.value.strip() for box in seed_box), "")
        classroom_box = list(self.query("#classroom").results(Checkbox))
        classroom = classroom_box[0].value if classroom_box else bool(fixed and fixed.classroom)
        effects_box = list(self.query("#effects").results(Checkbox))
        show_effects = effects_box[0].value if effects_box else bool(fixed is None or fixed.show_effects is not False)
        seed: int | None = fixed.seed if fixed is not None else None
        if raw_seed:
            try:
                seed = int(raw_seed)
            except ValueError:
                seed = -1
            if not 0 <= seed < 2**63:
                self._fail("The seed must be a whole number from 0 (or blank).", "#seed")
                return None
        if not name and (self.name_required or classroom):
            self._fail(
                "Please enter your name" + (" (classroom mode records it)." if classroom else " (your saves are kept under it)."),
                "#name",
            )
            return None
        return NewGame(name, seed, show_effects, classroom)

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def submit(self) -> None:
        result = self._result()
        if result is not None:
            self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No", detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm"):
            yield Text(self.question, classes="dialog-title")
            if self.detail:
                yield Text(self.detail, classes="detail")
            yield button_row(Button(f"{self.yes} (y)", variant="primary", id="yes"), Button(f"{self.no} (n)", id="no"))

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class NameDialog(ModalScreen[str | None]):
    """Ask for the player's name (per-player saves)."""

    CSS_PATH = "dialogs.tcss"

    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="ask-name"):
            yield Text(self.prompt, classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label("Your name", classes="field-label")
                yield Input(id="name", max_length=MAX_NAME, compact=True)
            yield button_row(Button("OK", variant="primary", id="ok"), Button("Cancel", id="cancel"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        name = clean_line(self.query_one("#name", Input).value)
        if name:
            self.dismiss(name)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class InfoScreen(ModalScreen[None]):
    """A modal that only shows something: its buttons and its close keys dismiss it."""

    CSS_PATH = "dialogs.tcss"

    @on(Button.Pressed)
    def action_close(self) -> None:
        self.dismiss(None)


class InterludeScreen(InfoScreen):
    """An event between two scenes (and the random outcome that led to it).

    What the decision itself changed and what each event changed on top are
    shown apart, never as one sum.
    """

    AUTO_FOCUS = "#interlude-body"
    BINDINGS = [
        Binding("enter,space,escape", "close", "Continue"),
        *[Binding(str(n), "close", show=False) for n in range(10)],
    ]

    def __init__(self, decision: Decision) -> None:
        super().__init__()
        self.decision = decision

    def compose(self) -> ComposeResult:
        d = self.decision
        with Vertical(classes="dialog", id="interlude"):
            yield Text("Meanwhile", classes="dialog-title")
            with VerticalScroll(id="interlude-body"):
                yield Text(Content.assemble(("You chose: ", "dim"), (d.choice_text, "bold")), classes="interlude-text")
                if d.outcome_text:
                    yield Text(reflow(d.outcome_text), classes="interlude-text")
                if d.changes is not None:
                    yield Text("Your decision changed: " + (change_text(d.changes, after=False) or "nothing"), classes="hint")
                for e in d.events:
                    yield Text(plain(e.title, "bold"), classes="interlude-heading")
                    if e.basis:
                        yield Text(e.basis, classes="basis")
                    yield Text(reflow(e.text), classes="interlude-text")
                    if e.changes is not None:
                        yield Text("This event changed: " + (change_text(e.changes, after=False) or "nothing"), classes="hint")
                if d.changes is None and d.total:
                    yield Text("Changes in all: " + change_text(d.total, after=False), classes="hint")
            yield button_row(Button("Continue (Enter)", variant="primary", id="continue"))


class ScenarioDialog(ModalScreen[str | None]):
    """The full story or one of its scenarios; returns the scenario id ("" for the full story), None to cancel."""

    CSS_PATH = "dialogs.tcss"

    AUTO_FOCUS = "#scenarios"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, story: Story, current: str) -> None:
        super().__init__()
        self.story = story
        self.current = current

    def compose(self) -> ComposeResult:
        rows = [("", "The full story", f"Every act; {len(self.story.endings)} endings. The default.")]
        rows += [(sc.id, clean_line(sc.title), clean_line(sc.description)) for sc in self.story.scenarios.values()]
        options = []
        for sid, title, about in rows:
            mark = "● " if sid == self.current else "  "
            options.append(Option(Content.assemble((mark + title, "bold"), "\n  ", (about, "dim")), id=sid or "-"))
        with Vertical(classes="dialog", id="scenario"):
            yield Text("What to play", classes="dialog-title")
            yield OptionList(*options, id="scenarios", markup=False)
            yield button_row(Button("Cancel (Esc)", id="cancel"))

    def on_mount(self) -> None:
        ids = ["", *self.story.scenarios]
        self.query_one("#scenarios", OptionList).highlighted = ids.index(self.current) if self.current in ids else 0

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#scenarios")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        sid = event.option.id or "-"
        self.dismiss("" if sid == "-" else sid)


class ProblemsDialog(InfoScreen):
    """A list of problems, one per line (a story that failed to reload)."""

    AUTO_FOCUS = "#problem-list"
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="problems"):
            yield Text(self.title_text, classes="dialog-title error")
            with VerticalScroll(id="problem-list"):
                yield Text("\n".join(clean_line(line) for line in self.lines), id="problem-lines")
            yield button_row(Button("Close (Enter)", variant="primary", id="close"))
