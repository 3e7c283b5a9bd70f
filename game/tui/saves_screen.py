"""Save and load: named slots with player, scene, date and ending; delete with confirmation."""

from __future__ import annotations

from typing import Literal

from rich.text import Text as RichText
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label

from ..present import when
from ..saves import AUTOSAVE, SaveError, SaveInfo, check_name
from ..session import Session
from ..story.text import clean_line
from .dialogs import ConfirmDialog, button_row
from .text import Text

Mode = Literal["save", "load"]


def cell(first: str, second: str, style: str = "") -> RichText:
    """A two-line table cell of literal text; long lines end in an ellipsis."""
    out = RichText(no_wrap=True, overflow="ellipsis")
    out.append(first, style=style)
    out.append("\n")
    out.append(second, style="dim")
    return out


class SavesDialog(ModalScreen[str | None]):
    """Pick a slot to load, or name one to save to; returns the slot name."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("delete,d", "delete", "Delete slot"),
    ]
    AUTO_FOCUS = None  # on_mount focuses the name (saving) or the list (loading)
    NAME_WIDTH = 24
    DATE_WIDTH = 10
    # saving: Enter or a click on a row copies its name into "Save as"

    def __init__(self, session: Session, mode: Mode) -> None:
        super().__init__()
        self.session = session
        self.mode: Mode = mode
        self.infos: list[SaveInfo] = []

    def compose(self) -> ComposeResult:
        title = "Save the game" if self.mode == "save" else "Load a game"
        with Vertical(classes="dialog wide", id="saves"):
            yield Text(title, classes="dialog-title")
            yield Text(id="folder", classes="hint")
            table: DataTable[RichText] = DataTable(id="slots", cursor_type="row", zebra_stripes=True)
            yield table
            if self.mode == "save":
                with Horizontal(classes="field"):
                    yield Label("Save as", classes="field-label")
                    yield Input(self._default_name(), id="slot-name", max_length=64, compact=True)
            yield Text(id="error", classes="error")
            yield button_row(
                Button("Save" if self.mode == "save" else "Load", variant="primary", id="go"),
                Button("Delete (d)", variant="error", id="delete"),
                Button("Cancel", id="cancel"),
            )

    def _default_name(self) -> str:
        from ..saves import slug

        return slug(self.session.player) if self.session.player else "my-game"

    def on_mount(self) -> None:
        table = self.query_one("#slots", DataTable)
        # two-line rows in three fixed columns, so nothing is cut off at 80 columns
        dialog = min(96, int(self.app.size.width * 0.96)) - 8
        scene = max(20, dialog - self.NAME_WIDTH - self.DATE_WIDTH - 6)
        table.add_column("Save and player", width=self.NAME_WIDTH)
        table.add_column("Scene or ending", width=scene)
        table.add_column("Saved", width=self.DATE_WIDTH)
        self.refresh_slots()
        self.query_one("#slot-name" if self.mode == "save" else "#slots").focus()

    def refresh_slots(self) -> None:
        table = self.query_one("#slots", DataTable)
        table.clear()
        try:
            folder = self.session.saves_dir
            self.infos = self.session.saves()
        except SaveError as exc:
            self.infos = []
            self._error(str(exc))
            return
        self.query_one("#folder", Text).set(f"Saves in {folder}")
        for info in self.infos:
            name = info.name + (" (auto)" if info.name == AUTOSAVE else "")
            if info.error:
                row = [cell(name, ""), cell("unreadable", clean_line(info.error), style="italic"), cell("", "")]
            else:
                title = ("Ending: " if info.ending else "") + self.session.slot_scene(info)
                decisions = f"{info.turn} decision{'s' if info.turn != 1 else ''}"
                day, _, clock = when(info.updated).partition(" ")
                row = [
                    cell(name, clean_line(info.player) or "(no name)"),
                    cell(title, decisions, "bold" if info.ending else ""),
                    cell(day, clock),
                ]
            table.add_row(*row, key=info.name, height=2)
        if not self.infos:
            self.query_one("#folder", Text).set(f"No saves yet in {folder}")
        self.query_one("#delete", Button).disabled = not self.infos
        if self.mode == "load":
            self.query_one("#go", Button).disabled = not self.infos

    def _selected(self) -> SaveInfo | None:
        table = self.query_one("#slots", DataTable)
        if not self.infos or table.cursor_row < 0 or table.cursor_row >= len(self.infos):
            return None
        return self.infos[table.cursor_row]

    def _error(self, message: str) -> None:
        self.query_one("#error", Text).set(message)

    @on(DataTable.RowSelected)
    def selected(self) -> None:
        if self.mode == "load":
            self.go()
            return
        info = self._selected()
        if info is not None:
            self.query_one("#slot-name", Input).value = info.name
        self.query_one("#slot-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#go")
    def go(self) -> None:
        if self.mode == "load":
            info = self._selected()
            if info is not None:
                self.dismiss(info.name)
            return
        name = self.query_one("#slot-name", Input).value.strip()
        try:
            check_name(name)
        except SaveError as exc:
            self._error(str(exc))
            return
        if any(i.name == name for i in self.infos):

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self.dismiss(name)

            self.app.push_screen(ConfirmDialog(f'Overwrite the save "{name}"?', "Overwrite", "Keep it"), confirmed)
        else:
            self.dismiss(name)

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        info = self._selected()
        if info is None:
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.session.delete(info.name)
            except SaveError as exc:
                self._error(str(exc))
                return
            self.app.notify(f'Deleted the save "{info.name}".', markup=False)
            self.refresh_slots()

        self.app.push_screen(
            ConfirmDialog(f'Delete the save "{info.name}"?', "Delete", "Keep it", detail="This cannot be undone."), confirmed
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
