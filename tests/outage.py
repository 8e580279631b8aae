"""The faults of tests/test_faults.py, test_lost_replies.py and test_outages.py, injected
for real on PostgreSQL: the test server, the app's backends on it, another terminal, and
the app driven to its list screen.

The faults: `pg_terminate_backend` of the app's backends, idle or in the middle of a
statement (what a Neon suspend or restart does), and todo_tui/testing/wire.py's proxy cutting the
network (connections reset and refused) or hanging it (open but silent). To kill a
statement "during" an action deterministically, another connection holds a lock the app's
statement waits for; the test finds that backend in pg_stat_activity, terminates it, then
lets the lock go.

SQLite has no server and no network to lose: these are PostgreSQL tests by nature. A
pytest plugin of tests/conftest.py (the `server` fixture).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import Static

from tests.pilot import (
    EMAIL,
    PASSWORD,
    eventually,
    feed_online,
    log_in,
    make_app,
    screen_name,
    settle,
)
from todo_tui.config import Settings, load_settings
from todo_tui.db import APPLICATION_NAME, Database
from todo_tui.faults import DatabaseFault
from todo_tui.records import TodoRecord
from todo_tui.widgets.todo_table import TodoTable

# ---------------------------------------------------------------------------------------
# The server, the app's backends on it, and another terminal


@dataclass
class Server:
    """A migrated test database; `settings` is how the app connects to it.

    Only the app's connections carry the application name todo-tui: `other` (another
    terminal of the same user) and `admin` (the test's own eyes and hands) are named apart,
    so the app's backends can be told from theirs in pg_stat_activity.
    """

    url: str
    settings: Settings
    other: Database
    admin: sa.Engine

    def settings_for(self, url: str, **changes) -> Settings:
        database = load_settings(database_url=url, environ={}).database
        return replace(self.settings, database=database, **changes)

    def query(self, sql: str, **params) -> list[tuple]:
        with self.admin.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]

    def app_backends(self, condition: str = "TRUE") -> list[int]:
        """The pids of the app's backends on this database that match `condition`."""
        rows = self.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            f"AND application_name = :name AND ({condition}) ORDER BY backend_start",
            name=APPLICATION_NAME,
        )
        return [pid for (pid,) in rows]

    def waiting(self) -> list[int]:
        """The app's backends whose statement waits for a lock."""
        return self.app_backends("wait_event_type = 'Lock'")

    def terminate(self, *pids: int) -> None:
        """pg_terminate_backend, and wait (bounded) until each backend has gone."""
        for pid in pids:
            rows = self.query("SELECT pg_terminate_backend(:pid, 5000)", pid=pid)
            assert rows == [(True,)], f"backend {pid} survived pg_terminate_backend"

    @contextmanager
    def holding(self, sql: str, **params) -> Iterator[None]:
        """Run `sql` (a lock) in a transaction of another connection, open until the end."""
        with self.admin.connect() as connection:
            connection = connection.execution_options(isolation_level="READ COMMITTED")
            with connection.begin():
                connection.execute(sa.text(sql), params)
                yield


@pytest.fixture
def server(postgres_database: Database) -> Iterator[Server]:
    # The fixture's own pool carries the app's name: close it, so every todo-tui backend
    # on this database is the app's.
    postgres_database.engine.dispose()
    url = postgres_database.settings.database.url
    separator = "&" if "?" in url else "?"
    other = Database(
        replace(
            postgres_database.settings,
            database=load_settings(
                database_url=f"{url}{separator}application_name=other-terminal", environ={}
            ).database,
        )
    )
    admin = sa.create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"application_name": "test-admin"}
    )
    try:
        yield Server(url, postgres_database.settings, other, admin)
    finally:
        other.dispose()
        admin.dispose()


def thread() -> ThreadPoolExecutor:
    """A thread for the app's call (the app runs them on its database thread). Enter it
    before a lock is taken: leaving the lock first lets the call finish before the join."""
    return ThreadPoolExecutor(1)


def outcome(future: Future, timeout: float = 10.0) -> object:
    """The result of `future`, or the DatabaseFault it raised."""
    try:
        return future.result(timeout)
    except DatabaseFault as fault:
        return fault


# ---------------------------------------------------------------------------------------
# Driving the app


Notes = list[tuple[str, str, float]]


@asynccontextmanager
async def logged_in(settings: Settings, config_dir: Path) -> AsyncIterator[tuple[Pilot, Notes]]:
    """The app on the list screen of EMAIL, and every notification it shows from now on,
    as (severity, message, time.monotonic())."""
    app = make_app(settings, config_dir)
    notes: Notes = []
    notify = app.notify

    def recording(message: str, **options) -> None:
        notes.append((options.get("severity", "information"), message, time.monotonic()))
        notify(message, **options)

    app.notify = recording  # screens notify through the app
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        screen = pilot.app.screen
        await eventually(pilot, lambda: feed_online(screen), "the change feed online")
        yield pilot, notes


def by_id(todo: TodoRecord) -> int:
    return todo.id


def table_of(pilot: Pilot) -> TodoTable:
    return pilot.app.screen.query_one(TodoTable)


def titles(pilot: Pilot) -> list[str]:
    return [todo.title for todo in table_of(pilot).visible_todos]


def status(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#list-status", Static).render())


def severe(notes: Notes, levels: tuple[str, ...] = ("warning", "error")) -> list[str]:
    return [message for severity, message, _ in notes if severity in levels]
