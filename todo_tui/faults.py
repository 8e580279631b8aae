"""What goes wrong, in one plain sentence: bad input, and database faults with their
classification (every database error becomes a `DatabaseFault` a screen can show).

No heavy imports: screens catch these without loading SQLAlchemy or psycopg2, which the
classification imports only once there is an error of theirs to classify.
"""

from __future__ import annotations

import errno
import os
import shlex
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    import psycopg2

    from todo_tui.config import DatabaseURL

# What PgBouncer (and Neon's pooler) answer to the `options` start-up parameter.
OPTIONS_REFUSED = "unsupported startup parameter"


class InvalidInput(Exception):
    """A value the user typed was refused; `field` names the input it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FaultKind(StrEnum):
    UNREACHABLE = "unreachable"
    CONNECTION_LOST = "connection lost"
    AUTHENTICATION = "authentication failed"
    SSL_REQUIRED = "SSL required"
    TIMED_OUT = "timed out"
    SCHEMA = "schema problem"
    CONFLICT = "conflict"
    REJECTED = "value rejected"
    # The SQLite file: its disk is full, it or its folder cannot be written, it is damaged,
    # or it was deleted, moved or replaced while the app had it open.
    DISK_FULL = "disk full"
    READ_ONLY = "read-only"
    DAMAGED = "damaged"
    FILE_GONE = "file gone"
    UNEXPECTED = "unexpected"


class DatabaseFault(Exception):
    """A database error classified into one plain sentence (never a traceback)."""

    def __init__(self, kind: FaultKind, sentence: str, *, field: str | None = None) -> None:
        super().__init__(sentence)
        self.kind = kind
        self.sentence = sentence
        self.field = field

    @property
    def is_connection_problem(self) -> bool:
        return self.kind in {
            FaultKind.UNREACHABLE,
            FaultKind.CONNECTION_LOST,
            FaultKind.AUTHENTICATION,
            FaultKind.SSL_REQUIRED,
            FaultKind.TIMED_OUT,
        }


# ---------------------------------------------------------------------------------------
# Classification: every database failure becomes one sentence a screen can show.


class SqlState:
    """The PostgreSQL error codes classified here (psycopg2.errorcodes names them too, but
    importing it loads psycopg2)."""

    UNDEFINED_TABLE = "42P01"
    UNDEFINED_COLUMN = "42703"
    DUPLICATE_TABLE = "42P07"
    UNDEFINED_FUNCTION = "42883"
    NOT_NULL_VIOLATION = "23502"
    STRING_DATA_RIGHT_TRUNCATION = "22001"
    CHECK_VIOLATION = "23514"
    INVALID_TEXT_REPRESENTATION = "22P02"
    CHARACTER_NOT_IN_REPERTOIRE = "22021"
    UNTRANSLATABLE_CHARACTER = "22P05"
    NUMERIC_VALUE_OUT_OF_RANGE = "22003"
    UNIQUE_VIOLATION = "23505"
    FOREIGN_KEY_VIOLATION = "23503"
    SERIALIZATION_FAILURE = "40001"
    DEADLOCK_DETECTED = "40P01"
    QUERY_CANCELED = "57014"
    LOCK_NOT_AVAILABLE = "55P03"
    TOO_MANY_CONNECTIONS = "53300"
    INVALID_PASSWORD = "28P01"
    INVALID_AUTHORIZATION_SPECIFICATION = "28000"


FIELD_BY_CONSTRAINT = {
    "idx_user_email_unique": "email",
    "ck_user_email_length": "email",
    "ck_user_hashed_password_length": "password",
    "ck_todo_title_length": "title",
    "todo_user_id_fkey": "user_id",
}

SCHEMA_CODES = {
    SqlState.UNDEFINED_TABLE,
    SqlState.UNDEFINED_COLUMN,
    SqlState.DUPLICATE_TABLE,
    SqlState.UNDEFINED_FUNCTION,
}
REJECTED_CODES = {
    SqlState.NOT_NULL_VIOLATION,
    SqlState.STRING_DATA_RIGHT_TRUNCATION,
    SqlState.CHECK_VIOLATION,
    SqlState.INVALID_TEXT_REPRESENTATION,
    SqlState.CHARACTER_NOT_IN_REPERTOIRE,
    SqlState.UNTRANSLATABLE_CHARACTER,
    SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
}
TOO_MANY = (
    "too many clients",
    "too many connections",
    "remaining connection slots are reserved",
    "no more connections allowed",  # PgBouncer's max_client_conn
)
SSL_REFUSALS = (
    "ssl off",  # PostgreSQL before 14: no pg_hba.conf entry … SSL off
    "no encryption",  # PostgreSQL 14+: no pg_hba.conf entry … no encryption (hostssl only)
    "ssl required",  # PgBouncer's client_tls_sslmode = require
    "ssl/tls required",
    "sslmode=require",
    "connection is insecure",  # Neon's proxy
)
CONFLICT_CODES = {
    SqlState.UNIQUE_VIOLATION,
    SqlState.FOREIGN_KEY_VIOLATION,
    SqlState.SERIALIZATION_FAILURE,
    SqlState.DEADLOCK_DETECTED,
}


def classify(exc: BaseException, database: DatabaseURL) -> DatabaseFault | None:
    """The fault behind `exc`, or None when it is not a database error (a bug)."""
    import sqlite3

    import psycopg2
    import sqlalchemy as sa

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
    import sqlalchemy as sa

    return sa.make_url(database.url).host or "the server"


def is_neon(host: str | None) -> bool:
    return bool(host) and (host.endswith(".neon.tech") or host == "neon.tech")


def _field_by_varchar(message: str) -> str | None:
    """PostgreSQL names no column for a value too long for a varchar (22001), only the type:
    the lengths that belong to one column alone (255 is both email and hashed_password)."""
    from todo_tui.validation import TITLE_MAX  # validation imports InvalidInput from here

    return "title" if f"character varying({TITLE_MAX})" in message else None


def _classify_postgres(exc: psycopg2.Error, database: DatabaseURL) -> DatabaseFault:
    import psycopg2
    import sqlalchemy as sa

    code = exc.pgcode or ""
    message = str(exc).lower()
    diag = getattr(exc, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    column = getattr(diag, "column_name", None)
    field = FIELD_BY_CONSTRAINT.get(constraint or "", column)
    if field is None and code == SqlState.STRING_DATA_RIGHT_TRUNCATION:
        field = _field_by_varchar(message)
    if code in SCHEMA_CODES:
        return DatabaseFault(
            FaultKind.SCHEMA,
            "The database schema does not match this todo-tui: restart it to check the schema.",
        )
    if code in CONFLICT_CODES:
        if code == SqlState.UNIQUE_VIOLATION and field == "email":
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
    if code in {SqlState.QUERY_CANCELED, SqlState.LOCK_NOT_AVAILABLE}:
        return DatabaseFault(FaultKind.TIMED_OUT, "The database took too long to answer.")
    # Before the password: 'too many connections for role "…"' names a role too.
    if code == SqlState.TOO_MANY_CONNECTIONS or any(text in message for text in TOO_MANY):
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            "The database has no free connections (too many clients): close other todo-tui "
            "windows, or raise the connection limit of the server or of this user.",
        )
    # Before SSL: libpq's "channel binding required, but SSL not in use" names SSL too.
    if "channel binding" in message:
        return DatabaseFault(
            FaultKind.AUTHENTICATION,
            "The server did not offer the channel binding that DATABASE_URL requires "
            "(channel_binding=require): a pooler such as PgBouncer cannot do it, so connect "
            "to the server directly or remove channel_binding=require.",
        )
    if code in {SqlState.INVALID_PASSWORD, SqlState.INVALID_AUTHORIZATION_SPECIFICATION} or any(
        text in message
        for text in (
            "password authentication failed",
            "sasl authentication failed",  # PgBouncer's words for a wrong SCRAM password
            "no password supplied",
            'role "',
        )
    ):
        return DatabaseFault(
            FaultKind.AUTHENTICATION,
            "The database refused the user name or password in DATABASE_URL.",
        )
    # Refused with TLS too (sslmode=prefer tries both): not a matter of SSL.
    if "no pg_hba.conf entry" in message and (
        "ssl encryption" in message or "no encryption" not in message
    ):
        return DatabaseFault(
            FaultKind.AUTHENTICATION,
            "The server does not accept this user and database from this computer "
            "(no pg_hba.conf entry): ask its administrator.",
        )
    if any(text in message for text in SSL_REFUSALS):
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
        neon = is_neon(sa.make_url(database.url).host)
        return DatabaseFault(
            FaultKind.TIMED_OUT,
            f"{_host(database)} did not answer in time; a suspended Neon project can take "
            "a few seconds to wake, so try again."
            if neon
            else f"{_host(database)} did not answer in time: check that the server is up, "
            "and try again.",
        )
    if OPTIONS_REFUSED in message:  # only the URL's own options are left to refuse
        return DatabaseFault(
            FaultKind.UNREACHABLE,
            "The server (a connection pooler) refuses the options parameter of "
            "DATABASE_URL: remove options=… from the URL.",
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
    import sqlite3

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
    code = getattr(exc, "sqlite_errorname", "")
    assert path is not None
    if code == "SQLITE_FULL" or "disk is full" in lowered:
        return _disk_full(path)
    if code == "SQLITE_NOTADB" or "not a database" in lowered:
        return DatabaseFault(FaultKind.UNREACHABLE, f"{path} is not a usable SQLite database.")
    if code == "SQLITE_CORRUPT" or "malformed" in lowered:
        return damaged_file(path)
    if code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")) or any(
        text in lowered for text in ("unable to open", "readonly", "disk i/o")
    ):
        return _file_problem(path, exc)
    return DatabaseFault(
        FaultKind.UNEXPECTED, f"The database reported an error ({type(exc).__name__})."
    )


def _file_problem(path: Path, exc: sqlite3.Error) -> DatabaseFault:
    """Why SQLite could not open or write `path`, found by asking the file system."""
    folder = path.parent
    if path.is_dir():
        return DatabaseFault(
            FaultKind.UNREACHABLE, f"Cannot open the SQLite file {path}: it is a folder."
        )
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return _read_only_folder(path)
    if path.exists() and not os.access(path, os.W_OK):
        return read_only_file(path)
    if not path.exists():
        return DatabaseFault(
            FaultKind.UNREACHABLE, f"Cannot open the SQLite file {path}: it does not exist."
        )
    name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
    return DatabaseFault(
        FaultKind.UNREACHABLE, f"Cannot read or write the SQLite file {path} ({name})."
    )


def creation_fault(path: Path, exc: OSError) -> DatabaseFault:
    if exc.errno == errno.ENOSPC:
        return _disk_full(path)
    if not path.parent.is_dir():
        return DatabaseFault(
            FaultKind.UNREACHABLE, f"Cannot create the folder {path.parent} ({exc.strerror})."
        )
    if not os.access(path.parent, os.W_OK):
        return _read_only_folder(path)
    return DatabaseFault(
        FaultKind.UNREACHABLE, f"Cannot create the SQLite file {path} ({exc.strerror})."
    )


def _disk_full(path: Path) -> DatabaseFault:
    return DatabaseFault(
        FaultKind.DISK_FULL,
        f"The disk that holds {path} is full: nothing more can be saved until some space is "
        "freed on it.",
    )


def _read_only_folder(path: Path) -> DatabaseFault:
    return DatabaseFault(
        FaultKind.READ_ONLY,
        f"The folder {path.parent} is read-only: SQLite must write beside {path.name} "
        "(its -wal and -shm files), so todo-tui cannot save there. Make the folder writable "
        "or move the file.",
    )


def read_only_file(path: Path) -> DatabaseFault:
    return DatabaseFault(
        FaultKind.READ_ONLY,
        f"The SQLite file {path} is read-only: todo-tui shows it but cannot save to it "
        f"(chmod 600 {shlex.quote(str(path))} makes it writable by you).",
    )


def damaged_file(path: Path) -> DatabaseFault:
    return DatabaseFault(
        FaultKind.DAMAGED,
        f"The SQLite file {path} is damaged: todo-tui opened it read-only and writes nothing "
        f"to it. Keep a copy, and recover what it holds with: sqlite3 {shlex.quote(str(path))} "
        ".recover",
    )
