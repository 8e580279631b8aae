"""Create an account: email, password, confirmation; success logs straight in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, LoadingIndicator, Static

from todo_tui import bindings
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.messages import LoggedIn, ReportsWorkFailures
from todo_tui.records import UserRecord
from todo_tui.screens.forms import show_errors
from todo_tui.validation import normalize_email, password_problem
from todo_tui.widgets.header import Header

if TYPE_CHECKING:
    from todo_tui.screens.host import Host

# After these, an account that was sent may have been created.
OUTCOME_UNKNOWN = {FaultKind.CONNECTION_LOST, FaultKind.TIMED_OUT, FaultKind.UNREACHABLE}


class RegisterScreen(ReportsWorkFailures, Screen[LoggedIn | None]):
    """Dismissed with the new account's log in (already logged in), or None to go back.
    `email`: what was typed on Log in; `stay`: its Stay logged in checkbox."""

    BINDINGS = bindings.REGISTER

    app: Host

    def __init__(self, *, email: str = "", stay: bool = True) -> None:
        super().__init__()
        self.email = email
        self.stay = stay

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="register-box", classes="form-box"):
            yield Static("Create account", classes="form-title")
            yield Label("Email")
            yield Input(self.email, placeholder="you@example.com", id="email")
            yield Static("", id="email-error", classes="field-error", markup=False)
            yield Label("Password (at least 8 characters)")
            yield Input(password=True, id="password")
            yield Static("", id="password-error", classes="field-error", markup=False)
            yield Label("Confirm password")
            yield Input(password=True, id="confirm")
            yield Static("", id="confirm-error", classes="field-error", markup=False)
            yield LoadingIndicator(classes="form-busy")
        yield Footer()

    def on_mount(self) -> None:
        show_errors(self, {})
        self.query_one("#password" if self.email.strip() else "#email", Input).focus()

    @on(Input.Submitted, "#email")
    def _to_password(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _to_confirm(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Submitted, "#confirm")
    def create_account(self) -> None:
        if self.has_class("-busy"):
            return
        email = self.query_one("#email", Input).value
        password = self.query_one("#password", Input).value
        errors = self._problems(email, password, self.query_one("#confirm", Input).value)
        show_errors(self, errors)
        if errors:
            self.query_one(f"#{next(iter(errors))}", Input).focus()
            return
        self.set_class(True, "-busy")
        self._create(email, password)

    @work(exclusive=True, exit_on_error=False)
    async def _create(self, email: str, password: str) -> None:
        rounds = self.app.settings.bcrypt_rounds
        database = self.app.database
        assert database is not None
        sent: list[bool] = []  # made true once a connection is there to send the insert

        def create(session) -> UserRecord:
            from todo_tui import auth  # bcrypt and SQLModel: loaded on this thread

            session.connection()  # a failure before this: nothing was sent
            sent.append(True)
            return auth.register(session, email=email, password=password, rounds=rounds)

        stay, config_dir = self.stay, self.app.settings.config_dir

        def create_and_log_in() -> LoggedIn:
            from todo_tui.screens.login import open_session

            # Retried: an account the first attempt created is recognised by its password.
            user = database.run(create, retry=True)
            started, notice = open_session(database, user, stay=stay, config_dir=config_dir)
            kept = stay and started is not None and notice is None
            return LoggedIn(user, started, kept=kept, notice=notice)

        try:
            logged_in = await self.app.database_call(create_and_log_in)
        except (InvalidInput, DatabaseFault) as failure:
            self._failed(failure, sent=bool(sent))
            return
        self.dismiss(logged_in)

    @staticmethod
    def _problems(email: str, password: str, confirm: str) -> dict[str, str]:
        errors: dict[str, str] = {}
        try:
            normalize_email(email)
        except InvalidInput as exc:
            errors["email"] = exc.message
        if problem := password_problem(password):
            errors["password"] = problem
        if password != confirm:
            errors["confirm"] = "The two passwords do not match."
        return errors

    def _failed(self, failure: InvalidInput | DatabaseFault, *, sent: bool = False) -> None:
        self.set_class(False, "-busy")
        field = failure.field if failure.field in {"email", "password"} else "confirm"
        sentence = str(failure)
        if sent and isinstance(failure, DatabaseFault) and failure.kind in OUTCOME_UNKNOWN:
            reason = (
                "The database did not answer in time"
                if failure.kind is FaultKind.TIMED_OUT
                else "The connection was lost before the database answered"
            )
            sentence = (
                f"{reason}: the account may be created. Press Enter — it is never created twice."
            )
        show_errors(self, {field: sentence})
        self.query_one(f"#{field}", Input).focus()

    def action_back(self) -> None:
        if not self.has_class("-busy"):
            self.dismiss(None)
