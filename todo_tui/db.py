"""Engine factory, sessions and the classification of database errors into sentences.

PostgreSQL connections run in autocommit: every action is a single statement, so it costs
one round trip (psycopg2 would otherwise send BEGIN and COMMIT as round trips of their own).
Work that needs a transaction (migrations, see schema.py) asks for one explicitly.

No call waits for the server for ever: the server cancels a statement after
`statement_timeout`, and psycopg2 waits for an answer through `_wait_with_deadline`, which
gives up (and drops the connection) when the server or the network stops answering.
"""

from __future__ import annotations

import contextlib
import os
import select
import selectors
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import psycopg2
import psycopg2.errorcodes as pgcodes
import psycopg2.extensions as pgext
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from todo_tui.config import DatabaseURL, Settings
from todo_tui.errors import DatabaseFault, FaultKind, InvalidInput
from todo_tui.validation import TITLE_MAX

if TYPE_CHECKING:
    from sqlmodel import Session

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
    if not is_pooler(url.host):  # Neon's pooler refuses startup options (and has no NOTIFY)
        ours = f"-c statement_timeout={timeout * 1000}" + (
            f" -c todo_tui.client={client_id}" if client_id else ""
        )
        # Added to the URL's own options (Neon documents options=endpoint%3D...), not lost.
        theirs = url.query.get("options")
        connect_args["options"] = f"{theirs} {ours}" if isinstance(theirs, str) else ours
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
    event.listen(engine, "checkin", _remember_checkin)
    event.listen(engine, "checkout", _check_liveness)
    return engine


def is_pooler(host: str | None) -> bool:
    """Neon's pooled endpoints have "-pooler" in the host name (PgBouncer, transaction mode)."""
    return bool(host) and "-pooler" in host.split(".", 1)[0]


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
        if state == pgext.POLL_READ:
            select.select([connection.fileno()], [], [], remaining)
        else:
            select.select([], [connection.fileno()], [], remaining)


def _shut_down(fileno: int) -> None:
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


def _has_gone(dbapi_connection) -> bool:
    """An idle connection with bytes to read was closed by the server (a terminated backend,
    a suspended Neon compute), which says so before going, at no cost of a round trip; or
    it holds notifications (the change feed's LISTEN), which psycopg2 reads and keeps. A
    closed connection stays readable (its end of file) and a read of it raises."""
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(dbapi_connection.fileno(), selectors.EVENT_READ)
            for _ in range(PENDING_READS):
                if not selector.select(0):
                    return bool(dbapi_connection.closed)
                dbapi_connection.poll()  # raises, or keeps what it read for the next query
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
    assert database.sqlite_path is not None
    try:
        database.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFault(
            FaultKind.UNREACHABLE,
            f"Cannot create the folder {database.sqlite_path.parent} ({exc.strerror}).",
        ) from exc
    engine = sa.create_engine(
        sa.URL.create("sqlite", database=str(database.sqlite_path)),
        echo=echo,
        hide_parameters=True,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection, record) -> None:
    # sqlite3 sends no BEGIN before DDL by default: take over so migrations are transactional.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys=ON")  # or ON DELETE CASCADE does nothing
    dbapi_connection.execute("PRAGMA journal_mode=WAL")


def _begin_sqlite(connection: Connection) -> None:
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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

    def release(self) -> None:
        """Close the idle connections (the app idle past its limit); the next call opens one."""
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def faults(self) -> Iterator[None]:
        """Turn any database error raised inside into a classified DatabaseFault."""
        try:
            yield
        except (InvalidInput, DatabaseFault):
            raise
        except Exception as exc:
            fault = classify(exc, self.settings.database)
            if fault is None:
                raise
            raise fault from exc

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
        self.engine.dispose()


# ---------------------------------------------------------------------------------------
# Classification: every database failure becomes one sentence a screen can show.

