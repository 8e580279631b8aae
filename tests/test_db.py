"""The engine as configured: the options in force, SQL echo, transactional DDL on both
databases, the liveness of pooled PostgreSQL connections, and more than 1,024 open files.

Nothing is mocked: a real server, a real SQLite file.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import uuid
from dataclasses import replace

import pytest
import sqlalchemy as sa

import todo_tui.db
from tests.engines import fresh, server_url
from tests.pilot import wait_until
from todo_tui.config import load_settings, parse_database_url
from todo_tui.db import Database
from todo_tui.schema import migration_connection

# ---------------------------------------------------------------------------------------
# Helpers


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
        wait_until(
            lambda: connection.execute(
                sa.text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)"),
                {"pid": pid},
            ).scalar_one(),
            f"backend {pid} gone after pg_terminate_backend",
            timeout=5.0,
        )


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
