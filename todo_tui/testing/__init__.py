"""Driving TodoApp from tests and benchmarks (as sqlalchemy.testing and textual.pilot do for
theirs): make an app and an account, log in, wait for the app's database work and typed
keys, type into a field, read what it shows; the one way to wait for something another
thread makes true; and, in todo_tui.testing.wire, a proxy that counts round trips.

Only the app's public members are read here (and Textual's list of notifications, which
has no public reader). Not imported by the app itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from textual.pilot import Pilot
from textual.widgets import Input

from todo_tui import auth, todos
from todo_tui.app import TodoApp
from todo_tui.config import Settings
from todo_tui.db import Database
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.screens.todo_list import TodoListScreen

T = TypeVar("T")


def pending_calls(app: TodoApp) -> int:
    """Database calls queued or running whose result the UI thread has not had yet."""
    return app.pending_database_calls


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
        if not app.pending_database_calls and not app.keys_held:
            return
    raise AssertionError("database work kept arriving")


async def fill(pilot: Pilot, selector: str, text: str) -> None:
    """Focus the input and paste `text` over its value (pilot.press costs ~60 ms a key)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    field.insert_text_at_cursor(text)
    await pilot.pause()


def wait_until(condition: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Poll a condition another thread makes true; its (true) value. Fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.01)
    return value


async def eventually(
    pilot: Pilot, predicate: Callable[[], object], what: str, timeout: float = 5.0
) -> float:
    """Poll `predicate` while the app runs; the seconds it took. Fails after `timeout`."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await pilot.pause(0.05)
    return time.monotonic() - start


# -- an app, an account, and the list's state ------------------------------------------


def make_app(settings: Settings, config_dir: Path, *, clock=None) -> TodoApp:
    app = TodoApp(settings=replace(settings, config_dir=config_dir), clock=clock)
    app.animation_level = "none"  # no blinking cursor or spinner frames: stable screens
    return app


def feed_online(screen: TodoListScreen) -> bool:
    """The list screen's change feed has connected (and not lost its connection since)."""
    return screen.feed.online


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


EMAIL = "alice@example.com"
PASSWORD = "correct horse"


def register(database: Database) -> UserRecord:
    return database.run(lambda s: auth.register(s, email=EMAIL, password=PASSWORD, rounds=4))


def add(database: Database, owner: UserRecord, title: str) -> TodoRecord:
    return database.run(lambda s: todos.add_todo(s, owner_id=owner.id, title=title))


def stored(database: Database, owner: UserRecord) -> list[TodoRecord]:
    return database.run(lambda s: todos.list_todos(s, owner_id=owner.id))
