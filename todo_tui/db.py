"""Engine factory and sessions; database errors become faults (see faults.py) on the way out.

PostgreSQL connections run in autocommit: every action is a single statement, so it costs
one round trip (psycopg2 would otherwise send BEGIN and COMMIT as round trips of their own).
Work that needs a transaction (migrations, see schema.py) asks for one explicitly.

No call waits for the server for ever: the server cancels a statement after
`statement_timeout`, and psycopg2 waits for an answer through `_wait_with_deadline`, which
gives up (and drops the connection) when the server or the network stops answering.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import sqlite3
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import psycopg2
import psycopg2.extensions as pgext
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from todo_tui.config import DatabaseURL, Settings
from todo_tui.faults import (
    OPTIONS_REFUSED,
    DatabaseFault,
    FaultKind,
    InvalidInput,
    classify,
    creation_fault,
    damaged_file,
    read_only_file,
)
from todo_tui.files import create_private_file, exposed_file_warning, make_private_folder

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)
APPLICATION_NAME = "todo-tui"
# A liveness check only after this much idle time, not on every checkout.
PING_AFTER_IDLE = 30.0
# Neon suspends an idle compute after 5 minutes and its connections die with it.
RECONNECT_AFTER_IDLE = 240.0
SQLITE_BUSY_TIMEOUT = 30.0
# Reads of an idle connection's waiting bytes before it counts as closed by the server
# (notifications keep arriving on a listening one; a closed one raises by the second).
PENDING_READS = 4
# How much longer than the server's statement timeout the client waits for an answer.
ANSWER_GRACE = 2.0
# poll(2) where there is one: select(2) fails on a descriptor numbered 1,024 or more.
_Selector = getattr(selectors, "PollSelector", selectors.SelectSelector)
T = TypeVar("T")


def create_db_engine(
    settings: Settings, *, client_id: str = "", single_connection: bool = False
) -> Engine:
    """`client_id` tags this app's PostgreSQL connections, so it can tell its own changes
    from other terminals' in the NOTIFY payloads (migration 0003). `single_connection`:
    at most one PostgreSQL connection (the app's, shared by its database thread's work and
    its change feed), so a server's slots go one to a running app."""
    database = settings.database
    if database.is_sqlite:
        return _sqlite_engine(database, echo=settings.echo_sql)
    return _postgres_engine(
        database,
        echo=settings.echo_sql,
        timeout=settings.connect_timeout,
        client_id=client_id,
        single_connection=single_connection,
    )


def _postgres_engine(
    database: DatabaseURL, *, echo: bool, timeout: int, client_id: str, single_connection: bool
) -> Engine:
    url = sa.make_url(database.url)
    defaults = {
        "connect_timeout": timeout,
        "application_name": APPLICATION_NAME,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    connect_args = {k: v for k, v in defaults.items() if k not in url.query}  # the URL wins
    startup = StartupOptions()
    if not is_pooler(url.host):  # Neon's pooler refuses startup options (and has no NOTIFY)
        ours = f"-c statement_timeout={timeout * 1000}" + (
            f" -c todo_tui.client={client_id}" if client_id else ""
        )
        # Added to the URL's own options (Neon documents options=endpoint%3D...), not lost.
        theirs = url.query.get("options")
        startup.theirs = theirs if isinstance(theirs, str) else None
        startup.statement_timeout = str(timeout * 1000)
        connect_args["options"] = f"{theirs} {ours}" if startup.theirs else ours
        url = url.difference_update_query(["options"])
    connect_args["connection_factory"] = _deadline_connection(
        connect_limit=timeout, answer_limit=timeout + ANSWER_GRACE
    )
    pgext.set_wait_callback(_wait_with_deadline)
    pool_options = {
        "pool_size": 1 if single_connection else 2,
        "max_overflow": 0 if single_connection else 3,
        "pool_timeout": timeout + 5,
    }
    engine = sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # values users typed stay out of logs and error text
        isolation_level="AUTOCOMMIT",
        # No hstore lookup (a BEGIN, a pg_type query and a ROLLBACK) on the first connect.
        use_native_hstore=False,
        connect_args=connect_args,
        **pool_options,
    )
    if "options" in connect_args:
        event.listen(engine, "do_connect", startup.connect)
        event.listen(engine, "first_connect", startup.check_arrived)
    _STARTUP_OPTIONS[engine] = startup
    event.listen(engine, "checkin", _remember_checkin)
    event.listen(engine, "checkout", _check_liveness)
    return engine


