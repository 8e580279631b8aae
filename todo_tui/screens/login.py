"""Log in with email and password; ctrl+n creates an account.

Imports Textual and the light todo_tui modules only, so the login screen shows as soon as
the schema check is done; auth (bcrypt, SQLModel) and the list screen load on the database
thread once it is painted, while the user types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, LoadingIndicator, Static

from todo_tui.errors import DatabaseFault, InvalidInput
from todo_tui.records import UserRecord
from todo_tui.screens.forms import show_errors

if TYPE_CHECKING:
    from todo_tui.app import TodoApp

# Loaded on the database thread after the login screen is painted (see warm_up).
AFTER_LOGIN_MODULES = ("todo_tui.auth", "todo_tui.todos", "todo_tui.screens.todo_list")


def warm_up(rounds: int | None = None) -> None:
    """Import what logging in and the todo list need, and make the dummy hash that an
    unknown email is checked against (or the first such log in would take twice as long);
    runs on the database thread while the user types."""
    import importlib

    for name in AFTER_LOGIN_MODULES:
        importlib.import_module(name)
    if rounds is not None:
        from todo_tui import auth

        auth.prepare(rounds)


class LoginScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+n", "create_account", "Create account"),
    ]

    app: TodoApp

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="login-box", classes="form-box"):
            yield Static("Log in", classes="form-title")
            yield Label("Email")
            yield Input(placeholder="you@example.com", id="email")
            yield Static("", id="email-error", classes="field-error", markup=False)
            yield Label("Password")
            yield Input(password=True, id="password")
            yield Static("", id="password-error", classes="field-error", markup=False)
            yield LoadingIndicator(classes="form-busy")
            yield Static("No account yet? Press ctrl+n to create one.", classes="form-hint")
        yield Footer()

    def on_mount(self) -> None:
        show_errors(self, {})
        self.query_one("#email", Input).focus()
        self.call_after_refresh(self._warm_up)

    def _warm_up(self) -> None:
        # Queued before any log in, so the database thread runs it first; nothing to show.
        rounds = self.app.settings.bcrypt_rounds
        self.app.call_database(self, lambda: warm_up(rounds), done=lambda _: None)

    @on(Input.Submitted, "#email")
    def _next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def log_in(self) -> None:
        if self.has_class("-busy"):
            return
        email = self.query_one("#email", Input).value
        password = self.query_one("#password", Input).value
        rounds = self.app.settings.bcrypt_rounds

        def work() -> UserRecord:
            from todo_tui import auth

            assert self.app.database is not None
            with self.app.database.session() as session:
                return auth.authenticate(session, email=email, password=password, rounds=rounds)

        # The work first: restyling the screen for "-busy" takes a few ms of the UI thread,
        # and the answer cannot arrive before this handler has returned.
        self.app.call_database(self, work, done=self._logged_in, failed=self._failed)
        show_errors(self, {})
        self.set_class(True, "-busy")

    def _logged_in(self, user: UserRecord) -> None:
        self.set_class(False, "-busy")
        self.app.log_in(user)

    def _failed(self, failure: InvalidInput | DatabaseFault) -> None:
        self.set_class(False, "-busy")
        field = failure.field if failure.field in {"email", "password"} else "password"
        show_errors(self, {field: str(failure)})
        self.query_one(f"#{field}", Input).focus()

    def action_create_account(self) -> None:
        from todo_tui.screens.register import RegisterScreen

        def created(user: UserRecord | None) -> None:
            if user is not None:
                self.app.log_in(user)

        self.app.push_screen(RegisterScreen(), created)
