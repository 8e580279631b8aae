"""Driving TodoApp in tests: wait for database work, type into fields, read the list."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from todo_tui import auth, todos
from todo_tui.app import TodoApp
from todo_tui.config import Settings
from todo_tui.db import Database
from todo_tui.records import TodoRecord, UserRecord

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def make_app(settings: Settings, config_dir: Path, *, clock=None) -> TodoApp:
    app = TodoApp(settings=replace(settings, config_dir=config_dir), clock=clock)
    app.animation_level = "none"  # no blinking cursor or spinner frames: stable screens
    return app


async def settle(pilot: Pilot) -> None:
    """Until every queued database call has been delivered and the screen has caught up."""
    app = pilot.app
    assert isinstance(app, TodoApp)
    for _ in range(20):
        await app.wait_for_database()
        await pilot.pause()
        if not app._pending:
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
