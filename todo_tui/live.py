"""Changes made elsewhere (another terminal of the same user), reported as they happen.

PostgreSQL: LISTEN on the owner's channel over a connection of the feed's own, outside the
pool (migration 0003's trigger NOTIFYs "<id>:<version>:<client>", or "<id>:deleted:<client>";
this app's own changes, tagged with its client id, are skipped). Neon's pooled endpoint
does not deliver LISTEN, and SQLite has no NOTIFY: there, a one-row fingerprint query every
POLL_INTERVAL.

Catching up: on every (re)connect, and when resumed after an idle pause, the feed reports
a snapshot (every todo id with its version); the LISTEN and the snapshot's SELECT go in
one round trip. A listening connection that has heard nothing for LISTEN_CHECK asks the
server for an answer (a hung server or a dead route is silent otherwise). A lost
connection is retried after BACKOFF[0] before the user is told, then with backoff; after
IDLE_LIMIT without a key press the feed stops talking to the server, so a Neon compute can
suspend, until `resume()`.

No Textual here: callbacks run on the feed's thread; the screen hands them to the UI.
`on_snapshot(snapshot, taken_at)`: `taken_at` is time.monotonic() just before its query, so
the screen can tell a snapshot older than a change of its own. `on_online(online)`: the
connection was lost (False) or is back (True); the first connection is no news.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable

import psycopg2

from todo_tui import todos
from todo_tui.db import Database
from todo_tui.errors import DatabaseFault

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
LISTEN_WAKEUP = 1.0  # how often the listening thread checks for stop/idle
# After this long without a word from the server, the listening thread asks for one: a hung
# server or a dead route sends nothing, not even the error a closed connection sends.
LISTEN_CHECK = 5.0
IDLE_LIMIT = 600.0
BACKOFF = (1, 2, 4, 8, 15, 30)

# Changes: {todo id: its new version, or None when deleted}. A snapshot: {id: version}.
Changes = dict[int, int | None]
Snapshot = dict[int, int]
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
    def __init__(
        self,
        database: Database,
        owner_id: int,
        *,
        on_changes: Callable[[Changes], None],
        on_snapshot: Callable[[Snapshot, float], None],
        on_online: Callable[[bool], None],
        idle_for: Callable[[], float],
    ) -> None:
        self.database = database
        self.owner_id = owner_id
        self.on_changes = on_changes
        self.on_snapshot = on_snapshot
        self.on_online = on_online
        self.idle_for = idle_for
        self.listens = database.dialect == "postgresql" and not database.behind_pooler
        self._stop = threading.Event()
        self._awake = threading.Event()
        self._awake.set()
        self._online: bool | None = None  # None until the first connection (or failure)
        self._attempt = 0  # failures in a row: the backoff
        self._thread = threading.Thread(target=self._run, name="todo-tui-changes", daemon=True)

    @property
    def paused(self) -> bool:
        return not self._awake.is_set()

    @property
    def offline(self) -> bool:
        """A lost connection has been reported, and it is not back yet."""
        return self._online is False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._awake.set()

    def resume(self) -> None:
        self._awake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._awake.wait(timeout=LISTEN_WAKEUP):
                continue
            try:
                if self.listens:
                    self._listen()
                else:
                    self._poll()
                self._attempt = 0  # stopped, or paused while idle: afresh when resumed
            except Exception as exc:  # the feed lives on, whatever went wrong
                if isinstance(exc, EXPECTED_FAILURES):
                    log.info("change feed: %s", exc)
                else:
                    log.exception("change feed: unexpected failure")
                # A connection the server closed while idle (a Neon suspend) is usually
                # back at the first retry: only a second failure is worth telling.
                if self._attempt > 0 or self._online is not True:
                    self._set_online(False)
                delay = BACKOFF[min(self._attempt, len(BACKOFF) - 1)]
                self._attempt += 1
                self._stop.wait(delay)

    def _connected(self, snapshot: Snapshot, taken_at: float) -> None:
        """A connection works: online, the catch-up reported, and the next failure is a
        new outage (retried once before the user is told, backing off from the start)."""
        self._set_online(True)
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
            return True
        return False

    def _listen(self) -> None:
        connection = self.database.dedicated_connection()  # in autocommit, as the engine's
        try:
            with connection.cursor() as cursor:
                # One round trip: listening from now on, and where everything stands now.
                taken_at = time.monotonic()
                cursor.execute(
                    f"{self._listen_sql}; SELECT id, version FROM todo WHERE user_id = %s",
                    (self.owner_id,),
                )
                snapshot = dict(cursor.fetchall())
            self._connected(snapshot, taken_at)
            self._deliver_notifications(connection)
        finally:
            connection.close()

    @property
    def _listen_sql(self) -> str:
        return f'LISTEN "todo_user_{int(self.owner_id)}"'

    def _deliver_notifications(self, connection) -> None:
        heard = time.monotonic()
        while not self._stop.is_set() and not self._idle():
            readable, _, _ = select.select([connection], [], [], LISTEN_WAKEUP)
            if readable:
                connection.poll()  # raises when the server has gone
            elif time.monotonic() - heard >= LISTEN_CHECK:
                # LISTEN again (a no-op): an answer within the deadline, or an error.
                with connection.cursor() as cursor:
                    cursor.execute(self._listen_sql)
            else:
                continue
            heard = time.monotonic()
            changes: Changes = {}
            while connection.notifies:
                parsed = parse_payload(connection.notifies.pop(0).payload)
                if parsed is not None and parsed[2] != self.database.client_id:
                    changes[parsed[0]] = parsed[1]
            if changes:
                self.on_changes(changes)

    def _poll(self) -> None:
        last = None  # the first fingerprint after a (re)start catches up, as LISTEN does
        while not self._stop.is_set() and not self._idle():
            current = self.database.run(
                lambda s: todos.fingerprint(s, owner_id=self.owner_id), retry=True
            )
            if current != last:
                taken_at = time.monotonic()
                snapshot = self.database.run(
                    lambda s: todos.list_versions(s, owner_id=self.owner_id), retry=True
                )
                self._connected(snapshot, taken_at)
                last = current
            self._stop.wait(POLL_INTERVAL)
