"""A yes/no question: Enter confirms, Escape cancels."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from todo_tui import bindings
from todo_tui.widgets.dialog import DialogBody, excerpt


class ConfirmDialog(ModalScreen[bool]):
    """`detail` is user text (a title, a description): only an excerpt of it is shown."""

    BINDINGS = bindings.CONFIRM

    def __init__(
        self, question: str, detail: str, *, confirm: str = "Delete", classes: str | None = None
    ) -> None:
        super().__init__(classes=classes)
        self.question = question
        self.detail = excerpt(detail)
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static(self.question, id="confirm-question", markup=False)
                yield Static(self.detail, id="confirm-detail", markup=False)
            with Horizontal(id="confirm-buttons", classes="buttons"):
                yield Button(f"{self.confirm} (enter)", id="confirm", variant="error")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
