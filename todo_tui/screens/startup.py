"""The first frame: which database, a busy indicator while connecting, then the schema check.

Imports Textual only; the database modules load on the database thread, after this has painted.
The Retry and Quit buttons are built only when the check fails: Button's styles and widgets
cost the first frame about 20 ms (benchmarks/), and an up-to-date start never shows them.
While the screen says the server cannot be reached, it checks again by itself every
RETRY_EVERY seconds (on the database thread) and goes on as soon as the server answers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, LoadingIndicator, Static

from todo_tui import bindings
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.messages import LoggedIn, ReportsWorkFailures, SchemaReady
from todo_tui.widgets.dialog import DialogBody
from todo_tui.widgets.header import Header

if TYPE_CHECKING:
    from pathlib import Path

    from todo_tui.db import Database
    from todo_tui.schema import SchemaStatus
    from todo_tui.screens.host import Host
    from todo_tui.sessions import Resumed

# Faults that go away by themselves (a server starting, a network coming back): the
# start-up and log-in screens try again on their own while they show one.
PASSING_FAULTS = {FaultKind.UNREACHABLE, FaultKind.CONNECTION_LOST, FaultKind.TIMED_OUT}
RETRY_EVERY = 2.0  # seconds from one answer to the next attempt (one attempt at a time)
RETRY_FOR = 600.0  # then only on request (Retry, Enter)


def passes(fault: DatabaseFault | None) -> bool:
    """Whether trying again later may succeed with nothing changed."""
    return fault is not None and fault.kind in PASSING_FAULTS


def check_schema(database: Database, *, made_here: bool) -> SchemaStatus:
    """Runs on the database thread: the imports the check needs, and the schema status.

    A SQLite file that did not exist (or was empty) before the app opened it (`made_here`)
    is one the app itself makes: its tables are created straight away, with nothing to
    ask. Every other database that is not up to date gets the dialog.

    Only those: what logging in and the list need is imported once the login screen has
    been painted (LoginScreen.on_mount), so it does not delay it.
    """
    from todo_tui.schema import SchemaState, schema_status, upgrade_to_head

    status = schema_status(database)
    if made_here and status.state is SchemaState.EMPTY:
        return upgrade_to_head(database)
    return status


def is_new_sqlite_file(path: Path | None) -> bool:
    """No file yet (the check is about to make it), or one with nothing in it at all."""
    if path is None:
        return False
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: the dialog asks


class StartupScreen(ReportsWorkFailures, Screen[None]):
    BINDINGS = bindings.STARTUP

    app: Host

    def __init__(self) -> None:
        super().__init__()
        self._failing_since: float | None = None  # when the server first could not be reached
        self._checking = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="startup-box", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static("Opening your todo list", id="startup-title")
                yield Static(self.app.settings.database.masked, id="startup-database", markup=False)
                yield LoadingIndicator(id="startup-busy")
                yield Static("Connecting…", id="startup-message", markup=False)
            # Its buttons come with a failure.
            yield Horizontal(id="startup-buttons", classes="buttons")
        yield Footer()

    def on_mount(self) -> None:
        # After the first frame is painted: the imports would compete with it.
        self.call_after_refresh(self.check)

    def check(self, *, quietly: bool = False) -> None:
        """Check the database; `quietly`: what is shown stays until the answer (a retry
        of its own while the failure is on screen)."""
        if self._checking:
            return
        if not quietly:
            self.set_class(False, "-failed")
            self.query_one("#startup-message", Static).update("Connecting…")
        self._checking = True
        self._check()

    @work(exclusive=True, exit_on_error=False)
    async def _check(self) -> None:
        from todo_tui.schema import SchemaState

        path, app = self.app.settings.database.sqlite_path, self.app

        def check() -> SchemaStatus:
            made_here = is_new_sqlite_file(path)
            return check_schema(app.open_database(), made_here=made_here)

        try:
            status = await self.app.database_call(check)
        except (InvalidInput, DatabaseFault) as failure:
            fault = failure if isinstance(failure, DatabaseFault) else None
            self._failed(str(failure), passing=passes(fault))
            return
        self._checking = False
        if status.state is SchemaState.UP_TO_DATE:
            self._resume()
        elif status.state is SchemaState.UNREACHABLE:
            self._failed(status.summary, passing=passes(status.fault))
        else:
            from todo_tui.screens.schema_dialog import SchemaDialog

            self.query_one("#startup-message", Static).update(status.summary)
            self.app.push_screen(SchemaDialog(status), self._dialog_closed)

    @work(exclusive=True, exit_on_error=False)
    async def _resume(self) -> None:
        """The saved log in of this device, if any: straight to the list (one round trip),
        else to log in, saying why a saved one did not open."""
        database = self.app.database
        assert database is not None
        self.query_one("#startup-message", Static).update("Logging you in…")

        def resume() -> Resumed:
            from todo_tui.screens.login import warm_up
            from todo_tui.sessions import resume_saved

            resumed = resume_saved(database)
            warm_up()  # the list screen (or the login screen) loads here, not on the UI
            return resumed

        try:
            resumed = await self.app.database_call(resume)
        except (InvalidInput, DatabaseFault) as failure:
            self.post_message(SchemaReady(notice=str(failure)))
            return
        if resumed.session is not None:
            self.post_message(LoggedIn(resumed.session.user, resumed.session, kept=True))
        else:
            self.post_message(SchemaReady(notice=resumed.notice))

    def _dialog_closed(self, upgraded: bool | None) -> None:
        if upgraded:
            self._resume()
        else:
            self.app.exit()

    def _failed(self, sentence: str, *, passing: bool = False) -> None:
        self._checking = False
        self.set_class(True, "-failed")
        self.query_one("#startup-message", Static).update(sentence)
        buttons = self.query_one("#startup-buttons", Horizontal)
        if not buttons.children:
            buttons.mount(Button("Retry", id="retry", variant="primary"), Button("Quit", id="quit"))
            self.query_one("#retry", Button).focus()
        if not passing:
            self._failing_since = None
            return
        now = time.monotonic()
        self._failing_since = self._failing_since or now
        if now - self._failing_since < RETRY_FOR:
            self.set_timer(RETRY_EVERY, self._retry_by_itself)

    def _retry_by_itself(self) -> None:
        if self.has_class("-failed") and self._failing_since is not None:
            self.check(quietly=True)

    def action_retry(self) -> None:
        if self.has_class("-failed"):
            self.check()

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit()
