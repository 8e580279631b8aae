"""The engine as configured, and the classification of REAL database errors into sentences.

Every error here comes from a real server or a real SQLite file: nothing is mocked. The only
exceptions built by hand are the ones the local server cannot produce (it uses trust
authentication and has no SSL); those are built exactly as psycopg2 raises them.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

import todo_tui.db
from todo_tui.config import load_settings, parse_database_url
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, classify
from todo_tui.models import Todo, User
from todo_tui.schema import migration_connection

SECRET = "S3cretPw9x"  # a password put in URLs; it must never show up in a fault sentence


# ---------------------------------------------------------------------------------------
# Helpers


@contextmanager
def fresh(database: Database, **changes) -> Iterator[Database]:
    """A second Database on the same data with its own (new) engine and pool."""
    other = Database(replace(database.settings, **changes))
    try:
        yield other
    finally:
        other.dispose()


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


def server_url(db: Database, **changes) -> str:
    """The test server's URL with some parts changed, as a user would type it."""
    url = sa.make_url(db.settings.database.url).set(**changes)
    return url.render_as_string(hide_password=False).replace("+psycopg2", "")


def new_user(database: Database, email: str | None = None) -> int:
    email = email or f"{uuid.uuid4().hex[:8]}@example.com"
    with database.engine.begin() as connection:
        statement = sa.insert(User).values(email=email, hashed_password="x").returning(User.id)
        return connection.execute(statement).scalar_one()


def table_exists(database: Database, name: str) -> bool:
    with database.engine.connect() as connection:
        return sa.inspect(connection).has_table(name)


def backend_pid(connection: sa.Connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()


def last_query(admin: Database, pid: int) -> str | None:
    with admin.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT query FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        ).scalar_one_or_none()


def terminate(admin: Database, pid: int) -> None:
    """Kill a backend and wait (polling the server, bounded) until it is really gone."""
    with admin.engine.connect() as connection:
        assert connection.execute(
            sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
        ).scalar_one()
        for _ in range(500):
            gone = connection.execute(
                sa.text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)"),
                {"pid": pid},
            ).scalar_one()
            if gone:
                return
            connection.exec_driver_sql("SELECT pg_sleep(0.01)")
    pytest.fail(f"backend {pid} survived pg_terminate_backend")


@pytest.fixture
def postgres(postgres_database: Database) -> Database:
    """Server connections to lose or ping: PostgreSQL alone has them."""
    return postgres_database


# ---------------------------------------------------------------------------------------
# Engine options actually in force


def test_app_connection_settings_in_force(database: Database) -> None:
    with fresh(database) as db, db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        if db.dialect == "postgresql":
            assert connection.exec_driver_sql("SHOW application_name").scalar() == "todo-tui"
            params = raw.get_dsn_parameters()
            assert params["connect_timeout"] == str(db.settings.connect_timeout)
            assert params["keepalives"] == "1"
            assert params["keepalives_idle"] == "30"
            assert params["keepalives_interval"] == "10"
            assert params["keepalives_count"] == "3"
            assert raw.autocommit is True  # one statement = one round trip
        else:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_connect_timeout_setting_reaches_the_driver(database: Database) -> None:
    with fresh(database, connect_timeout=7) as db, db.engine.connect() as connection:
        raw = connection.connection.driver_connection
        if db.dialect == "postgresql":
            assert raw.get_dsn_parameters()["connect_timeout"] == "7"
        else:  # SQLite has no connect timeout; its busy timeout is fixed
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_url_parameters_win_over_built_in_connect_args(database: Database) -> None:
    if database.dialect == "sqlite":
        url = database.settings.database.url  # SQLite URLs take no parameters
        with fresh(database) as db:
            assert db.settings.database.url == url
        return
    url = server_url(database, query={"connect_timeout": "3", "application_name": "mine"})
    settings = replace(load_settings(database_url=url, environ={}), connect_timeout=9)
    db = Database(settings)
    try:
        with db.engine.connect() as connection:
            params = connection.connection.driver_connection.get_dsn_parameters()
            assert params["connect_timeout"] == "3"
            assert connection.exec_driver_sql("SHOW application_name").scalar() == "mine"
            assert params["keepalives"] == "1"  # the ones the URL does not name stay
    finally:
        db.dispose()


def test_host_given_only_as_a_query_parameter_connects(database: Database) -> None:
    if database.dialect == "sqlite":
        with fresh(database) as db, db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        return
    url = sa.make_url(database.settings.database.url)
    # libpq style, nothing between "//" and "/": everything comes as query parameters.
    port = url.port or 5432
    typed = f"postgresql:///{url.database}?host={url.host}&port={port}&user={url.username}"
    db = Database(load_settings(database_url=typed, environ={}))
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT current_database()").scalar() == url.database
    finally:
        db.dispose()


def _logged_sql(caplog: pytest.LogCaptureFixture, marker: str) -> bool:
    return any(marker in record.getMessage() for record in caplog.records)


def test_sql_echo_is_off_by_default_and_on_with_echo_sql(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_marker, loud_marker = f"quiet_{uuid.uuid4().hex}", f"loud_{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)  # capture whatever is emitted; the engine decides
    with fresh(database) as quiet:
        assert quiet.engine.echo is False
        with quiet.engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT '{quiet_marker}'")
    with fresh(database, echo_sql=True) as loud:
        assert loud.engine.echo is True
        with loud.engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT '{loud_marker}'")
    assert not _logged_sql(caplog, quiet_marker)
    assert _logged_sql(caplog, loud_marker)


def test_ddl_in_migration_connection_rolls_back(database: Database) -> None:
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError, match="boom"), migration_connection(database) as connection:
        connection.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER)")
        connection.exec_driver_sql(f"INSERT INTO {name} VALUES (1)")
        raise RuntimeError("boom")
    assert not table_exists(database, name)
    # and the same DDL without the failure does stay (the check above can fail)
    with migration_connection(database) as connection:
        connection.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER)")
    assert table_exists(database, name)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {name}")