def is_pooler(host: str | None) -> bool:
    """Neon's pooled endpoints have "-pooler" in the host name (PgBouncer, transaction mode)."""
    return bool(host) and "-pooler" in host.split(".", 1)[0]


class StartupOptions:
    """An engine's start-up options, dropped for good once the server refuses them: a
    transaction-mode pooler (PgBouncer, and so most hosted ones) accepts no `options`, or
    is told to ignore them (PgBouncer's `ignore_startup_parameters = options`)."""

    def __init__(self) -> None:
        self.theirs: str | None = None  # the URL's own options, kept when ours are dropped
        self.statement_timeout = ""  # ours, as pg_settings shows it (milliseconds)
        self.refused = False
        self.ignored = False

    @property
    def lost(self) -> bool:
        """The server runs without them: a pooler is in the way."""
        return self.refused or self.ignored

    def check_arrived(self, dbapi_connection, record) -> None:
        """Once per engine, on its first connection: did our statement_timeout arrive?"""
        if self.refused:
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # one round trip, no transaction left open
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
                (setting,) = cursor.fetchone()
        finally:
            dbapi_connection.autocommit = autocommit
        if setting != self.statement_timeout:
            self.ignored = True
            log.info("the server ignored the start-up options (a pooler)")

    def connect(self, dialect, record, cargs, cparams):
        """The engine's do_connect: with our options until the server refuses them."""
        if self.refused:
            self._drop_ours(cparams)
            return None  # SQLAlchemy's own connect, with what is left
        try:
            return dialect.connect(*cargs, **cparams)
        except psycopg2.OperationalError as exc:
            if OPTIONS_REFUSED not in str(exc):
                raise
        self.refused = True
        log.info("the server refuses start-up options (a pooler): connecting without them")
        self._drop_ours(cparams)
        return dialect.connect(*cargs, **cparams)

    def _drop_ours(self, cparams: dict) -> None:
        if self.theirs:
            cparams["options"] = self.theirs
        else:
            cparams.pop("options", None)


_STARTUP_OPTIONS: weakref.WeakKeyDictionary[Engine, StartupOptions] = weakref.WeakKeyDictionary()


class DeadlineConnection(pgext.connection):
    """A psycopg2 connection that knows how long to wait for the server."""

    connect_limit: float = 10.0
    answer_limit: float = 12.0


def _deadline_connection(*, connect_limit: float, answer_limit: float) -> type:
    attributes = {"connect_limit": connect_limit, "answer_limit": answer_limit}
    return type("DeadlineConnection", (DeadlineConnection,), attributes)


def _wait_with_deadline(connection) -> None:
    """psycopg2's wait callback: like its default wait, but never for ever.

    Past the deadline the socket is shut down, so psycopg2 marks the connection broken
    (SQLAlchemy then replaces it) and the call fails with a "timed out" error.
    """
    setting_up = connection.status == pgext.STATUS_SETUP
    limit = getattr(connection, "connect_limit" if setting_up else "answer_limit", 30.0)
    deadline = time.monotonic() + limit
    while True:
        state = connection.poll()
        if state == pgext.POLL_OK:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _shut_down(connection.fileno())
            with contextlib.suppress(psycopg2.Error):
                connection.poll()  # psycopg2 notices the closed socket: the connection is bad
            raise psycopg2.OperationalError(
                f"timed out: the server did not answer within {limit:g} s"
            )
        events = selectors.EVENT_READ if state == pgext.POLL_READ else selectors.EVENT_WRITE
        _ready(connection.fileno(), events, remaining)


def _ready(fileno: int, events: int, timeout: float) -> bool:
    with _Selector() as selector:
        selector.register(fileno, events)
        return bool(selector.select(timeout))


def _shut_down(fileno: int) -> None:
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


def _has_gone(dbapi_connection) -> bool:
    """An idle connection with bytes to read was closed by the server (a terminated backend,
    a suspended Neon compute), which says so before going, at no cost of a round trip; or
    it holds notifications (the change feed's LISTEN), which psycopg2 reads and keeps. A
    closed connection stays readable (its end of file) and a read of it raises; the FATAL
    message a server sends on ending a session may be read before that end of file has
    arrived, and says as much."""
    try:
        for _ in range(PENDING_READS):
            if not _ready(dbapi_connection.fileno(), selectors.EVENT_READ, 0):
                return bool(dbapi_connection.closed)
            dbapi_connection.poll()  # raises, or keeps what it read for the next query
            notices = dbapi_connection.notices
            if notices and notices[-1].startswith("FATAL:"):
                return True  # the server's goodbye, read before the end of file arrived
    except (OSError, ValueError, psycopg2.Error):
        return True
    return True  # still more to read: not a quiet connection


