"""Changes made elsewhere (another terminal of the same user), reported as they happen.

The feed runs on the app's one database thread (database_thread.py), between jobs, on the
app's one connection: one server connection per running app, whatever it is doing.

PostgreSQL: LISTEN on the owner's channel (migration 0003's trigger NOTIFYs
"<id>:<version>:<client>", or "<id>:deleted:<client>"; this app's own changes, tagged with
its client id, are skipped). psycopg2 collects notifications on whatever the connection
reads, so a job's replies bring them too (`after_work`); between jobs the feed waits on the
connection's socket and on the thread's wake-up socket. Neon's pooled endpoint does not
deliver LISTEN, and SQLite has no NOTIFY: there, the owner's change counter (migration
0004, moved by the database on every insert, update and delete) every POLL_INTERVAL.

Catching up: on every new connection, when resumed after an idle pause, and when asked
(`catch_up`), the feed reports a snapshot (todos.Snapshot: every todo id with its version;
with `done_too` False, of the open todos only and the number of done ones, as a list that
holds only the open todos needs). The LISTEN is committed in a round
trip of its own before the snapshot's SELECT (PostgreSQL registers a LISTEN when its
transaction commits: in one transaction, a change committed between the SELECT's snapshot
and the commit would be in neither). Notifications that arrive during the catch-up are
reported after it, older or newer than the snapshot: the screen keeps the newer version.
A listening connection that has heard nothing for LISTEN_CHECK asks the server for an
answer (a hung server or a dead route is silent otherwise). A lost connection is retried
after BACKOFF[0] before the user is told, then every BACKOFF[-1] at most (jittered down),
so the app is back within about two seconds of the server. After IDLE_LIMIT without a key
press the feed stops talking to the server and closes the connection, so a Neon compute
can suspend, until `resume()`.

No Textual here: callbacks run on the database thread; the screen hands them to the UI.
`on_snapshot(snapshot, taken_at)`: `taken_at` is time.monotonic() just before its query, so
the screen can tell a snapshot older than a change of its own. `on_online(online)`: the
connection was lost (False) or is back (True); the first connection is no news.
"""

from __future__ import annotations

import logging
import random
import selectors
import threading
import time
from collections.abc import Callable

import psycopg2

from todo_tui import todos
from todo_tui.database_thread import DatabaseThread
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, classify

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
LISTEN_WAKEUP = 1.0  # the longest wait on the socket before looking at idle/stop again
# After this long without a word from the server, the feed asks for one: a hung server or
# a dead route sends nothing, not even the error a closed connection sends.
LISTEN_CHECK = 5.0
IDLE_LIMIT = 600.0
# Seconds before each reconnect attempt; the last one repeats. Capped at 2 s: back within
# about two seconds of the server, at one attempt every 1.6-2 s at most while it is down.
BACKOFF = (0.5, 1.0, 2.0)
JITTER = 0.2  # each wait is shortened by up to this fraction, so terminals spread out
# At most one report of changes per REPORT_EVERY: what arrives meanwhile (a batch of
# deletes elsewhere) is gathered into the next one, so the list rebuilds once for it, not
# once per todo. A change after a quiet spell is reported at once.
REPORT_EVERY = 0.5
LISTENING = "todo_tui_listening"  # connection info key: the channel this connection LISTENs on

# Changes: {todo id: its new version, or None when deleted}.
Changes = dict[int, int | None]
Snapshot = todos.Snapshot
# The catch-up's query (as todos.list_versions): every todo's version, or the open ones
# and (NULL, the number of all).
VERSIONS = "SELECT id, version FROM todo WHERE user_id = %(owner)s"
OPEN_VERSIONS = (
    f"{VERSIONS} AND NOT is_completed UNION ALL "
    "SELECT NULL, count(*) FROM todo WHERE user_id = %(owner)s"
)
# What a lost connection raises; anything else is a bug, logged with its traceback.
EXPECTED_FAILURES = (psycopg2.Error, DatabaseFault, OSError)


def parse_payload(payload: str) -> tuple[int, int | None, str] | None:
    """(todo id, version or None when deleted, the writing client's id)."""
    todo_id, _, rest = payload.partition(":")
    version, _, client = rest.partition(":")
    try:
        return int(todo_id), (None if version == "deleted" else int(version)), client
    except ValueError:
        return None


