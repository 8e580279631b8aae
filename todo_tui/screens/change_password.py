"""Change password: the current one, the new one twice. Every other session of the account
is logged out; this one stays."""

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
from todo_tui.validation import PASSWORD_MIN, password_problem
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.records import UserRecord
    from todo_tui.screens.host import Host

FIELDS = ("current", "new", "confirm")


class ChangePasswordDialog(ReportsWorkFailures, ModalScreen[int | None]):
    """Dismissed with how many other sessions were logged out, or None (cancelled)."""

    BINDINGS = bindings.PASSWORD
    AUTO_FOCUS = "#current"

    app: Host

    def __init__(self, user: UserRecord, session_id: int | None) -> None:
        super().__init__()
        self.user = user
        self.session_id = session_id

    def compose(self) -> ComposeResult:
        with Vertical(id="password-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body", keys_scroll=False):
                yield Static("Change password", classes="dialog-title")
                yield Static(
                    "Every other place this account is logged in will have to log in again.",
                    classes="dialog-note",
                    markup=False,
                )
                yield Label("Current password")
                yield Input(password=True, id="current")
                yield Static("", id="current-error", classes="field-error", markup=False)
                yield Label(f"New password (at least {PASSWORD_MIN} characters)")
                yield Input(password=True, id="new")
                yield Static("", id="new-error", classes="field-error", markup=False)
                yield Label("Confirm the new password")
                yield Input(password=True, id="confirm")
                yield Static("", id="confirm-error", classes="field-error", markup=False)
                yield LoadingIndicator(classes="form-busy")
            with Horizontal(classes="buttons"):
                yield Button("Change password (enter)", id="change", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        show_errors(self, {})

    @on(Input.Submitted, "#current")
    def _to_new(self) -> None:
        self.query_one("#new", Input).focus()

    @on(Input.Submitted, "#new")
    def _to_confirm(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#change")
    def change(self) -> None:
        if self.has_class("-busy"):
            return
        current, new, confirm = (self.query_one(f"#{name}", Input).value for name in FIELDS)
        errors: dict[str, str] = {}
        if not current:
            errors["current"] = "Type your current password."
        if problem := password_problem(new):
            errors["new"] = problem
        elif new == current:
            errors["new"] = "The new password is the one you have now."
        if new != confirm:
            errors["confirm"] = "The two passwords do not match."
        show_errors(self, errors)
        if errors:
            self.query_one(f"#{next(iter(errors))}", Input).focus()
            return
        self.set_class(True, "-busy")
        self._change(current, new)

    @work(exclusive=True, exit_on_error=False)
    async def _change(self, current: str, new: str) -> None:
        database, user_id, keep = self.app.database, self.user.id, self.session_id
        rounds = self.app.settings.bcrypt_rounds
        assert database is not None

        def change() -> int:
            from todo_tui import sessions

            def work(session) -> int:
                return sessions.change_password(
                    session,
                    user_id=user_id,
                    current=current,
                    new=new,
                    rounds=rounds,
                    keep_session_id=keep,
                )

            return database.run(work)

        try:
            ended = await self.app.database_call(change)
        except (InvalidInput, DatabaseFault) as failure:
            self.set_class(False, "-busy")
            field = failure.field if failure.field in FIELDS else "current"
            show_errors(self, {field: str(failure)})
            self.query_one(f"#{field}", Input).focus()
            return
        self.dismiss(ended)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.has_class("-busy"):
            self.dismiss(None)
