"""Log in with email and password; ctrl+n creates an account.

Imports Textual and the light todo_tui modules only, so the login screen shows as soon as
the schema check is done; auth (bcrypt, SQLModel) and the list screen load on the database
thread once it is painted, while the user types.

When a log in fails because the server cannot be reached, the screen tries again by itself
every RETRY_EVERY seconds: the log in the user asked for while the fields still hold what
was sent (it proceeds as soon as the server answers), otherwise a one-round-trip probe
whose answer clears the sentence (Enter then sends what the fields hold now).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, LoadingIndicator, Static

from todo_tui import bindings, tokens
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.messages import LoggedIn, ReportsWorkFailures
from todo_tui.records import UserRecord
from todo_tui.screens.forms import show_errors
from todo_tui.screens.startup import RETRY_EVERY, RETRY_FOR, passes
from todo_tui.widgets.header import Header

if TYPE_CHECKING:
    from todo_tui.db import Database
    from todo_tui.screens.host import Host
    from todo_tui.sessions import StartedSession

# Loaded on the database thread after the login screen is painted (see warm_up).
AFTER_LOGIN_MODULES = (
    "todo_tui.auth",
    "todo_tui.sessions",
    "todo_tui.todos",
    "todo_tui.screens.todo_list",
    # Create account checks the email as it is sent, on the UI thread: its import compiles
    # long regular expressions (60 ms and more), done here instead.
    "email_validator",
)


def warm_up(rounds: int | None = None) -> None:
    """Import what logging in, creating an account and the todo list need (bcrypt,
    SQLModel, email_validator), and the dummy hash an unknown email is checked against;
    runs on the database thread while the user types."""
    import importlib

    for name in AFTER_LOGIN_MODULES:
        importlib.import_module(name)
    if rounds is not None:
        from todo_tui import auth

        auth.prepare(rounds)


def open_session(
    database: Database, user: UserRecord, *, stay: bool, config_dir
) -> tuple[StartedSession | None, str | None]:
    """On the database thread, after the password was checked: the login session (one
    INSERT), its token file when `stay`, and the email remembered for the next log in.
    (session, the sentence to show when staying logged in did not work)."""
    from todo_tui import sessions

    where = database.settings.database
    tokens.remember_email(config_dir, where, user.email)
    if not stay:
        tokens.discard(where)  # an older log in of this device is not kept either
    try:
        # Retried once after a lost connection: a first row whose reply was lost holds a
        # token nobody has, and opens nothing.
        started = database.run(lambda s: sessions.create(s, user=user), retry=True)
    except DatabaseFault as fault:
        # The password was right: the user is logged in, only not remembered.
        return None, f"You are logged in, but cannot stay logged in: {fault.sentence}"
    return started, sessions.keep(where, started) if stay else None


class LoginScreen(ReportsWorkFailures, Screen[None]):
    BINDINGS = bindings.LOGIN

    app: Host

    def __init__(self, *, notice: str | None = None) -> None:
        super().__init__()
        self.notice = notice  # why a saved log in did not open, or why the user was logged out
        # The log in that failed to reach the server (email, password), and since when.
        self._unreached: tuple[str, str] | None = None
        self._failing_since = 0.0
        self._probing = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="login-box", classes="form-box"):
            yield Static("Log in", classes="form-title")
            yield Static(self.notice or "", id="login-notice", markup=False)
            yield Label("Email")
            email = self._last_email()
            # A remembered email: the password is what is left to type.
            self.AUTO_FOCUS = "#password" if email else "#email"
            yield Input(email, placeholder="you@example.com", id="email")
            yield Static("", id="email-error", classes="field-error", markup=False)
            yield Label("Password")
            yield Input(password=True, id="password")
            yield Static("", id="password-error", classes="field-error", markup=False)
            yield Checkbox("Stay logged in", True, id="stay")
            yield LoadingIndicator(classes="form-busy")
            yield Static("No account yet? Press ctrl+n to create one.", classes="form-hint")
        yield Footer()

    def _last_email(self) -> str:
        return tokens.last_email(self.app.settings.config_dir, self.app.settings.database)

    def on_mount(self) -> None:
        show_errors(self, {})
        self.query_one("#login-notice", Static).display = bool(self.notice)
        self.query_one(self.AUTO_FOCUS or "#email", Input).focus()
        self.call_after_refresh(self._warm_up)

    def _warm_up(self) -> None:
        # Queued before any log in, so the database thread runs it first; nothing to show.
        rounds = self.app.settings.bcrypt_rounds
        self._call_quietly(lambda: warm_up(rounds))

    @work(exit_on_error=False)
    async def _call_quietly(self, call: Callable[[], None]) -> None:
        await self.app.database_call(call)

    @on(Input.Submitted, "#email")
    def _next_field(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def log_in(self) -> None:
        if self.has_class("-busy"):
            return
        self._send(*self._typed())

    def _typed(self) -> tuple[str, str]:
        return self.query_one("#email", Input).value, self.query_one("#password", Input).value

    def _send(self, email: str, password: str, *, again: bool = False) -> None:
        """Log in with these credentials; `again`: a retry of its own (the sentence stays
        until the answer)."""
        rounds = self.app.settings.bcrypt_rounds
        stay = self.query_one("#stay", Checkbox).value
        config_dir = self.app.settings.config_dir

        database = self.app.database
        assert database is not None

        def work() -> LoggedIn:
            from todo_tui import auth

            with database.session() as session:
                user = auth.authenticate(session, email=email, password=password, rounds=rounds)
            started, notice = open_session(database, user, stay=stay, config_dir=config_dir)
            kept = stay and started is not None and notice is None
            return LoggedIn(user, started, kept=kept, notice=notice)

        self._log_in(work, sent=(email, password), again=again)
        if not again:
            self._unreached = None
            show_errors(self, {})
        self.set_class(True, "-busy")

    @work(exit_on_error=False)
    async def _log_in(
        self, log_in: Callable[[], LoggedIn], *, sent: tuple[str, str], again: bool
    ) -> None:
        try:
            logged_in = await self.app.database_call(log_in)
        except (InvalidInput, DatabaseFault) as failure:
            self._failed(failure, sent=sent, again=again)
            return
        self.set_class(False, "-busy")
        self.post_message(logged_in)

    def _failed(
        self,
        failure: InvalidInput | DatabaseFault,
        *,
        sent: tuple[str, str] | None = None,
        again: bool = False,
    ) -> None:
        self.set_class(False, "-busy")
        field = failure.field if failure.field in {"email", "password"} else "password"
        show_errors(self, {field: str(failure)})
        if not again:  # a retry of its own never moves the focus
            self.query_one(f"#{field}", Input).focus()
        if isinstance(failure, DatabaseFault) and passes(failure) and sent is not None:
            self._wait_for_the_server(sent)
        else:
            self._unreached = None

    # -- trying again while the server cannot be reached -----------------------------------

    def _wait_for_the_server(self, sent: tuple[str, str] | None) -> None:
        now = time.monotonic()
        if self._unreached is None:
            self._failing_since = now
        self._unreached = sent or self._unreached
        if now - self._failing_since < RETRY_FOR:
            self.set_timer(RETRY_EVERY, self._retry_by_itself)

    def _retry_by_itself(self) -> None:
        if self._unreached is None or self.has_class("-busy") or self._probing:
            return  # answered meanwhile, or the user's own attempt is on its way
        if self._typed() == self._unreached:
            self._send(*self._unreached, again=True)
            return
        self._probing = True
        self._probe()

    @work(exit_on_error=False)
    async def _probe(self) -> None:
        database = self.app.database
        assert database is not None

        def probe() -> None:
            from todo_tui import auth

            with database.session() as session:
                auth.ping(session)

        try:
            await self.app.database_call(probe)
        except (InvalidInput, DatabaseFault) as failure:
            self._probing = False
            if (
                self._unreached is not None
                and isinstance(failure, DatabaseFault)
                and passes(failure)
            ):
                self._wait_for_the_server(None)
            return
        self._probing = False
        if self._unreached is not None:  # else: a log in sent meanwhile answers for itself
            self._unreached = None
            show_errors(self, {})

    def action_create_account(self) -> None:
        from todo_tui.screens.register import RegisterScreen

        def created(logged_in: LoggedIn | None) -> None:
            if logged_in is not None:
                self.post_message(logged_in)

        email = self.query_one("#email", Input).value
        stay = self.query_one("#stay", Checkbox).value
        self.app.push_screen(RegisterScreen(email=email, stay=stay), created)
