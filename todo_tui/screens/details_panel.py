"""The selected todo whole, as a panel over the list on a terminal too narrow for the pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from todo_tui import bindings
from todo_tui.records import TodoRecord
from todo_tui.widgets.details import TodoDetails


class DetailsPanel(ModalScreen[None]):
    BINDINGS = bindings.DETAILS

    def __init__(self, todo: TodoRecord) -> None:
        super().__init__()
        self.todo = todo

    def compose(self) -> ComposeResult:
        with Vertical(id="details-panel", classes="dialog"):
            details = TodoDetails(id="details", now=self.app.clock)
            details.show_todo(self.todo)
            yield details
            yield Static("Escape closes this.", id="details-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
