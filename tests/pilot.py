"""Driving TodoApp in tests and benchmarks: wait for database work, type into fields, read
what the app shows; and the one way to wait for something to become true.

The benchmarks use this module too (benchmarks/), so what they read of the app's insides
is read here, by name, in one place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from todo_tui import auth, todos
from todo_tui.app import TodoApp
from todo_tui.config import Settings
from todo_tui.db import Database
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.screens.todo_list import TodoListScreen

T = TypeVar("T")
FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def make_app(settings: Settings, config_dir: Path, *, clock=None) -> TodoApp:
    app = TodoApp(settings=replace(settings, config_dir=config_dir), clock=clock)
    app.animation_level = "none"  # no blinking cursor or spinner frames: stable screens
    return app


def pending_calls(app: TodoApp) -> int:
    """Database calls queued or running whose result the UI thread has not had yet."""
    return len(app._pending)


def feed_online(screen: TodoListScreen) -> bool:
    """The list screen's change feed has connected (and not lost its connection since)."""
    return bool(screen.feed._online)


def notices(app: TodoApp) -> list[str]:
    """The messages of the notifications on screen."""
    return [notification.message for notification in app._notifications]


async def settle(pilot: Pilot) -> None:
    """Until every key typed has been handed on, every queued database call delivered, and
    the screen has caught up."""
    app = pilot.app
    assert isinstance(app, TodoApp)
    for _ in range(20):
        await app.wait_for_database()
        await pilot.pause()
        if not pending_calls(app) and app._type_ahead.idle:  # no key still held back
            return
    raise AssertionError("database work kept arriving")


async def fill(pilot: Pilot, selector: str, text: str) -> None:
    """Focus the input and paste `text` over its value (pilot.press costs ~60 ms a key)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    field.insert_text_at_cursor(text)
    await pilot.pause()


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


def wait_until(condition: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Poll a condition another thread makes true; its (true) value. Fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.01)
    return value


async def eventually(
    pilot: Pilot, predicate: Callable[[], object], what: str, timeout: float = 5.0
) -> float:
    """Poll `predicate` while the app runs; the seconds it took. Fails after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"not within {timeout} s: {what}")
        await pilot.pause(0.05)
    return time.monotonic() - start
