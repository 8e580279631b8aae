"""TodoApp: the screen flow, database calls on one database thread, one place for failures.

This module and the startup screen draw the first frame, so they import Textual and the
standard library only; SQLAlchemy, psycopg2 and bcrypt load on the database thread after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from asyncio import Future
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal

from todo_tui import bindings, preferences
from todo_tui.config import Settings
from todo_tui.database_thread import DatabaseThread
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.messages import LoggedIn, LoggedOut, SchemaReady, WorkFailed
from todo_tui.screens.startup import StartupScreen
from todo_tui.typeahead import TypeAhead

if TYPE_CHECKING:
    from todo_tui.db import Database
    from todo_tui.sessions import StartedSession

log = logging.getLogger(__name__)
T = TypeVar("T")
QUIT_GRACE = 1.5  # seconds quitting waits for database work in flight
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
# Without database work for this long (and no change feed, which keeps its own idle
# limit), the app closes its connection: an idle Neon compute can suspend.
RELEASE_AFTER = 600.0
Failure = InvalidInput | DatabaseFault


class TodoApp(App[None]):
    # The first frame's styles; the others (app.tcss) are parsed once it is drawn.
    CSS_PATH = "startup.tcss"
    TITLE = "todo-tui"
    BINDINGS = bindings.APP
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
        self.database: Database | None = None  # made on the database thread (open_database)
        # All database work, and the change feed between jobs, on one connection.
        self._database_thread = DatabaseThread(on_idle=self._release, idle_after=RELEASE_AFTER)
        self._pending: set[Future] = set()
        self.last_input = time.monotonic()
        self._notices_shown = False
        self._signals_handled: list[int] = []
        # Published on every key press and click: screens that paused work while the user
        # was away (the change feed) resume on it.
        self.input_signal: Signal[None] = Signal(self, "input")
        # Published as each database result reaches the UI loop, before the caller goes on
        # with it: what benchmarks time an action's answer by.
        self.result_signal: Signal[None] = Signal(self, "database-result")
        self._type_ahead = TypeAhead(self)
        # From the user's config.toml (userconfig.py), once read after the first frame.
        self.user_defaults: dict[str, str] = {}
        self._theme_from_defaults: str | None = None
        # The login session of the user logged in (None: nobody, or none could be made),
        # and whether its token is in the token file (else it ends when the app quits).
        self.login: StartedSession | None = None
        self.login_kept = False
        self._ui_loop: asyncio.AbstractEventLoop | None = None

    def on_load(self) -> None:
        self._ui_loop = asyncio.get_running_loop()

    def on_mount(self) -> None:
        theme = preferences.load(self.settings.config_dir).get("theme")
        if theme in self.available_themes:
            self.theme = theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self._handle_signals()
        self.push_screen(StartupScreen())
        self.call_after_refresh(self._read_styles)
        self.call_after_refresh(self._read_user_config)

    def _read_styles(self) -> None:
        """The styles of the screens after the first: parsed alone (what is parsed already
        is kept) and applied, while the database is opened."""
        self.stylesheet.read(Path(__file__).with_name("app.tcss"))
        self.stylesheet.update(self)

    def _read_user_config(self) -> None:
        """The keymap and defaults of config.toml; what is wrong with it, in one line."""
        from textual.keys import _normalize_key_list  # what set_keymap applies to each key

        from todo_tui import userconfig, views
        from todo_tui.widgets.todo_table import SORT_ORDER

        config = userconfig.load(
            self.settings.config_dir,
            specs=bindings.specs(),
            choices={"view": views.VIEWS, "sort": SORT_ORDER, "theme": self.available_themes},
            normalize=_normalize_key_list,
        )
        for problem in config.problems:
            log.warning("%s", problem)
        if (summary := config.summary()) is not None:
            self.notify(summary, severity="warning", markup=False, timeout=15)
        self.user_defaults = config.defaults
        if config.keymap:
            self.set_keymap(config.keymap)
        theme = config.defaults.get("theme")
        remembered = preferences.load(self.settings.config_dir).get("theme")
        if theme is not None and remembered is None:
            self._theme_from_defaults = theme  # a default, not a choice to remember
            self.theme = theme

    @property
    def keymap_in_force(self) -> dict[str, str]:
        """Binding id -> keys, for the bindings the user's keymap changed."""
        return dict(self._keymap)

    def action_help(self) -> None:
        from todo_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -- signals --------------------------------------------------------------------------

    def _handle_signals(self) -> None:
        """`kill`, a closed terminal and ctrl+c from outside end the app as ctrl+q does: on
        the app's loop, so the driver gives the terminal back (alternate screen left, mouse
        off, cursor shown, tty modes restored) and a save on its way gets its grace."""
        loop = asyncio.get_running_loop()
        for signum in EXIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._signalled, signum)
                self._signals_handled.append(signum)

    def _signalled(self, signum: int) -> None:
        log.warning("ending on %s", signal.Signals(signum).name)
        try:
            self.keep_draft()
        except Exception:  # the exit matters more than the draft
            log.exception("could not keep the draft")
        self.exit(return_code=128 + signum)  # the shell's convention for "ended by a signal"

    def keep_draft(self) -> None:
        """The text of an open todo form, for the next launch to offer back."""
        for screen in reversed(self.screen_stack):
            draft = getattr(screen, "draft", None)
            if callable(draft) and (text := draft()) is not None:
                from todo_tui import drafts

                drafts.save(self.settings.database, screen.user.id, text)
                return

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

    @property
    def database_thread(self) -> DatabaseThread:
        return self._database_thread

    def open_database(self) -> Database:
        """On the database thread: the app's `Database`, made from the settings on first use
        (SQLAlchemy loads here, after the first frame)."""
        if self.database is None:
            from todo_tui.db import Database

            self.database = Database(self.settings, single_connection=True)
        return self.database

    def _release(self) -> None:
        if self.database is not None:
            self.database.dispose()

    def _remember_theme(self, theme: Any) -> None:
        # Signals arrive later: the change that applied config.toml's theme is not saved.
        if self._theme_from_defaults is not None and self.theme == self._theme_from_defaults:
            self._theme_from_defaults = None
            return
        preferences.save(self.settings.config_dir, theme=self.theme)

    # -- screen flow ----------------------------------------------------------------------

    @on(SchemaReady)
    @on(LoggedOut)
    def show_login(self, message: SchemaReady | LoggedOut | None = None) -> None:
        """The login screen in place of the current one (and of any dialog over it): after
        the launch check, on log out, and when the session ended elsewhere."""
        from todo_tui.screens.login import LoginScreen

        self.login, self.login_kept = None, False
        while len(self.screen_stack) > 2:  # the default screen, then ours
            self.pop_screen()
        notice = message.notice if message is not None else None
        self.switch_screen(LoginScreen(notice=notice))
        self._show_notices()

    def _show_notices(self) -> None:
        """Once, after the launch check: what is wrong with the database file (readable by
        others, read-only, damaged), each as one line."""
        if self.database is None or self._notices_shown:
            return
        self._notices_shown = True
        for notice in self.database.notices:
            self.notify(notice, severity="warning", markup=False, timeout=15)

    @on(LoggedIn)
    def _show_list(self, message: LoggedIn) -> None:
        from todo_tui.screens.todo_list import TodoListScreen

        self.login, self.login_kept = message.session, message.kept
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(TodoListScreen(message.user))
        self._show_notices()
        if message.notice:
            self.notify(message.notice, severity="warning", markup=False, timeout=10)

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
        # The account's actions, on the screens that offer them (the list).
        for title, help_text, action in getattr(screen, "ACCOUNT_COMMANDS", ()):
            yield SystemCommand(
                title, help_text, lambda action=action: self.call_next(screen.run_action, action)
            )

    # -- database calls -------------------------------------------------------------------

    async def database_call(self, work: Callable[[], T]) -> T:
        """Run `work` on the database thread, after the work queued before it, and return
        its result here, on the UI loop; or raise its `InvalidInput` / `DatabaseFault`.

        Anything else `work` raises is logged and raised as one plain sentence (a
        `DatabaseFault` of kind UNEXPECTED), never a traceback.
        """
        loop = self._ui_loop = asyncio.get_running_loop()  # the UI loop: where it awaits
        answer: Future[T] = loop.create_future()
        settled = loop.create_future()  # for wait_for_database: the UI has had the answer
        self._pending.add(settled)

        def run() -> None:
            ok = False
            try:
                value: Any = work()
                ok = True
            except (InvalidInput, DatabaseFault) as exc:
                value = exc
            except Exception as exc:
                log.exception("unexpected failure in database work")
                value = DatabaseFault(
                    FaultKind.UNEXPECTED, f"Something went wrong ({type(exc).__name__})."
                )
            self.on_ui(self._deliver, answer, settled, ok, value)

        self._database_thread.submit(run)
        try:
            return await answer
        finally:
            # Settled once the caller has gone on with the answer (in this same step).
            if not answer.cancelled():
                self._settle(settled)

    def on_ui(self, callback: Callable[..., object], *arguments: object) -> None:
        """From any thread: `callback(*arguments)` soon on the UI loop, after what was handed
        over before it. The one way back to the UI thread, for database results, the change
        feed and upgrade progress; it never waits. Once the app has stopped (or while it is
        stopping), nobody is left to tell: nothing happens."""
        loop = self._ui_loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(self._on_ui, callback, arguments)

    def _on_ui(self, callback: Callable[..., object], arguments: tuple[object, ...]) -> None:
        with self._context():  # the app's context, as for its own handlers
            callback(*arguments)

    def _deliver(self, answer: Future, settled: Future, ok: bool, value: Any) -> None:
        """On the UI loop: the one way a database result comes back to the screens."""
        if answer.cancelled():  # nobody waits any more (the screen has gone)
            self._settle(settled)
            return
        if ok:
            answer.set_result(value)
        else:
            answer.set_exception(value)
        self.result_signal.publish(None)

    def _settle(self, settled: Future) -> None:
        self._pending.discard(settled)
        if not settled.done():
            settled.set_result(None)

    @property
    def pending_database_calls(self) -> int:
        """Database calls queued or running whose result the UI thread has not had yet."""
        return len(self._pending)

    @property
    def keys_held(self) -> bool:
        """Keys typed in a burst are still held back, to be handed on once it settles."""
        return not self._type_ahead.idle

    async def wait_for_database(self) -> None:
        """Until no database work is queued or running (for tests and benchmarks)."""
        while self._pending:
            await asyncio.gather(*self._pending)

    def show_failure(self, failure: Failure) -> None:
        text = failure.message if isinstance(failure, InvalidInput) else failure.sentence
        self.notify(text, severity="error", markup=False, timeout=8)

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        """The one handler for what a screen's action did not expect: one sentence."""
        error = message.error
        if isinstance(error, InvalidInput | DatabaseFault):
            self.show_failure(error)
            return
        log.error("unexpected failure: %s", type(error).__name__, exc_info=error)
        self.show_failure(
            DatabaseFault(FaultKind.UNEXPECTED, f"Something went wrong ({type(error).__name__}).")
        )

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals_handled:
            loop.remove_signal_handler(signum)
        if self.database is not None:
            if self.login is not None and not self.login_kept:
                self._database_thread.submit(self._end_login(self.database, self.login.id))
            self._database_thread.submit(self.database.dispose)
        self._database_thread.stop()

    @staticmethod
    def _end_login(database: Database, session_id: int) -> Callable[[], None]:
        """A session not kept in the token file ends with the app (best effort: one that
        cannot be ended now expires, and shows in Sessions meanwhile)."""

        def end() -> None:
            from todo_tui import sessions

            try:
                database.run(lambda s: sessions.end(s, session_id=session_id))
            except (DatabaseFault, InvalidInput) as failure:
                log.warning("could not end the session on quitting: %s", failure)

        return end

    def finish_database_work(self, timeout: float = QUIT_GRACE) -> None:
        """After the app has stopped: let a save still on its way land (a toggle pressed
        just before quitting), but never hang the exit on a server that does not answer."""
        if not self._database_thread.join(timeout):
            log.warning("quit with database work unfinished after %.1f s", timeout)
