"""Classroom mode: the rationale written before a key decision is locked in."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, TextArea

from ..session import tidy_rationale
from ..story.text import clean_line
from .dialogs import button_row
from .text import Text


class RationaleArea(TextArea):
    """A soft-wrapped text area where Enter submits instead of adding a line."""

    class Submit(Message):
        pass

    async def _on_key(self, event: Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submit())
            return
        await super()._on_key(event)


class RationaleDialog(ModalScreen[str | None]):
    """Classroom mode: why this choice? Locked in only with a long enough rationale."""

    CSS_PATH = "dialogs.tcss"

    AUTO_FOCUS = "#rationale"
    BINDINGS = [
        Binding("escape", "cancel", "Back to the choices"),
        Binding("ctrl+s", "submit", "Lock in", priority=True),
    ]

    def __init__(self, scene: str, choice: str, problem: Callable[[str], str | None], minimum: int) -> None:
        """``problem`` is the session's rule (Session.rationale_problem): why a text cannot be locked in, or None."""
        super().__init__()
        self.scene = scene
        self.choice = choice
        self.problem = problem
        self.minimum = minimum

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="rationale-dialog"):
            yield Text("Key decision: why this choice?", classes="dialog-title")
            yield Text(Content.assemble(("You chose: ", "dim"), (clean_line(self.choice), "bold")), classes="detail")
            yield Text(
                f"Write your reasoning (at least {self.minimum} characters). Your teacher will read it with your decisions.",
                classes="detail",
            )
            yield RationaleArea(id="rationale", soft_wrap=True, show_line_numbers=False, compact=True)
            yield Text(id="count", classes="hint")
            yield button_row(Button("Lock in (Enter)", variant="primary", id="lock"), Button("Back (Esc)", id="back"))

    def on_mount(self) -> None:
        self.query_one(RationaleArea).cursor_blink = getattr(self.app, "cursor_blink", True)
        self._count()

    def _text(self) -> str:
        return tidy_rationale(self.query_one(RationaleArea).text)

    @on(TextArea.Changed)
    def _count(self) -> None:
        text = self._text()
        n = len(text)
        ready = self.problem(text) is None
        more = max(0, self.minimum - n)
        msg = f"{n} characters" + ("; ready to lock in" if ready else f"; {more} more to go")
        self.query_one("#count", Text).set(msg)
        self.query_one("#lock", Button).disabled = not ready

    @on(RationaleArea.Submit)
    @on(Button.Pressed, "#lock")
    def action_submit(self) -> None:
        text = self._text()
        if self.problem(text) is None:
            self.dismiss(text)
        else:
            self.app.bell()
            self.query_one("#count", Text).set(f"{len(text)} characters: please write at least {self.minimum} before locking in.")

    @on(Button.Pressed, "#back")
    def action_cancel(self) -> None:
        self.dismiss(None)
