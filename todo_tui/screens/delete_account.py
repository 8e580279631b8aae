"""Delete account: says how many todos go with it, and asks the password."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from todo_tui import bindings
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.messages import ReportsWorkFailures
from todo_tui.screens.forms import show_errors
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.records import UserRecord
    from todo_tui.screens.host import Host


class DeleteAccountDialog(ReportsWorkFailures, ModalScreen[int | None]):
    """Dismissed with the number of todos deleted with the account, or None (cancelled)."""

    BINDINGS = bindings.DELETE_ACCOUNT
    AUTO_FOCUS = "#password"

    app: Host

    def __init__(self, user: UserRecord, todo_count: int) -> None:
        super().__init__()
        self.user = user
        self.todo_count = todo_count

    def compose(self) -> ComposeResult:
        todos = "todo" if self.todo_count == 1 else "todos"
        with Vertical(id="delete-account-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body", keys_scroll=False):
                yield Static("Delete account", classes="dialog-title")
                yield Static(
                    f"This deletes the account {self.user.email} and its {self.todo_count} "
                    f"{todos}, everywhere, for good. It cannot be undone.",
                    id="delete-account-what",
                    markup=False,
                )
                yield Label("Your password, to confirm")
                yield Input(password=True, id="password")
                yield Static("", id="password-error", classes="field-error", markup=False)
                yield LoadingIndicator(classes="form-busy")
            with Horizontal(classes="buttons"):
                yield Button("Delete account (enter)", id="delete", variant="error")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        show_errors(self, {})

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#delete")
    def delete(self) -> None:
        if self.has_class("-busy"):
            return
        password = self.query_one("#password", Input).value
        if not password:
            show_errors(self, {"password": "Type your password to delete the account."})
            return
        show_errors(self, {})
        self.set_class(True, "-busy")
        self._delete(password)

    @work(exclusive=True, exit_on_error=False)
    async def _delete(self, password: str) -> None:
        database, user_id = self.app.database, self.user.id
        assert database is not None

        def delete() -> int:
            from todo_tui import sessions

            return database.run(
                lambda s: sessions.delete_account(s, user_id=user_id, password=password)
            )

        try:
            count = await self.app.database_call(delete)
        except (InvalidInput, DatabaseFault) as failure:
            self.set_class(False, "-busy")
            text = "That is not your password." if isinstance(failure, InvalidInput) else None
            show_errors(self, {"password": text or str(failure)})
            self.query_one("#password", Input).focus()
            return
        self.dismiss(count)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.has_class("-busy"):
            self.dismiss(None)
