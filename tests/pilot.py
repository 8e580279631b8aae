"""Driving TodoApp in tests and benchmarks: wait for database work, type into fields, read
what the app shows; and the one way to wait for something to become true.

The waiting and typing live in todo_tui.testing, shared with the benchmarks; they are
re-exported here for the tests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from todo_tui import auth, todos
from todo_tui.app import TodoApp
from todo_tui.config import Settings
from todo_tui.db import Database
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.screens.todo_list import TodoListScreen
from todo_tui.testing import eventually as eventually
from todo_tui.testing import fill as fill
from todo_tui.testing import notices as notices
from todo_tui.testing import pending_calls as pending_calls
from todo_tui.testing import settle as settle
from todo_tui.testing import wait_until as wait_until

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def make_app(settings: Settings, config_dir: Path, *, clock=None) -> TodoApp:
    app = TodoApp(settings=replace(settings, config_dir=config_dir), clock=clock)
    app.animation_level = "none"  # no blinking cursor or spinner frames: stable screens
    return app


def feed_online(screen: TodoListScreen) -> bool:
    """The list screen's change feed has connected (and not lost its connection since)."""
    return bool(screen.feed._online)


def screen_name(pilot: Pilot) -> str:
    return type(pilot.app.screen).__name__


async def create_account(pilot: Pilot, email: str, password: str) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    await fill(pilot, "#email", email)
    await fill(pilot, "#password", password)
    await fill(pilot, "#confirm", password)
    await pilot.press("enter")
    await settle(pilot)


async def log_in(pilot: Pilot, email: str, password: str) -> None:
    await fill(pilot, "#email", email)
    await fill(pilot, "#password", password)
    await pilot.press("enter")
    await settle(pilot)


# -- the other terminal, and waiting for what it does to show ------------------------------

EMAIL = "alice@example.com"
PASSWORD = "correct horse"


def register(database: Database) -> UserRecord:
    return database.run(lambda s: auth.register(s, email=EMAIL, password=PASSWORD, rounds=4))


def add(database: Database, owner: UserRecord, title: str) -> TodoRecord:
    return database.run(lambda s: todos.add_todo(s, owner_id=owner.id, title=title))


def stored(database: Database, owner: UserRecord) -> list[TodoRecord]:
    return database.run(lambda s: todos.list_todos(s, owner_id=owner.id))