FIELD_BY_CONSTRAINT = {
    "idx_user_email_unique": "email",
    "ck_user_email_length": "email",
    "ck_user_hashed_password_length": "password",
    "ck_todo_title_length": "title",
    "todo_user_id_fkey": "user_id",
}
# PostgreSQL names no column for a value too long for a varchar (22001), only the type: the
# lengths that belong to one column alone (255 is both email and hashed_password).
FIELD_BY_VARCHAR = {f"character varying({TITLE_MAX})": "title"}

SCHEMA_CODES = {
    pgcodes.UNDEFINED_TABLE,
    pgcodes.UNDEFINED_COLUMN,
    pgcodes.DUPLICATE_TABLE,
    pgcodes.UNDEFINED_FUNCTION,
}
REJECTED_CODES = {
    pgcodes.NOT_NULL_VIOLATION,
    pgcodes.STRING_DATA_RIGHT_TRUNCATION,
    pgcodes.CHECK_VIOLATION,
    pgcodes.INVALID_TEXT_REPRESENTATION,
    pgcodes.CHARACTER_NOT_IN_REPERTOIRE,
    pgcodes.UNTRANSLATABLE_CHARACTER,
    pgcodes.NUMERIC_VALUE_OUT_OF_RANGE,
}
CONFLICT_CODES = {
    pgcodes.UNIQUE_VIOLATION,
    pgcodes.FOREIGN_KEY_VIOLATION,
    pgcodes.SERIALIZATION_FAILURE,
    pgcodes.DEADLOCK_DETECTED,
}


def classify(exc: BaseException, database: DatabaseURL) -> DatabaseFault | None:
    """The fault behind `exc`, or None when it is not a database error (a bug)."""
    if isinstance(exc, sa.exc.TimeoutError):
        return DatabaseFault(
            FaultKind.TIMED_OUT, "All connections to the database are busy; try again."
        )
    if isinstance(exc, ValueError) and "cannot contain NUL (0x00)" in str(exc):
        # psycopg2 refuses NUL before SQL, with a ValueError rather than a DBAPIError.
        return DatabaseFault(FaultKind.REJECTED, "Text cannot contain NUL characters.", field=None)
    if isinstance(exc, UnicodeEncodeError):
        return DatabaseFault(
            FaultKind.REJECTED, "Text contains characters that cannot be stored (lone surrogates)."
        )
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated and "timed out" not in str(exc.orig):
            return DatabaseFault(
                FaultKind.CONNECTION_LOST, "The connection to the database was lost."
            )
        exc = exc.orig if exc.orig is not None else exc
    if isinstance(exc, psycopg2.Error):
        return _classify_postgres(exc, database)
    if isinstance(exc, sqlite3.Error):
        return _classify_sqlite(exc, database)
    return None


def _host(database: DatabaseURL) -> str:
    return sa.make_url(database.url).host or "the server"


