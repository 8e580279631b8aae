"""The classification of REAL database errors into sentences (todo_tui/faults.py).

Every error here comes from a real server or a real SQLite file: nothing is mocked. The only
exceptions built by hand are the ones the local server cannot produce (it uses trust
authentication and has no SSL); those are built exactly as psycopg2 raises them.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

import todo_tui.db
from tests.engines import fresh, server_url
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, SqlState, classify
from todo_tui.models import Todo, User

SECRET = "S3cretPw9x"  # a password put in URLs; it must never show up in a fault sentence


# ---------------------------------------------------------------------------------------
# Helpers


def fault_of(database: Database, action) -> DatabaseFault:
    """Run `action(connection)` on a new app connection and return the classified fault."""
    with (
        pytest.raises(DatabaseFault) as caught,
        database.faults(),
        database.engine.begin() as connection,
    ):
        action(connection)
    return caught.value


def connect_fault(url: str) -> DatabaseFault:
    database = Database(load_settings(database_url=url, environ={}))
    try:
        return fault_of(database, lambda connection: connection.exec_driver_sql("SELECT 1"))
    finally:
        database.dispose()


def new_user(database: Database, email: str | None = None) -> int:
    email = email or f"{uuid.uuid4().hex[:8]}@example.com"
    with database.engine.begin() as connection:
        statement = sa.insert(User).values(email=email, hashed_password="x").returning(User.id)
        return connection.execute(statement).scalar_one()


@pytest.fixture
def postgres(postgres_database: Database) -> Database:
    """A real server's errors: PostgreSQL alone has them."""
    return postgres_database


# ---------------------------------------------------------------------------------------
# Connection failures, from a real server or a real file


def test_connection_failures_are_classified(database: Database, tmp_path: Path) -> None:
    if database.dialect == "postgresql":
        cases = {
            # (URL, expected kind, words the sentence must have)
            "refused": (
                f"postgresql://postgres:{SECRET}@127.0.0.1:1/x",
                FaultKind.UNREACHABLE,
                "Cannot reach the database at 127.0.0.1",
            ),
            "unknown host": (
                f"postgresql://postgres:{SECRET}@nohost.invalid/x",
                FaultKind.UNREACHABLE,
                "Cannot find the host nohost.invalid",
            ),
            "no such database": (
                server_url(database, password=SECRET, database=f"nodb_{uuid.uuid4().hex[:8]}"),
                FaultKind.UNREACHABLE,
                "does not exist on the server",
            ),
            # Trust auth accepts any password, but an unknown role is a real refusal.
            "unknown role": (
                server_url(database, username="no_such_role_xyz", password=SECRET),
                FaultKind.AUTHENTICATION,
                "refused the user name or password",
            ),
            # The local server has ssl=off: libpq says "server does not support SSL".
            "ssl required": (
                server_url(database, password=SECRET, query={"sslmode": "require"}),
                FaultKind.SSL_REQUIRED,
                "does not offer SSL",
            ),
        }
    else:
        garbage = tmp_path / "garbage.db"
        garbage.write_bytes(b"this is not a SQLite database file, not at all. " * 40)
        folder = tmp_path / "a_folder.db"
        folder.mkdir()
        cases = {
            "not a database": (f"sqlite:///{garbage}", FaultKind.UNREACHABLE, "not a usable"),
            "a folder": (f"sqlite:///{folder}", FaultKind.UNREACHABLE, "Cannot open the SQLite"),
        }
    for name, (url, kind, words) in cases.items():
        fault = connect_fault(url)
        assert (name, fault.kind) == (name, kind)
        assert words in fault.sentence, (name, fault.sentence)
        assert SECRET not in fault.sentence and SECRET not in str(fault), name
        assert fault.is_connection_problem, name


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        # The local server uses trust authentication, so a wrong password cannot be provoked
        # against it: these are built as psycopg2 raises them (OperationalError, no pgcode).
        (
            'connection to server at "ep-x.aws.neon.tech" (1.2.3.4), port 5432 failed: '
            'FATAL:  password authentication failed for user "x"\n',
            FaultKind.AUTHENTICATION,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: '
            "fe_sendauth: no password supplied\n",
            FaultKind.AUTHENTICATION,
        ),
        # Neon refuses plain connections; the local server cannot (it has no SSL at all).
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: '
            "ERROR:  connection is insecure (try using `sslmode=require`)\n",
            FaultKind.SSL_REQUIRED,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: timeout expired\n',
            FaultKind.TIMED_OUT,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: '
            "ERROR:  The endpoint has been disabled. Enable it using Neon API and retry.\n",
            FaultKind.UNREACHABLE,
        ),
        # Neon's and PgBouncer's words for a full server, and libpq's for channel binding.
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: FATAL:  remaining '
            "connection slots are reserved for non-replication superuser connections\n",
            FaultKind.UNREACHABLE,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: FATAL:  sorry, too many '
            "clients already\n",
            FaultKind.UNREACHABLE,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 6432 failed: FATAL:  no more '
            "connections allowed (max_client_conn)\n",
            FaultKind.UNREACHABLE,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: channel binding required, '
            "but SSL not in use\n",
            FaultKind.AUTHENTICATION,
        ),
        (
            'connection to server at "h" (1.2.3.4), port 5432 failed: FATAL:  no pg_hba.conf '
            'entry for host "5.6.7.8", user "x", database "neondb", SSL encryption\n'
            'connection to server at "h" (1.2.3.4), port 5432 failed: FATAL:  no pg_hba.conf '
            'entry for host "5.6.7.8", user "x", database "neondb", no encryption\n',
            FaultKind.AUTHENTICATION,
        ),
    ],
    ids=[
        "password failed",
        "no password",
        "neon insecure",
        "timeout",
        "endpoint disabled",
        "reserved slots",
        "too many clients",
        "max_client_conn",
        "channel binding without ssl",
        "no hba entry with or without ssl",
    ],
)
def test_errors_the_local_server_cannot_produce(message: str, kind: FaultKind) -> None:
    url = f"postgresql://x:{SECRET}@ep-x.aws.neon.tech/neondb?sslmode=require"
    settings = load_settings(database_url=url, environ={})
    fault = classify(psycopg2.OperationalError(message), settings.database)
    assert fault is not None
    assert fault.kind == kind
    assert SECRET not in fault.sentence
    assert "Cannot reach" not in fault.sentence