class ChangeFeed:
    """Started on `thread` (the app's database thread), or on a thread of its own."""

    def __init__(
        self,
        database: Database,
        owner_id: int,
        *,
        on_changes: Callable[[Changes], None],
        on_snapshot: Callable[[Snapshot, float], None],
        on_online: Callable[[bool], None],
        idle_for: Callable[[], float],
        thread: DatabaseThread | None = None,
    ) -> None:
        self.database = database
        self.owner_id = owner_id
        self.on_changes = on_changes
        self.on_snapshot = on_snapshot
        self.on_online = on_online
        self.idle_for = idle_for
        # Decided after the engine's first connection, which finds a pooler out.
        self.listens = database.dialect == "postgresql" and not database.behind_pooler
        self.done_too = True  # what the snapshots cover: every todo, or the open ones
        self._again = False  # a snapshot asked for (`catch_up`)
        self._given_thread = thread
        self._runner: DatabaseThread | None = None
        self._stop = threading.Event()
        self._awake = threading.Event()
        self._awake.set()
        self._done = threading.Event()  # stopped, and off the database thread
        self._online: bool | None = None  # None until the first connection (or failure)
        self._attempt = 0  # failures in a row: the backoff
        self._retry_at = 0.0
        self._next_poll = 0.0
        self._last_counter: int | None = None  # None: the next poll catches up
        self._heard = 0.0
        self._connection = None  # the DBAPI connection that LISTENs (PostgreSQL)
        self._pending: Changes = {}  # heard, not reported yet (see REPORT_EVERY)
        self._reported_at = -REPORT_EVERY
        self._selector = selectors.DefaultSelector()

    @property
    def paused(self) -> bool:
        return not self._awake.is_set()

    @property
    def online(self) -> bool:
        """Connected, and not lost since (False until the first connection)."""
        return self._online is True

    @property
    def offline(self) -> bool:
        """A lost connection has been reported, and it is not back yet."""
        return self._online is False

    @property
    def running(self) -> bool:
        """Started and not yet off the database thread."""
        return self._runner is not None and not self._done.is_set()

    @property
    def _channel(self) -> str:
        return f"todo_user_{int(self.owner_id)}"

    def start(self) -> None:
        self._runner = self._given_thread or DatabaseThread(name="todo-tui-changes")
        self._runner.attach(self)

    def stop(self) -> None:
        self._stop.set()
        self._awake.set()
        if self._runner is not None:
            self._runner.wake()

    def catch_up(self) -> None:
        """Report a new snapshot (of what `done_too` says) soon."""
        self._again = True
        self.resume()

    def resume(self) -> None:
        self._awake.set()
        if self._runner is not None:
            self._runner.wake()

    # -- on the database thread ----------------------------------------------------------

    def wait(self, wakeup: int) -> None:
        if self._stop.is_set():
            self._leave()
            return
        now = time.monotonic()
        if not self._awake.is_set():
            self._wait_for(wakeup, None)
            return
        if now < self._retry_at:
            self._wait_for(wakeup, self._retry_at - now)
            return
        try:
            if self.listens:
                self._listen(wakeup)
            else:
                self._poll(wakeup)
        except Exception as exc:  # the feed lives on, whatever went wrong
            self._failed(exc)

    def after_work(self) -> None:
        connection = self._connection
        if connection is None:
            return
        if connection.closed:
            # The job found it broken (the pool replaces it): that was this outage's first
            # failure, so listen again at once, and a reconnect that fails is news.
            self._connection = None
            self._attempt = max(self._attempt, 1)
            self._retry_at = 0.0
        else:
            self._report(connection)

    def _leave(self) -> None:
        assert self._runner is not None
        self._runner.detach(self)
        self._selector.close()
        if self._connection is not None and not self._connection.closed:
            # The connection stays with the app (another user may log in): stop listening.
            try:
                with self.database.faults(), self.database.engine.raw_connection() as proxied:
                    if proxied.info.get(LISTENING) == self._channel:
                        with proxied.dbapi_connection.cursor() as cursor:
                            cursor.execute("UNLISTEN *")
                        del proxied.info[LISTENING]
            except EXPECTED_FAILURES as exc:
                log.info("change feed: %s", self._sentence(exc))
        self._connection = None
        self._done.set()
        if self._given_thread is None:
            self._runner.stop()

    def _wait_for(self, wakeup: int, timeout: float | None, connection=None) -> bool:
        """Wait for work (`wakeup`), the connection's socket or `timeout`: True when the
        connection has something to read."""
        selector = self._selector
        for fileno in list(selector.get_map() or ()):
            selector.unregister(fileno)
        selector.register(wakeup, selectors.EVENT_READ, "wakeup")
        if connection is not None:
            selector.register(connection.fileno(), selectors.EVENT_READ, "server")
        return any(key.data == "server" for key, _ in selector.select(timeout))

    def _failed(self, exc: BaseException) -> None:
        self._connection = None  # invalidated already (see _listen), or never listening
        if isinstance(exc, EXPECTED_FAILURES):
            log.warning("change feed: %s Reconnecting.", self._sentence(exc))
        else:
            log.exception("change feed: unexpected failure")
        # A connection the server closed while idle (a Neon suspend) is usually back at
        # the first retry: only a second failure is worth telling.
        if self._attempt > 0 or self._online is not True:
            self._set_online(False)
        self._retry_at = time.monotonic() + self._delay(self._attempt)
        self._attempt += 1

    def _delay(self, attempt: int) -> float:
        """The wait before reconnect attempt `attempt` + 1: capped, jittered down."""
        base = BACKOFF[min(attempt, len(BACKOFF) - 1)]
        return base * (1 - random.uniform(0, JITTER))

    def _sentence(self, exc: BaseException) -> str:
        if isinstance(exc, DatabaseFault):
            return exc.sentence
        fault = classify(exc, self.database.settings.database)
        return fault.sentence if fault is not None else f"{type(exc).__name__}."

    def _connected(self, snapshot: Snapshot, taken_at: float) -> None:
        """A connection works: online, the catch-up reported, and the next failure is a
        new outage (retried once before the user is told, backing off from the start)."""
        if self._attempt > 0:
            log.warning("change feed: reconnected to the database.")
        self._set_online(True)
        self._flush()  # what was heard before the snapshot goes before it
        self.on_snapshot(snapshot, taken_at)
        self._attempt = 0

    def _set_online(self, online: bool) -> None:
        if online != self._online:
            was, self._online = self._online, online
            if was is not None or not online:  # the first connection is no news
                self.on_online(online)

    def _idle(self) -> bool:
        if self.idle_for() > IDLE_LIMIT:
            self._awake.clear()  # until resume(): let an idle Neon compute suspend
            self._connection = None
            self._last_counter = None
            self.database.dispose()  # the app holds no server connection while idle
            return True
        return False

    # -- PostgreSQL: LISTEN --------------------------------------------------------------

    def _listen(self, wakeup: int) -> None:
        if self._idle():
            return
        with self.database.faults(), self.database.engine.raw_connection() as proxied:
            connection = proxied.dbapi_connection
            try:
                if proxied.info.get(LISTENING) != self._channel or self._again:
                    self._connection = None
                    self._catch_up(proxied, connection)
                self._connection = connection
                self._report(connection)
                now = time.monotonic()
                timeout = min(LISTEN_WAKEUP, self._heard + LISTEN_CHECK - now)
                if self._pending:
                    timeout = min(timeout, self._reported_at + REPORT_EVERY - now)
                if self._wait_for(wakeup, max(0.0, timeout), connection):
                    connection.poll()  # raises when the server has gone
                    self._heard = time.monotonic()
                elif time.monotonic() - self._heard >= LISTEN_CHECK:
                    # LISTEN again (a no-op): an answer within the deadline, or an error.
                    with connection.cursor() as cursor:
                        cursor.execute(self._listen_sql)
                    self._heard = time.monotonic()
                self._report(connection)
            except Exception:
                proxied.invalidate()  # the pool makes a new one for the next job
                self._connection = None
                raise

    def _catch_up(self, proxied, connection) -> None:
        with connection.cursor() as cursor:
            # In autocommit, this round trip commits the LISTEN: listening from here on.
            cursor.execute(self._listen_sql)
            proxied.info[LISTENING] = self._channel
            self._again, done_too = False, self.done_too
            taken_at = time.monotonic()
            cursor.execute(VERSIONS if done_too else OPEN_VERSIONS, {"owner": self.owner_id})
            snapshot = todos.snapshot_of(cursor.fetchall(), done_too=done_too)
        self._heard = time.monotonic()
        # The snapshot first, then what arrived meanwhile (the screen compares versions).
        self._connected(snapshot, taken_at)

    @property
    def _listen_sql(self) -> str:
        return f'LISTEN "{self._channel}"'

    def _report(self, connection) -> None:
        """Take the connection's notifications; report them (and those gathered before)
        unless a report went out less than REPORT_EVERY ago."""
        changes = self._pending
        while connection.notifies:
            notification = connection.notifies.pop(0)
            if notification.channel != self._channel:
                continue  # a channel of an earlier log-in on this connection
            parsed = parse_payload(notification.payload)
            if parsed is not None and parsed[2] != self.database.client_id:
                changes.pop(parsed[0], None)  # keeps the order of the last change of each
                changes[parsed[0]] = parsed[1]
        if changes and time.monotonic() - self._reported_at >= REPORT_EVERY:
            self._flush()

    def _flush(self) -> None:
        changes, self._pending = self._pending, {}
        if changes:
            self._reported_at = time.monotonic()
            self.on_changes(changes)

    # -- SQLite, poolers: the owner's change counter ---------------------------------------

    def _poll(self, wakeup: int) -> None:
        if self._idle():
            return
        now = time.monotonic()
        if now >= self._next_poll:
            self._next_poll = now + POLL_INTERVAL
            current = self.database.run(
                lambda s: todos.change_counter(s, owner_id=self.owner_id), retry=True
            )
            if current != self._last_counter or self._online is not True or self._again:
                self._again, done_too = False, self.done_too
                taken_at = time.monotonic()
                snapshot = self.database.run(
                    lambda s: todos.list_versions(s, owner_id=self.owner_id, done_too=done_too),
                    retry=True,
                )
                self._connected(snapshot, taken_at)
                self._last_counter = current
            else:
                self._attempt = 0
        self._wait_for(wakeup, max(0.0, self._next_poll - time.monotonic()))