def _classify_postgres(exc: psycopg2.Error, database: DatabaseURL) -> DatabaseFault:
    code = exc.pgcode or ""
    message = str(exc).lower()
    diag = getattr(exc, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    column = getattr(diag, "column_name", None)
    field = FIELD_BY_CONSTRAINT.get(constraint or "", column)
    if field is None and code == pgcodes.STRING_DATA_RIGHT_TRUNCATION:
        field = next((name for type_, name in FIELD_BY_VARCHAR.items() if type_ in message), None)
    if code in SCHEMA_CODES:
        return DatabaseFault(
            FaultKind.SCHEMA,
            "The database schema does not match this todo-tui: restart it to check the schema.",
        )
    if code in CONFLICT_CODES:
        if code == pgcodes.UNIQUE_VIOLATION and field == "email":
            return DatabaseFault(
                FaultKind.CONFLICT, "An account with this email already exists.", field="email"
            )
        return DatabaseFault(
            FaultKind.CONFLICT,
            "Someone else changed the same data at the same time; reload and try again.",
            field=field,
        )
    if code in REJECTED_CODES:
        name = f" for {field}" if field else ""
        return DatabaseFault(
            FaultKind.REJECTED, f"The database rejected the value{name}.", field=field
        )
    if code in {pgcodes.QUERY_CANCELED, pgcodes.LOCK_NOT_AVAILABLE}:
        return DatabaseFault(FaultKind.TIMED_OUT, "The database took too long to answer.")
    if code in {pgcodes.INVALID_PASSWORD, pgcodes.INVALID_AUTHORIZATION_SPECIFICATION} or any(
        text in message
        for text in ("password authentication failed", "no password supplied", 'role "')
    ):
        return DatabaseFault(
            FaultKind.AUTHENTICATION,
            "The database refused the user name or password in DATABASE_URL.",
        )
    if (
        "ssl off" in message
        or "ssl/tls required" in message
        or "sslmode=require" in message
        or "connection is insecure" in message
    ):
        return DatabaseFault(
            FaultKind.SSL_REQUIRED,
            "The server requires SSL: add ?sslmode=require to DATABASE_URL.",
        )
    if "server does not support ssl" in message:
        return DatabaseFault(
            FaultKind.SSL_REQUIRED,
            "The server does not offer SSL but DATABASE_URL requires it: check sslmode.",
        )
    if "timeout expired" in message or "timed out" in message:
        return DatabaseFault(
            FaultKind.TIMED_OUT,
            f"{_host(database)} did not answer in time; a suspended Neon project can take "
            "a few seconds to wake, so try again.",
        )
    if 'database "' in message and "does not exist" in message:
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            "The database named in DATABASE_URL does not exist on the server.",
        )
    if "endpoint" in message and ("disabled" in message or "suspended" in message):
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            "The Neon endpoint is disabled: enable it in the Neon console and try again.",
        )
    if "could not translate host name" in message or "name or service not known" in message:
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            f"Cannot find the host {_host(database)}: check the host name in DATABASE_URL.",
        )
    if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
        if "closed" in message or "terminat" in message or "lost" in message:
            return DatabaseFault(FaultKind.UNREACHABLE, "The connection to the database was lost.")
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            f"Cannot reach the database at {_host(database)}: check that it is running and "
            "that DATABASE_URL is right.",
        )
    return DatabaseFault(
        FaultKind.UNEXPECTED, f"The database reported an error ({code or type(exc).__name__})."
    )


def _classify_sqlite(exc: sqlite3.Error, database: DatabaseURL) -> DatabaseFault:
    message = str(exc)
    lowered = message.lower()
    path = database.sqlite_path
    if isinstance(exc, sqlite3.IntegrityError):
        detail = message.partition(":")[2].strip()  # "user.email" or "ck_todo_title_length"
        field = FIELD_BY_CONSTRAINT.get(detail, detail.rpartition(".")[2] or None)
        if lowered.startswith("unique") and field == "email":
            return DatabaseFault(
                FaultKind.CONFLICT, "An account with this email already exists.", field="email"
            )
        if lowered.startswith(("unique", "foreign key")):
            return DatabaseFault(
                FaultKind.CONFLICT,
                "Someone else changed the same data at the same time; reload and try again.",
                field=field,
            )
        name = f" for {field}" if field else ""
        return DatabaseFault(
            FaultKind.REJECTED, f"The database rejected the value{name}.", field=field
        )
    if "no such table" in lowered or "no such column" in lowered or "already exists" in lowered:
        return DatabaseFault(
            FaultKind.SCHEMA,
            "The database schema does not match this todo-tui: restart it to check the schema.",
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseFault(
            FaultKind.TIMED_OUT, f"The SQLite file {path} is locked by another program."
        )
    if "not a database" in lowered or "malformed" in lowered:
        return DatabaseFault(FaultKind.UNREACHABLE, f"{path} is not a usable SQLite database.")
    if "unable to open" in lowered or "readonly" in lowered or "disk i/o" in lowered:
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            f"Cannot open the SQLite file {path}: check that its folder is writable.",
        )
    return DatabaseFault(
        FaultKind.UNEXPECTED, f"The database reported an error ({type(exc).__name__})."
    )