@pytest.mark.parametrize(
    ("host", "neon"),
    [
        ("ep-cool-darkness-123456.us-east-2.aws.neon.tech", True),
        ("ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech", True),
        ("127.0.0.1", False),
        ("db.example.org", False),
        ("neon.tech.example.org", False),
    ],
)
def test_the_timeout_sentence_names_neon_only_on_a_neon_host(host: str, neon: bool) -> None:
    settings = load_settings(database_url=f"postgresql://x:{SECRET}@{host}/db", environ={})
    error = psycopg2.OperationalError(f'connection to server at "{host}" failed: timeout expired')
    fault = classify(error, settings.database)
    assert fault is not None and fault.kind is FaultKind.TIMED_OUT
    assert fault.sentence.startswith(f"{host} did not answer in time")
    assert ("Neon" in fault.sentence) is neon


def test_too_many_clients_is_not_a_wrong_password() -> None:
    """PostgreSQL's per-role limit names the role, as a refused login does."""
    settings = load_settings(database_url=f"postgresql://x:{SECRET}@h/db", environ={})
    error = psycopg2.OperationalError(
        'connection to server at "h" failed: FATAL:  too many connections for role "x"\n'
    )
    fault = classify(error, settings.database)
    assert fault is not None and fault.kind is FaultKind.UNREACHABLE
    assert "too many clients" in fault.sentence
    assert "password" not in fault.sentence


def test_errors_that_are_not_database_errors_are_not_classified(database: Database) -> None:
    assert classify(RuntimeError("a bug"), database.settings.database) is None
    assert classify(KeyError("x"), database.settings.database) is None
    with pytest.raises(ZeroDivisionError), database.faults():
        1 / 0  # noqa: B018


# ---------------------------------------------------------------------------------------
# Errors from statements