def test_sqlite_engine_begin_makes_ddl_transactional(database: Database) -> None:
    """sqlite3 would commit before DDL on its own; the engine sends BEGIN itself.

    On PostgreSQL the app engine is AUTOCOMMIT on purpose (migrations take a transaction
    through migration_connection, tested above), so there engine.begin() DDL persists.
    """
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), database.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER)")
        raise RuntimeError("boom")
    if database.dialect == "sqlite":
        assert not table_exists(database, name)
    else:
        assert table_exists(database, name)
        with database.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE {name}")


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


# ---------------------------------------------------------------------------------------
# Liveness of pooled PostgreSQL connections


def test_killed_idle_connection_is_replaced_once_idle_past_ping_after_idle(
    postgres: Database, monkeypatch
) -> None:
    monkeypatch.setattr(todo_tui.db, "PING_AFTER_IDLE", 0.0)
    with fresh(postgres) as db:
        with db.engine.connect() as connection:
            old_pid = backend_pid(connection)
        terminate(postgres, old_pid)
        with db.session() as session:
            connection = session.connection()
            new_pid = backend_pid(connection)
            assert connection.exec_driver_sql("SELECT count(*) FROM todo").scalar() == 0
        assert new_pid != old_pid
        assert db.engine.pool.checkedout() == 0


def test_connection_killed_while_idle_is_replaced_without_a_ping(postgres: Database) -> None:
    """Within PING_AFTER_IDLE no ping is sent, yet the dead connection is never used: a
    terminated backend leaves bytes on the socket, which the checkout sees for free."""
    assert todo_tui.db.PING_AFTER_IDLE == 30.0
    with fresh(postgres) as db:
        with db.engine.connect() as connection:
            old_pid = backend_pid(connection)
        terminate(postgres, old_pid)
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
            assert backend_pid(connection) != old_pid


@pytest.mark.parametrize("ping_after_idle", [None, 0.0])
def test_ping_happens_only_after_idle(postgres: Database, monkeypatch, ping_after_idle) -> None:
    """What the app's backend last ran, seen at the server right after a checkout."""
    if ping_after_idle is not None:
        monkeypatch.setattr(todo_tui.db, "PING_AFTER_IDLE", ping_after_idle)
    marker = f"SELECT 'marker {uuid.uuid4().hex}'"
    with fresh(postgres) as db:
        with db.engine.connect() as connection:
            pid = backend_pid(connection)
            connection.exec_driver_sql(marker)
        with db.engine.connect() as connection:  # the checkout under test
            seen = last_query(postgres, pid)
            assert connection.connection.driver_connection.closed == 0
    if ping_after_idle is None:
        assert seen == marker  # default: a checkout right after use sends nothing
    else:
        assert seen == "SELECT 1"


def test_connection_idle_past_the_suspend_timeout_is_replaced(
    postgres: Database, monkeypatch
) -> None:
    monkeypatch.setattr(todo_tui.db, "RECONNECT_AFTER_IDLE", 0.0)
    with fresh(postgres) as db:
        with db.engine.connect() as connection:
            old_pid = backend_pid(connection)
        with db.engine.connect() as connection:
            new_pid = backend_pid(connection)
    assert new_pid != old_pid


def test_options_in_the_url_are_kept_beside_the_apps(postgres: Database) -> None:
    url = postgres.settings.database.url.replace("postgresql+psycopg2", "postgresql")
    url += ("&" if "?" in url else "?") + "options=-c%20work_mem%3D7MB"
    db = Database(replace(postgres.settings, database=parse_database_url(url, source="test")))
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW work_mem").scalar() == "7MB"
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "10s"
            client = connection.exec_driver_sql("SHOW todo_tui.client").scalar()
            assert client == db.client_id
    finally:
        db.dispose()


# ---------------------------------------------------------------------------------------
# More than 1,024 open files: select() cannot watch a descriptor numbered past FD_SETSIZE.

MANY_FILES = textwrap.dedent(
    """
    import os, resource, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1500
    if hard != resource.RLIM_INFINITY and hard < want:
        sys.exit(f"the hard limit of open files is {hard}, below {want}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    from todo_tui.config import load_settings
    from todo_tui.db import Database, _has_gone
    database = Database(load_settings(database_url=sys.argv[1], environ={}))
    with database.engine.connect() as connection:
        dbapi_connection = connection.connection.dbapi_connection
        assert dbapi_connection.fileno() > 1024, dbapi_connection.fileno()
        answer = connection.exec_driver_sql("SELECT 41 + 1").scalar()
        assert not _has_gone(dbapi_connection), "a healthy connection read as closed"
    with database.engine.connect() as connection:  # checked out again: the liveness check
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    print(answer)
    """
)


def test_a_process_with_more_than_1024_open_files_can_query(postgres: Database) -> None:
    url = server_url(postgres)
    result = subprocess.run(
        [sys.executable, "-c", MANY_FILES, url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "42"


def test_a_direct_connection_is_not_behind_a_pooler(database: Database) -> None:
    with database.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert database.behind_pooler is False
    if database.dialect == "postgresql":  # and our start-up options did arrive
        with database.engine.connect() as connection:
            timeout = connection.exec_driver_sql("SHOW statement_timeout").scalar()
        assert timeout == f"{database.settings.connect_timeout}s"
