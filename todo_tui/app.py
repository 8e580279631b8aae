"""TodoApp: the screen flow, database calls on one database thread, one place for failures.

This module and the startup screen draw the first frame, so they import Textual and the
standard library only; SQLAlchemy, psycopg2 and bcrypt load on the database thread after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from asyncio import Future
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen
from textual.signal import Signal

from todo_tui import preferences
from todo_tui.config import Settings
from todo_tui.errors import DatabaseFault, FaultKind, InvalidInput
from todo_tui.screens.startup import StartupScreen
from todo_tui.typeahead import TypeAhead

if TYPE_CHECKING:
    from todo_tui.db import Database
    from todo_tui.records import UserRecord

log = logging.getLogger(__name__)
T = TypeVar("T")
QUIT_GRACE = 1.5  # seconds quitting waits for database work in flight
Failure = InvalidInput | DatabaseFault


class DatabaseThread:
    """One daemon thread runs all database work, in the order the user asked for it.

    In order: two quick toggles of one todo reach the database as pressed. A daemon: a call
    stuck on a dead network never keeps the app from quitting.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="todo-tui-database", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[], None]) -> None:
        self._queue.put(work)

    def stop(self) -> None:
        """Finish the queued work, then end."""
        self._queue.put(None)

    def join(self, timeout: float) -> bool:
        """Wait (at most `timeout`) for the queued work to finish; False if it did not."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while (work := self._queue.get()) is not None:
            work()


class TodoApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "todo-tui"
    # Quits from every screen, also where q is a letter to type; the footer shows it.
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]
    # Small terminals: screens get -short / -narrow, and dialogs shed spacing (app.tcss).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (60, "-wide")]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        self.database: Database | None = None
        self._database_thread = DatabaseThread()
        self._pending: set[Future] = set()
        self.last_input = time.monotonic()
        # Published on every key press and click: screens that paused work while the user
        # was away (the change feed) resume on it.
        self.input_signal: Signal[None] = Signal(self, "input")
        self._type_ahead = TypeAhead(self)

    def on_mount(self) -> None:
        theme = preferences.load(self.settings.config_dir).get("theme")
        if theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.push_screen(StartupScreen())

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown) and event is not (
            self._type_ahead.releasing
        ):
            self.last_input = time.monotonic()
            self.input_signal.publish(None)
        # Keys typed in one burst: each reaches the widget focused once the last settled.
        if self._type_ahead.hold(event):
            return
        await super().on_event(event)
        self._type_ahead.handed_on(event)

    def idle_for(self) -> float:
        """Seconds since the last key press or click."""
        return time.monotonic() - self.last_input

    def _remember_theme(self, theme: Any) -> None:
        preferences.save(self.settings.config_dir, theme=self.theme)

    # -- screen flow ----------------------------------------------------------------------

    def open_login(self) -> None:
        from todo_tui.screens.login import LoginScreen

        self.switch_screen(LoginScreen())

    def log_in(self, user: UserRecord) -> None:
        from todo_tui.screens.todo_list import TodoListScreen

        self.switch_screen(TodoListScreen(user))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # Every key of the current screen is also a command in the palette.
        for binding in getattr(screen, "PALETTE_BINDINGS", ()):
            keys = ", ".join(
                self.get_key_display(Binding(key, "")) for key in binding.key.split(",")
            )
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({keys})",
                lambda action=binding.action: self.call_next(screen.run_action, action),
            )

    # -- database calls -------------------------------------------------------------------

    def call_database(
        self,
        node: DOMNode,
        work: Callable[[], T],
        *,
        done: Callable[[T], None],
        failed: Callable[[Failure], None] | None = None,
    ) -> None:
        """Run `work` on the database thread; hand its result to `done`, or its failure to
        `failed` (default: a notification), on the UI thread.

        The one place where failures of database work are caught: bad input and database
        faults reach the screen as plain sentences, and anything unexpected is logged and
        shown as one sentence, never a traceback.
        """
        settled = asyncio.get_running_loop().create_future()
        self._pending.add(settled)

        def run() -> None:
            try:
                result: Any = work()
                deliver: Callable[[Any], None] = done
            except (InvalidInput, DatabaseFault) as exc:
                result, deliver = exc, failed or self.show_failure
            except Exception as exc:
                log.exception("unexpected failure in database work")
                result = DatabaseFault(
                    FaultKind.UNEXPECTED, f"Something went wrong ({type(exc).__name__})."
                )
                deliver = failed or self.show_failure
            # The app has stopped (or is stopping): nobody is left to tell.
            with contextlib.suppress(RuntimeError, CancelledError):
                self.call_from_thread(self._deliver, node, deliver, result, settled)

        self._database_thread.submit(run)

    def _deliver(
        self, node: DOMNode, deliver: Callable[[Any], None], result: Any, settled: Future
    ) -> None:
        self._pending.discard(settled)
        try:
            if node.is_attached:  # the screen may have gone while the work ran
                deliver(result)
        finally:
            settled.set_result(None)

    async def wait_for_database(self) -> None:
        """Until no database work is queued or running (for tests and benchmarks)."""
        while self._pending:
            await asyncio.gather(*self._pending)

    def show_failure(self, failure: Failure) -> None:
        text = failure.message if isinstance(failure, InvalidInput) else failure.sentence
        self.notify(text, severity="error", markup=False, timeout=8)

    def on_unmount(self) -> None:
        if self.database is not None:
            self._database_thread.submit(self.database.dispose)
        self._database_thread.stop()

    def finish_database_work(self, timeout: float = QUIT_GRACE) -> None:
        """After the app has stopped: let a save still on its way land (a toggle pressed
        just before quitting), but never hang the exit on a server that does not answer."""
        if not self._database_thread.join(timeout):
            log.warning("quit with database work unfinished after %.1f s", timeout)