def _remember_checkin(dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_liveness(dbapi_connection, record, proxy) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None:
        return
    idle = time.monotonic() - idle_since
    if _has_gone(dbapi_connection):
        raise DisconnectionError("the server closed the connection while it was idle")
    if idle > RECONNECT_AFTER_IDLE:
        raise DisconnectionError("idle past the server's suspend timeout")
    if idle > PING_AFTER_IDLE:
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except psycopg2.Error as exc:
            raise DisconnectionError("stale connection") from exc


def _sqlite_engine(database: DatabaseURL, *, echo: bool) -> Engine:
    path = database.sqlite_path
    assert path is not None
    sqlite_file = SqliteFile(path)
    try:
        make_private_folder(path.parent)
        sqlite_file.created = create_private_file(path)  # SQLite gives -wal/-shm its mode
    except IsADirectoryError:
        pass  # classified when SQLite tries to open it
    except OSError as exc:
        raise creation_fault(path, exc) from exc
    engine = sa.create_engine(
        sa.URL.create("sqlite", database=str(path)),
        echo=echo,
        hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
    )
    event.listen(engine, "do_connect", sqlite_file.open)
    event.listen(engine, "connect", sqlite_file.opened)
    event.listen(engine, "begin", sqlite_file.begin)
    _SQLITE_FILES[engine] = sqlite_file
    return engine


class SqliteFile:
    """The file a SQLite engine opened, watched so that nothing is written anywhere else.

    A new connection never creates the file (it opens with mode=rw): a file deleted under the
    app is not silently replaced by an empty one. Every transaction first compares the
    path's device and inode with the file opened first (one stat): a file deleted, moved or
    replaced stops all work with one sentence, for good. A file SQLite finds damaged (a
    quick_check on the first connection, or an error later) is read, never written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.created = False
        self.notices: list[str] = []
        self.problem: DatabaseFault | None = None
        self._identity: tuple[int, int] | None = None
        if warning := exposed_file_warning(path):
            self.notices.append(warning)

    def _current_identity(self) -> tuple[int, int] | None:
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def check(self) -> None:
        """Raise the file's fault if it is gone or replaced."""
        if (
            self.problem is None
            and self._identity is not None
            and self._current_identity() != self._identity
        ):
            self.problem = DatabaseFault(
                FaultKind.FILE_GONE,
                f"The database file {self.path} was deleted, moved or replaced while "
                "todo-tui was running: nothing more is written. Put the file back and "
                "restart todo-tui.",
            )
        if self.problem is not None and self.problem.kind is FaultKind.FILE_GONE:
            raise DatabaseFault(self.problem.kind, self.problem.sentence)

    def damaged(self, fault: DatabaseFault) -> None:
        if self.problem is None:
            self.problem = fault

    def explain(self, fault: DatabaseFault) -> DatabaseFault:
        """A damaged file is the reason for what fails in it (its query_only refusals too)."""
        if fault.kind is FaultKind.DAMAGED:
            self.damaged(fault)
        if self.problem is not None and fault.kind in {
            FaultKind.DAMAGED,
            FaultKind.READ_ONLY,
            FaultKind.UNREACHABLE,
        }:
            return DatabaseFault(self.problem.kind, self.problem.sentence)
        return fault

    def open(self, dialect, record, cargs, cparams) -> sqlite3.Connection:
        self.check()
        uri = f"file:{quote(str(self.path))}?mode=rw"
        return sqlite3.connect(uri, uri=True, **cparams)

    def opened(self, dbapi_connection, record) -> None:
        _configure_sqlite(dbapi_connection, record)
        if self._identity is not None:
            return
        self._identity = self._current_identity()
        # ~2 ms for 10,000 todos: a damaged file is known at launch, not at the first save.
        if not self.created and not _intact(dbapi_connection):
            self.damaged(damage := damaged_file(self.path))
            self.notices.append(damage.sentence)
        elif not os.access(self.path, os.W_OK):
            self.notices.append(read_only_file(self.path).sentence)

    def begin(self, connection: Connection) -> None:
        self.check()
        if self.problem is not None:  # damaged: read what can be read, write nothing
            connection.exec_driver_sql("PRAGMA query_only=ON")
        _begin_sqlite(connection)


# Engine -> its SQLite file (a Database is also built around an engine it is handed).
_SQLITE_FILES: weakref.WeakKeyDictionary[Engine, SqliteFile] = weakref.WeakKeyDictionary()


def sqlite_file_of(engine: Engine) -> SqliteFile | None:
    return _SQLITE_FILES.get(engine)


def _configure_sqlite(dbapi_connection, record) -> None:
    # sqlite3 sends no BEGIN before DDL by default: take over so migrations are transactional.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys=ON")  # or ON DELETE CASCADE does nothing
    dbapi_connection.execute("PRAGMA journal_mode=WAL")


def _intact(dbapi_connection) -> bool:
    try:
        row = dbapi_connection.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None and row[0] == "ok"


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Faults that are answers, not trouble: not logged.
QUIET_KINDS = {FaultKind.CONFLICT, FaultKind.SCHEMA}


class Database:
    """The engine and the sessions of one database, with every error classified."""

    def __init__(
        self, settings: Settings, engine: Engine | None = None, *, single_connection: bool = False
    ) -> None:
        """`single_connection`: the app's way, one server connection for everything, used
        from its one database thread (see create_db_engine). Otherwise a small pool, for
        services, scripts and tests that call from several threads."""
        self.settings = settings
        self.client_id = uuid.uuid4().hex[:16]
        self.engine = engine or create_db_engine(
            settings, client_id=self.client_id, single_connection=single_connection
        )
        self.sqlite_file = sqlite_file_of(self.engine)
        self._logged_fault: str | None = None

    @property
    def notices(self) -> list[str]:
        """Warnings about the SQLite file, known once it has been opened: others can read
        it, it is read-only, it is damaged."""
        return list(self.sqlite_file.notices) if self.sqlite_file is not None else []

    @property
    def stopped(self) -> DatabaseFault | None:
        """Why this database is no longer written to (its SQLite file went or is damaged)."""
        return self.sqlite_file.problem if self.sqlite_file is not None else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def behind_pooler(self) -> bool:
        """A transaction-mode pooler between the app and PostgreSQL: a known pooler host, or
        a server that refused or dropped our start-up options (known once the engine has
        connected). There, a LISTEN is not delivered and nothing may rely on session state."""
        startup = _STARTUP_OPTIONS.get(self.engine)
        return self.dialect == "postgresql" and (
            is_pooler(self.engine.url.host) or (startup is not None and startup.lost)
        )

    @contextmanager
    def faults(self) -> Iterator[None]:
        """Turn any database error raised inside into a classified DatabaseFault."""
        try:
            yield
        except InvalidInput:
            raise
        except DatabaseFault as fault:  # raised by this module's checks (a file gone)
            self._log_fault(fault)
            raise
        except Exception as exc:
            fault = classify(exc, self.settings.database)
            if fault is None:
                raise
            if self.sqlite_file is not None:
                fault = self.sqlite_file.explain(fault)
            self._log_fault(fault)
            raise fault from exc
        if self._logged_fault is not None:
            self._logged_fault = None
            log.warning("the database answers again")

    def _log_fault(self, fault: DatabaseFault) -> None:
        """At WARNING, once per change of state: an outage retried every second is one line
        (and its end one more). A refused value is one line each time: the user acted."""
        if fault.kind in QUIET_KINDS or fault.sentence == self._logged_fault:
            return
        if fault.kind is not FaultKind.REJECTED:
            self._logged_fault = fault.sentence
        log.warning("%s (%s)", fault.sentence, fault.kind)

    @contextmanager
    def session(self) -> Iterator[Session]:
        # Imported here: the launch check of an up-to-date database needs no SQLModel.
        from sqlmodel import Session

        with self.faults(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    def run(self, work: Callable[[Session], T], *, retry: bool = False) -> T:
        """`work` in a fresh session. With `retry`, a connection lost on the way is retried
        once on a new connection: for reads, and for writes that are safe to repeat (the
        versioned updates in todos.py recognise their own earlier success)."""
        try:
            with self.session() as session:
                return work(session)
        except DatabaseFault as fault:
            if not (retry and fault.kind is FaultKind.CONNECTION_LOST):
                raise
        with self.session() as session:
            return work(session)

    def dispose(self) -> None:
        """Close the pool's connections: at the end, and when the app is idle past its
        limit. The Database stays usable; the next call opens a connection."""
        self.engine.dispose()