def test_statement_timeout_is_timed_out(database: Database, monkeypatch, tmp_path) -> None:
    if database.dialect == "postgresql":
        with fresh(database) as db:  # its own pool: the SET must not leak into other tests
            fault = fault_of(
                db,
                lambda c: (
                    c.exec_driver_sql("SET statement_timeout = 1"),
                    c.exec_driver_sql("SELECT pg_sleep(1)"),
                ),
            )
        assert fault.sentence == "The database took too long to answer."
    else:
        # SQLite's counterpart: a file locked by another writer past the busy timeout.
        monkeypatch.setattr(todo_tui.db, "SQLITE_BUSY_TIMEOUT", 0.05)
        user_id = new_user(database)
        holder = sqlite3.connect(database.settings.database.sqlite_path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
            with fresh(database) as db:
                fault = fault_of(
                    db, lambda c: c.execute(sa.insert(Todo).values(title="t", user_id=user_id))
                )
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert "is locked by another program" in fault.sentence
    assert fault.kind == FaultKind.TIMED_OUT


def test_missing_table_is_a_schema_problem(database: Database) -> None:
    fault = fault_of(database, lambda c: c.exec_driver_sql("SELECT * FROM no_such_table"))
    assert fault.kind == FaultKind.SCHEMA
    assert "schema does not match" in fault.sentence


def test_missing_column_is_a_schema_problem(database: Database) -> None:
    fault = fault_of(database, lambda c: c.exec_driver_sql("SELECT no_such_column FROM todo"))
    assert fault.kind == FaultKind.SCHEMA


def test_duplicate_email_is_a_conflict_on_email(database: Database) -> None:
    new_user(database, "dup@example.com")
    fault = fault_of(
        database,
        lambda c: c.execute(sa.insert(User).values(email="dup@example.com", hashed_password="x")),
    )
    assert fault.kind == FaultKind.CONFLICT
    assert fault.field == "email"
    assert fault.sentence == "An account with this email already exists."


def test_todo_of_a_missing_user_is_a_conflict(database: Database) -> None:
    fault = fault_of(
        database, lambda c: c.execute(sa.insert(Todo).values(title="t", user_id=999_999))
    )
    assert fault.kind == FaultKind.CONFLICT


def test_overlong_title_is_rejected_for_the_title_field(database: Database) -> None:
    user_id = new_user(database)
    fault = fault_of(
        database, lambda c: c.execute(sa.insert(Todo).values(title="x" * 201, user_id=user_id))
    )
    assert fault.kind == FaultKind.REJECTED
    assert fault.field == "title"
    assert fault.sentence == "The database rejected the value for title."
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM todo").scalar() == 0


def test_title_of_exactly_200_characters_is_stored(database: Database) -> None:
    user_id = new_user(database)
    with database.engine.begin() as connection:
        connection.execute(sa.insert(Todo).values(title="é" * 200, user_id=user_id))
        assert connection.exec_driver_sql("SELECT title FROM todo").scalar() == "é" * 200


def test_nul_in_a_title(database: Database) -> None:
    user_id = new_user(database)
    insert = sa.insert(Todo).values(title="a\x00b", user_id=user_id)
    if database.dialect == "postgresql":
        # psycopg2 refuses it before any SQL is sent, with a plain ValueError.
        fault = fault_of(database, lambda c: c.execute(insert))
        assert fault.kind == FaultKind.REJECTED
        assert "NUL" in fault.sentence
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM todo").scalar() == 0
    else:
        # SQLite stores it: only validation (clean_title) stands between users and this.
        with database.engine.begin() as connection:
            connection.execute(insert)
            assert connection.exec_driver_sql("SELECT title FROM todo").scalar() == "a\x00b"


def test_lone_surrogate_is_rejected(database: Database) -> None:
    user_id = new_user(database)
    fault = fault_of(
        database, lambda c: c.execute(sa.insert(Todo).values(title="a\ud800b", user_id=user_id))
    )
    assert fault.kind == FaultKind.REJECTED


def test_faults_in_a_session_are_classified(database: Database) -> None:
    with pytest.raises(DatabaseFault) as caught, database.session() as session:
        session.connection().exec_driver_sql("SELECT * FROM no_such_table")
    assert caught.value.kind == FaultKind.SCHEMA


def test_the_postgresql_codes_are_psycopg2s() -> None:
    """faults.py spells the codes out (importing psycopg2.errorcodes loads psycopg2)."""
    import psycopg2.errorcodes

    codes = {name: value for name, value in vars(SqlState).items() if name.isupper()}
    assert codes == {name: getattr(psycopg2.errorcodes, name) for name in codes}
