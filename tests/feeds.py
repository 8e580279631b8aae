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

from tests.outage import logged_in as logged_in_noting
from tests.outage import table_of
from tests.pilot import (
    settle,
)
from todo_tui.config import Settings, load_settings
from todo_tui.db import APPLICATION_NAME, Database

LATENCY = 2.0  # seconds from a change elsewhere to this terminal's list


async def throughout(pilot: Pilot, predicate: Callable[[], object], what: str, period: float):
    """`predicate` holds the whole `period` (checked every 50 ms while the app runs)."""
    end = time.monotonic() + period
    while time.monotonic() < end:
        assert predicate(), what
        await pilot.pause(0.05)


@asynccontextmanager
async def logged_in(settings: Settings, config_dir: Path) -> AsyncIterator[Pilot]:
    """The app on the list screen of EMAIL, its change feed online (tests/outage.py's,
    without the notifications)."""
    async with logged_in_noting(settings, config_dir) as (pilot, _notes):
        await settle(pilot)
        yield pilot


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
