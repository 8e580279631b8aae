"""Live updates between terminals of the same user: the app on its list screen with its
change feed online, what the list shows, and the backends on the server (a pytest plugin
of tests/conftest.py: the `admin` fixture).

Another terminal is simulated with the services (todo_tui.todos) on an engine of its own.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.pilot import Pilot

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
from todo_tui.widgets.todo_table import TodoTable

LATENCY = 2.0  # seconds from a change elsewhere to this terminal's list


async def throughout(pilot: Pilot, predicate: Callable[[], object], what: str, period: float):
    """`predicate` holds the whole `period` (checked every 50 ms while the app runs)."""
    end = time.monotonic() + period
    while time.monotonic() < end:
        assert predicate(), what
        await pilot.pause(0.05)


@asynccontextmanager
async def logged_in(settings: Settings, config_dir: Path) -> AsyncIterator[Pilot]:
    """The app on the list screen of EMAIL, its change feed online."""
    app = make_app(settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        screen = pilot.app.screen
        await eventually(pilot, lambda: feed_online(screen), "the change feed online")
        await settle(pilot)
        yield pilot


def table_of(pilot: Pilot) -> TodoTable:
    return pilot.app.screen.query_one(TodoTable)


def shown(pilot: Pilot) -> dict[str, bool]:
    """Title -> done, of what the list shows."""
    return {todo.title: todo.is_completed for todo in table_of(pilot).visible_todos}


def app_backends(admin: sa.Engine, name: str = APPLICATION_NAME) -> list[int]:
    """The backends on this database named `name` (the app's: one, which also LISTENs)."""
    with admin.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = :name"
                ),
                {"name": name},
            ).scalars()
        )


def named(database: Database, name: str) -> Database:
    """Another Database on the same data whose connections are named `name`."""
    url = database.settings.database.url
    separator = "&" if "?" in url else "?"
    return Database(
        replace(
            database.settings,
            database=load_settings(
                database_url=f"{url}{separator}application_name={name}", environ={}
            ).database,
        )
    )


@pytest.fixture
def admin(postgres_database: Database) -> Iterator[sa.Engine]:
    """The test's own connections to a PostgreSQL test database (not named todo-tui)."""
    engine = sa.create_engine(
        postgres_database.settings.database.url,
        isolation_level="AUTOCOMMIT",
        connect_args={"application_name": "test-admin"},
    )
    yield engine
    engine.dispose()
