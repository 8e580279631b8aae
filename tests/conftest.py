"""Real databases for the tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TODO_TUI_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/
postgres if it answers. Each test module gets fresh databases, built by migrating, and
dropped afterwards. Without a server the PostgreSQL tests are skipped with one reason; with
TODO_TUI_REQUIRE_POSTGRES=1 (CI) the run fails instead.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from tests.engines import Databases, create_database, drop_databases
from tests.todo_rows import new_user
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.schema import alembic_config, migrations_dir

# Fixtures of more than one module: the TLS + SCRAM server and the PgBouncer the tests
# start themselves, the fault tests' server, the live tests' admin connections.
pytest_plugins = ("tests.servers", "tests.outage", "tests.feeds")

DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DIALECTS = ("sqlite", "postgresql")


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or writes the real ~/.local/share/todo-tui, ~/.config/todo-tui or
    ~/.local/state/todo-tui (the log)."""
    home = tmp_path_factory.mktemp("home")
    names = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "DATABASE_URL")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["XDG_DATA_HOME"] = str(home / "data")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    os.environ["XDG_STATE_HOME"] = str(home / "state")  # the log
    os.environ.pop("DATABASE_URL", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@cache
def postgres_server_url() -> str | None:
    """The server's admin URL if one answers, else None (after deciding skip or fail)."""
    url = os.environ.get("TODO_TUI_TEST_DATABASE_URL", DEFAULT_SERVER_URL)
    settings = load_settings(database_url=url, environ={})
    engine = sa.create_engine(settings.database.url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    return url


def _require_postgres() -> str:
    url = postgres_server_url()
    if url is not None:
        return url
    reason = (
        "no PostgreSQL answers at TODO_TUI_TEST_DATABASE_URL or "
        f"{DEFAULT_SERVER_URL}; PostgreSQL tests need one"
    )
    if os.environ.get("TODO_TUI_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"TODO_TUI_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: only with -n
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`-n auto --dist loadfile`: whole modules to each worker, and both snapshot modules to
    the same one. They take turns at one folder (see test_snapshots.py): on two workers, one
    would wait for the other to finish."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SnapshotsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            together = module.startswith("tests/test_snapshots")
            return "tests/test_snapshots.py" if together else module

    return SnapshotsTogether(config, log)


class DatabaseFactory(Databases):
    """Creates empty databases of one dialect and drops them at the end of the module."""

    def __init__(self, dialect: str, tmp_path: Path) -> None:
        super().__init__()
        self.dialect = dialect
        self.tmp_path = tmp_path
        self.server_url = _require_postgres() if dialect == "postgresql" else None

    def new_url(self) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.tmp_path / f'todo_tui_test_{uuid.uuid4().hex[:12]}'}.db"
        name = create_database(self._admin_url())
        self.created.append(name)
        server = sa.make_url(self._admin_url())
        return (
            server.set(database=name)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg2://", "postgresql://")
        )

    def drop(self, names: list[str]) -> None:
        drop_databases(self._admin_url(), names)

    def _admin_url(self) -> str:
        return load_settings(database_url=self.server_url, environ={}).database.url


@pytest.fixture(scope="module", params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def databases(dialect: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(dialect, tmp_path_factory.mktemp(dialect))
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def migrated_database(databases: DatabaseFactory) -> Database:
    """One migrated database per module and dialect; `database` empties it for each test."""
    return databases.migrated()


@pytest.fixture(scope="module")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """For tests about PostgreSQL alone (server connections, wire round trips)."""
    factory = DatabaseFactory("postgresql", tmp_path_factory.mktemp("postgresql-only"))
    yield factory
    factory.close()


@pytest.fixture
def postgres_database(postgres_databases: DatabaseFactory) -> Database:
    return postgres_databases.migrated()


@pytest.fixture
def database(migrated_database: Database) -> Database:
    with migrated_database.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM todo")
        connection.exec_driver_sql('DELETE FROM "user"')
    return migrated_database


# ---------------------------------------------------------------------------------------
# Schema tests: a dump of everything a database holds, and copies of the migrations.


def dump_database(database: Database) -> dict[str, Any]:
    """Every schema object and every table's rows (version tables, ours, other
    applications'), for comparisons. PostgreSQL: the catalog of the public schema, with its
    triggers and functions. SQLite: sqlite_master. Reads only.
    """
    with database.engine.connect() as connection:
        run = connection.exec_driver_sql
        if database.dialect == "sqlite":
            objects = sorted(run("SELECT type, name, tbl_name, sql FROM sqlite_master").all())
            tables = {row[1] for row in objects if row[0] == "table"}
        else:
            objects = sorted(
                run(
                    "SELECT c.relname, c.relkind::text, "
                    "coalesce(pg_get_indexdef(c.oid), ''), "
                    "coalesce((SELECT string_agg(conname || ' ' || pg_get_constraintdef(k.oid), "
                    "'; ' ORDER BY conname) FROM pg_constraint k WHERE k.conrelid = c.oid), ''), "
                    "coalesce((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod)"
                    " || ' ' || attnotnull::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid)"
                    ", ''), '; ' ORDER BY attnum) FROM pg_attribute a LEFT JOIN pg_attrdef d "
                    "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = c.oid "
                    "AND a.attnum > 0 AND NOT a.attisdropped), '') "
                    "FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
                ).all()
            )
            objects += sorted(
                run(
                    "SELECT 'trigger', tgname, pg_get_triggerdef(t.oid), '' FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal"
                ).all()
            )
            objects += sorted(
                run(
                    "SELECT 'function', proname, pg_get_functiondef(oid), '' FROM pg_proc "
                    "WHERE pronamespace = 'public'::regnamespace"
                ).all()
            )
            tables = {row[0] for row in objects if row[1] == "r"}
        rows = {
            table: sorted(
                tuple(str(value) for value in row) for row in run(f'SELECT * FROM "{table}"').all()
            )
            for table in sorted(tables)
        }
        connection.rollback()
    return {"objects": objects, "rows": rows}


@pytest.fixture
def dump() -> Callable[[Database], dict[str, Any]]:
    """`dump(database)`: see dump_database."""
    return dump_database


REVISION_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


@pytest.fixture
def make_migrations(tmp_path: Path) -> Callable[..., Path]:
    """`make_migrations((id, message, upgrade_body[, downgrade_body]), ...)`: a copy of the
    migrations directory with these revisions appended after the real head, in order."""

    def make(*revisions: tuple[str, ...]) -> Path:
        target = tmp_path / f"migrations_{uuid.uuid4().hex[:8]}"
        shutil.copytree(migrations_dir(), target, ignore=shutil.ignore_patterns("__pycache__"))
        down = ScriptDirectory.from_config(alembic_config()).get_current_head()
        for revision, message, upgrade, *rest in revisions:
            downgrade = rest[0] if rest else "pass"
            text = REVISION_TEMPLATE.format(
                message=message,
                revision=revision,
                down_revision=down,
                upgrade=textwrap.indent(textwrap.dedent(upgrade).strip(), "    "),
                downgrade=textwrap.indent(textwrap.dedent(downgrade).strip(), "    "),
            )
            (target / "versions" / f"{revision}_extra.py").write_text(text)
            down = revision
        return target

    return make


@pytest.fixture
def alice(database: Database) -> int:
    """A user's id, with no todos yet."""
    return new_user(database)


@pytest.fixture
def bob(database: Database) -> int:
    """Another user's id, with no todos yet."""
    return new_user(database)
