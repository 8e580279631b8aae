"""Dropped connections and an unavailable server, injected for real (PostgreSQL only).

The faults: `pg_terminate_backend` of the app's backends, idle or in the middle of a
statement (what a Neon suspend or restart does), and tests/wire.py's proxy cutting the
network (connections reset and refused) or hanging it (open but silent). To kill a
statement "during" an action deterministically, another connection holds a lock the app's
statement waits for; the test finds that backend in pg_stat_activity, terminates it, then
lets the lock go.

SQLite has no server and no network to lose: these are PostgreSQL tests by nature.
"""

from __future__ import annotations

import itertools
import logging
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    eventually,
    fill,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from tests.wire import WireProxy
from todo_tui import live, todos
from todo_tui.config import Settings, load_settings
from todo_tui.db import ANSWER_GRACE, APPLICATION_NAME, Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.records import TodoRecord
from todo_tui.widgets.todo_table import TodoTable

ROOT = Path(__file__).resolve().parent.parent


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


def wait_until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> object:
    """Poll a condition another thread makes true, with a deadline."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.01)
    return value


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
        await eventually(pilot, lambda: screen.feed._online, "the change feed online")
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


# ---------------------------------------------------------------------------------------
# Killed while idle: the next action succeeds, the user sees nothing


def test_backend_killed_while_idle_the_next_action_succeeds(server: Server) -> None:
    """Not retried, an insert shows it: the dead pooled connection is never used."""
    alice = register(server.other)
    database = Database(server.settings)  # the app's engine and pool
    try:
        first = database.run(lambda s: todos.add_todo(s, owner_id=alice.id, title="first"))
        pids = server.app_backends()
        assert pids  # the pooled connection, idle
        server.terminate(*pids)
        second = database.run(lambda s: todos.add_todo(s, owner_id=alice.id, title="second"))
        server.terminate(*server.app_backends())
        done = database.run(
            lambda s: todos.set_completed(
                s, owner_id=alice.id, todo_id=first.id, version=first.version, completed=True
            )
        )
        assert not set(server.app_backends()) & set(pids)
    finally:
        database.dispose()
    assert done.is_completed
    assert [(t.title, t.is_completed) for t in stored(server.other, alice)] == [
        ("first", True),
        ("second", False),
    ]
    assert second.title == "second"


async def test_backends_killed_while_idle_the_list_screen_carries_on(
    server: Server, tmp_path: Path
) -> None:
    """Every backend of the app killed (what a Neon suspend does): the next toggle and the
    next add succeed, and no error is shown."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    async with logged_in(server.settings, tmp_path) as (pilot, notes):
        server.terminate(*server.app_backends())  # the pool's and the change feed's
        await pilot.press("space")
        await settle(pilot)
        assert table_of(pilot).get(milk.id).is_completed

        server.terminate(*server.app_backends())
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "#title", "Call mum")
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert titles(pilot) == ["Call mum", "Buy milk"]
        assert not severe(notes, ("error",))
    assert [(t.title, t.is_completed) for t in stored(server.other, alice)] == [
        ("Buy milk", True),
        ("Call mum", False),
    ]


# ---------------------------------------------------------------------------------------
# Killed during an action: rolled back; reads and certain-not-committed writes retried once


def test_read_killed_during_the_query_is_retried_once(server: Server) -> None:
    alice = register(server.other)
    add(server.other, alice, "Buy milk")
    database = Database(server.settings)
    try:
        read = lambda s: todos.list_todos(s, owner_id=alice.id)  # noqa: E731
        # Killed once: retried on a new connection, and the answer arrives.
        with thread() as pool, server.holding("LOCK TABLE todo IN ACCESS EXCLUSIVE MODE"):
            result = pool.submit(database.run, read, retry=True)
            (first,) = wait_until(server.waiting, "the read waiting on the lock")
            server.terminate(first)
            wait_until(lambda: set(server.waiting()) - {first}, "the retry waiting")
        assert [t.title for t in outcome(result)] == ["Buy milk"]

        # Killed twice: retried once only, then a plain sentence (no traceback, no hang).
        with thread() as pool, server.holding("LOCK TABLE todo IN ACCESS EXCLUSIVE MODE"):
            result = pool.submit(database.run, read, retry=True)
            (first,) = wait_until(server.waiting, "the read waiting on the lock")
            server.terminate(first)
            (second,) = wait_until(lambda: set(server.waiting()) - {first}, "the retry")
            server.terminate(second)
            fault = outcome(result)
            assert not server.waiting()  # no third attempt
        assert isinstance(fault, DatabaseFault)
        assert fault.kind is FaultKind.CONNECTION_LOST
        assert fault.sentence == "The connection to the database was lost."
        # The engine is fine afterwards: no PendingRollbackError, no dead connection reused.
        assert [t.title for t in database.run(read)] == ["Buy milk"]
    finally:
        database.dispose()


WRITES = {
    "toggle": lambda owner, todo: lambda s: todos.set_completed(
        s, owner_id=owner, todo_id=todo.id, version=todo.version, completed=True
    ),
    "update": lambda owner, todo: lambda s: todos.update_todo(
        s, owner_id=owner, todo_id=todo.id, version=todo.version, title="Buy oat milk",
        description=None,
    ),
    "delete": lambda owner, todo: lambda s: todos.delete_todo(
        s, owner_id=owner, todo_id=todo.id, version=todo.version
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", WRITES)
def test_versioned_write_killed_during_the_statement_is_rolled_back_and_retried(
    server: Server, kind: str
) -> None:
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    database = Database(server.settings)
    try:
        with (
            thread() as pool,
            server.holding("SELECT id FROM todo WHERE id = :id FOR UPDATE", id=milk.id),
        ):
            result = pool.submit(database.run, WRITES[kind](alice.id, milk), retry=True)
            (first,) = wait_until(server.waiting, "the write waiting on the row lock")
            server.terminate(first)
            # The retry waits for the same row: the killed attempt was rolled back.
            wait_until(lambda: set(server.waiting()) - {first}, "the retry waiting")
        written = outcome(result)
    finally:
        database.dispose()
    assert isinstance(written, TodoRecord), written
    after = stored(server.other, alice)
    if kind == "delete":
        assert written.id == milk.id
        assert after == []
    else:
        (todo,) = after
        assert todo.version == milk.version + 1  # applied once
        assert written == todo
        assert (todo.title, todo.is_completed) == (
            ("Buy milk", True) if kind == "toggle" else ("Buy oat milk", False)
        )


def test_insert_killed_during_the_statement_is_rolled_back_and_not_retried(
    server: Server,
) -> None:
    alice = register(server.other)
    database = Database(server.settings)
    try:
        insert = lambda s: todos.add_todo(s, owner_id=alice.id, title="x")  # noqa: E731
        # SHARE MODE: inserts wait for it, reads do not.
        with thread() as pool, server.holding("LOCK TABLE todo IN SHARE MODE"):
            result = pool.submit(database.run, insert)
            (first,) = wait_until(server.waiting, "the insert waiting on the lock")
            server.terminate(first)
            fault = outcome(result)
            assert not server.waiting()  # not retried: it might have landed
        assert isinstance(fault, DatabaseFault)
        assert fault.kind is FaultKind.CONNECTION_LOST
        assert stored(server.other, alice) == []  # rolled back
        assert database.run(lambda s: todos.add_todo(s, owner_id=alice.id, title="x")).id
    finally:
        database.dispose()


async def test_toggle_killed_during_the_update_is_retried_and_the_user_sees_nothing(
    server: Server, tmp_path: Path
) -> None:
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    async with logged_in(server.settings, tmp_path) as (pilot, notes):
        with server.holding("SELECT id FROM todo WHERE id = :id FOR UPDATE", id=milk.id):
            await pilot.press("space")
            await eventually(pilot, server.waiting, "the toggle waiting on the row lock")
            (first,) = server.waiting()
            server.terminate(first)
            await eventually(
                pilot, lambda: set(server.waiting()) - {first}, "the retried toggle waiting"
            )
        await settle(pilot)
        shown = table_of(pilot).get(milk.id)
        assert (shown.is_completed, shown.version) == (True, milk.version + 1)
        assert not severe(notes)
    (todo,) = stored(server.other, alice)
    assert (todo.is_completed, todo.version) == (True, milk.version + 1)


async def test_add_killed_during_the_insert_is_retried_and_saved_once(
    server: Server, tmp_path: Path
) -> None:
    """The killed attempt was rolled back; the retry (same client key) saves it, once."""
    alice = register(server.other)
    async with logged_in(server.settings, tmp_path) as (pilot, notes):
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "#title", "Call mum")
        pilot.app.screen.query_one("#description", TextArea).text = "about Sunday"
        with server.holding("LOCK TABLE todo IN SHARE MODE"):
            await pilot.press("ctrl+s")
            await eventually(pilot, server.waiting, "the insert waiting on the lock")
            (first,) = server.waiting()
            server.terminate(first)
            await eventually(
                pilot, lambda: set(server.waiting()) - {first}, "the retried insert waiting"
            )
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert titles(pilot) == ["Call mum"]
        assert not severe(notes)
    (todo,) = stored(server.other, alice)
    assert (todo.title, todo.description) == ("Call mum", "about Sunday")


def shut_down(fileno: int) -> None:
    """Drop a client's side of a connection (what a dead network does to it)."""
    with socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


async def test_toggle_whose_reply_was_lost_after_it_committed_is_not_a_conflict(
    server: Server, tmp_path: Path
) -> None:
    """The UPDATE commits, its reply is lost on the way back: the retry finds its own change
    (the version it would make, the values it sets) and reports success, not a conflict."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url))
        async with logged_in(settings, tmp_path) as (pilot, notes):
            # A warm connection in the pool (the change feed took the first one for itself),
            # so the toggle is one round trip, not a connection set-up at a second each way.
            await pilot.press("r")
            await settle(pilot)
            checkouts: list = []
            event.listen(
                pilot.app.database.engine,
                "checkout",
                lambda dbapi_connection, record, proxy: checkouts.append(dbapi_connection),
            )
            wire.delay = 1.0  # the reply spends a second on the way back
            wire.reset()
            await pilot.press("space")
            await eventually(
                pilot,
                lambda: stored(server.other, alice)[0].version == milk.version + 1,
                "the toggle committed",
            )
            (in_flight,) = checkouts
            wire.delay = 0.0
            shut_down(in_flight.fileno())  # before its reply arrived
            await settle(pilot)
            shown = table_of(pilot).get(milk.id)
            assert (shown.is_completed, shown.version) == (True, milk.version + 1)
            assert not severe(notes)  # no "changed in another terminal"
            updates = [q for q in wire.queries if q.startswith("UPDATE todo")]
            assert len(updates) == 2  # it was sent again
    (todo,) = stored(server.other, alice)
    assert (todo.is_completed, todo.version) == (True, milk.version + 1)


@contextmanager
def lost_reply(pilot: Pilot, wire: WireProxy) -> Iterator[Callable[[], None]]:
    """The next statement's reply spends a second on the way back; `lose()` then drops the
    connection it went out on, before the reply arrives."""
    checkouts: list = []
    engine = pilot.app.database.engine

    def checked_out(dbapi_connection, record, proxy) -> None:
        checkouts.append(dbapi_connection)

    event.listen(engine, "checkout", checked_out)
    wire.delay = 1.0
    wire.reset()

    def lose() -> None:
        in_flight = checkouts[0]
        wire.delay = 0.0
        shut_down(in_flight.fileno())

    try:
        yield lose
    finally:
        event.remove(engine, "checkout", checked_out)
        wire.delay = 0.0


async def test_add_whose_reply_was_lost_after_it_committed_is_saved_once(
    server: Server, tmp_path: Path
) -> None:
    """The INSERT commits, its reply is lost: the retry finds the first attempt by its
    client key. One todo, shown in the list, no error. (Whatever the form offers after the
    loss is done too: before client keys, it said "Not saved … Press ctrl+s to retry", and
    the retry made a second copy.)"""
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url))
        async with logged_in(settings, tmp_path) as (pilot, notes):
            await pilot.press("r")  # a warm pooled connection (see the toggle's test)
            await settle(pilot)
            await pilot.press("a")
            await pilot.pause()
            await fill(pilot, "#title", "Call mum")
            with lost_reply(pilot, wire) as lose:
                await pilot.press("ctrl+s")
                await eventually(pilot, lambda: stored(server.other, alice), "the insert committed")
                lose()
                await settle(pilot)
            if screen_name(pilot) == "TodoForm":
                await pilot.press("ctrl+s")  # what the form offers
                await settle(pilot)
            assert len(stored(server.other, alice)) == 1, "a duplicate"
            inserts = [q for q in wire.queries if q.startswith("INSERT INTO todo")]
            assert len(inserts) == 2  # it was sent again
            assert screen_name(pilot) == "TodoListScreen"
            await eventually(pilot, lambda: titles(pilot) == ["Call mum"], "the todo shown")
            assert not severe(notes)
    (todo,) = stored(server.other, alice)
    assert todo.title == "Call mum"


MAY_BE_SAVED = (
    "The connection was lost before the database answered: this todo may be saved. "
    "Press ctrl+s — it is never saved twice."
)


async def test_add_whose_outcome_is_unknown_says_so_and_reconciles_when_the_server_is_back(
    server: Server, tmp_path: Path
) -> None:
    """The INSERT commits, then the network goes (the retry cannot connect): the form says
    the todo may be saved, never "Not saved"; once the network is back it looks the key up
    by itself and says "Saved.", and the list shows the todo once."""
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=2)
        async with logged_in(settings, tmp_path) as (pilot, notes):
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("a")
            await pilot.pause()
            await fill(pilot, "#title", "Call mum")
            form = pilot.app.screen
            with lost_reply(pilot, wire):
                await pilot.press("ctrl+s")
                await eventually(pilot, lambda: stored(server.other, alice), "the insert committed")
                wire.cut()  # the reply is lost, and so are new connections
                error = form.query_one("#title-error", Static)
                await eventually(
                    pilot, lambda: str(error.render()) == MAY_BE_SAVED, "the form's sentence"
                )
            assert screen_name(pilot) == "TodoForm"
            assert form.query_one("#title", Input).value == "Call mum"
            wire.restore()
            await eventually(
                pilot, lambda: screen_name(pilot) == "TodoListScreen", "reconciled", timeout=10
            )
            await eventually(pilot, lambda: titles(pilot) == ["Call mum"], "the todo shown")
            assert [m for level, m, _ in notes if level == "information"][-1] == "Saved."
            assert not [m for m in severe(notes) if "ot saved" in m]
    assert [t.title for t in stored(server.other, alice)] == ["Call mum"]


async def test_edit_whose_outcome_is_unknown_says_so_and_reconciles_when_the_server_is_back(
    server: Server, tmp_path: Path
) -> None:
    """The same for an edit: never "Not saved" once the UPDATE was sent; "Saved." once the
    todo is found at the version and with the text this save makes."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=2)
        async with logged_in(settings, tmp_path) as (pilot, notes):
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("e")
            await pilot.pause()
            await fill(pilot, "#title", "Buy oat milk")
            form = pilot.app.screen
            with lost_reply(pilot, wire):
                await pilot.press("ctrl+s")
                await eventually(
                    pilot,
                    lambda: stored(server.other, alice)[0].version == milk.version + 1,
                    "the update committed",
                )
                wire.cut()
                error = form.query_one("#title-error", Static)
                await eventually(
                    pilot, lambda: str(error.render()) == MAY_BE_SAVED, "the form's sentence"
                )
            assert screen_name(pilot) == "TodoForm"
            wire.restore()
            await eventually(
                pilot, lambda: screen_name(pilot) == "TodoListScreen", "reconciled", timeout=10
            )
            await eventually(pilot, lambda: titles(pilot) == ["Buy oat milk"], "the edit shown")
            assert [m for level, m, _ in notes if level == "information"][-1] == "Saved."
    (todo,) = stored(server.other, alice)
    assert (todo.title, todo.version) == ("Buy oat milk", milk.version + 1)


async def test_add_typed_on_after_an_unknown_outcome_saves_the_new_text_over_the_first(
    server: Server, tmp_path: Path
) -> None:
    """After "may be saved" the user changes the title and saves: the first attempt (found
    by its key) gets the new text, as an edit; still one todo."""
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=2)
        async with logged_in(settings, tmp_path) as (pilot, _notes):
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("a")
            await pilot.pause()
            await fill(pilot, "#title", "Call mum")
            form = pilot.app.screen
            with lost_reply(pilot, wire):
                await pilot.press("ctrl+s")
                await eventually(pilot, lambda: stored(server.other, alice), "the insert committed")
                wire.cut()
                error = form.query_one("#title-error", Static)
                await eventually(
                    pilot, lambda: str(error.render()) == MAY_BE_SAVED, "the form's sentence"
                )
            await fill(pilot, "#title", "Call mum on Sunday")
            wire.restore()
            await pilot.press("ctrl+s")
            await eventually(
                pilot, lambda: screen_name(pilot) == "TodoListScreen", "saved", timeout=10
            )
            await settle(pilot)
            assert titles(pilot) == ["Call mum on Sunday"]
    (todo,) = stored(server.other, alice)
    assert (todo.title, todo.version) == ("Call mum on Sunday", 2)


async def test_delete_whose_reply_was_lost_after_it_committed_can_be_undone(
    server: Server, tmp_path: Path
) -> None:
    """The DELETE commits, its reply is lost: the retry finds the todo gone, which is the
    first attempt's doing. Deleted, undoable, and no "deleted in another terminal"."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url))
        async with logged_in(settings, tmp_path) as (pilot, notes):
            await pilot.press("r")  # a warm pooled connection (see the toggle's test)
            await settle(pilot)
            checkouts: list = []
            event.listen(
                pilot.app.database.engine,
                "checkout",
                lambda dbapi_connection, record, proxy: checkouts.append(dbapi_connection),
            )
            await pilot.press("d")
            await pilot.pause()
            assert screen_name(pilot) == "ConfirmDialog"
            wire.delay = 1.0  # the reply spends a second on the way back
            wire.reset()
            await pilot.press("enter")
            await eventually(
                pilot, lambda: stored(server.other, alice) == [], "the delete committed"
            )
            (in_flight,) = checkouts
            wire.delay = 0.0
            shut_down(in_flight.fileno())  # before its reply arrived
            await settle(pilot)
            deletes = [q for q in wire.queries if q.startswith("DELETE FROM todo")]
            assert len(deletes) == 2  # it was sent again
            assert titles(pilot) == []
            assert [m for _, m, _ in notes] == ["Deleted. Press u to undo."]

            await pilot.press("u")
            await settle(pilot)
            assert titles(pilot) == ["Buy milk"]
            assert not severe(notes)
    (todo,) = stored(server.other, alice)
    assert (todo.id, todo.title) == (milk.id, "Buy milk")


# ---------------------------------------------------------------------------------------
# Server unreachable: a clear notice, still readable, reconnects and catches up


@pytest.mark.parametrize("hang", [False, True], ids=["reset", "hang"])
async def test_unreachable_server_notice_reading_and_recovery(
    server: Server, tmp_path: Path, hang: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeout = 2
    monkeypatch.setattr(live, "LISTEN_CHECK", 1.0)  # a hang is silent until the feed asks
    alice = register(server.other)
    for title in ("alpha", "beta", "gamma"):
        add(server.other, alice, title)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=timeout)
        async with logged_in(settings, tmp_path) as (pilot, notes):
            table = table_of(pilot)
            assert titles(pilot) == ["gamma", "beta", "alpha"]
            gamma, beta, _ = table.visible_todos
            cut_at = time.monotonic()
            wire.cut(hang=hang)

            # An action: a clear notice within the deadlines the connect timeout sets.
            pressed_at = time.monotonic()
            await pilot.press("space")  # toggle gamma
            # Still usable for reading while the call waits: the list, cursor, search.
            lines = [table.render_line(y).text for y in range(3)]
            assert all(t in line for t, line in zip(titles(pilot), lines, strict=True)), lines
            await pilot.press("down")
            assert table.cursor_todo.title == "beta"
            await pilot.press("slash")
            await pilot.press(*"alp")
            await pilot.pause()
            assert titles(pilot) == ["alpha"]
            await pilot.press("escape")
            await pilot.pause()
            assert titles(pilot) == ["gamma", "beta", "alpha"]
            await eventually(
                pilot,
                lambda: severe(notes, ("error",)),
                "a notice that the database cannot be reached",
                timeout=timeout + ANSWER_GRACE + 3,
            )
            ((message, noticed_at),) = [(m, at) for level, m, at in notes if level == "error"]
            assert message in CONNECTION_SENTENCES
            assert noticed_at - pressed_at <= timeout + ANSWER_GRACE + 0.5
            assert not table.get(gamma.id).is_completed  # the toggle undone

            # The change feed notices too: the list says it is offline once a reconnect
            # has failed as well (a connection dropped while idle is usually back at the
            # first retry, and then the user is not bothered). A reset is seen at once; a
            # hang when the feed's check of its silent connection gets no answer in time.
            await eventually(
                pilot, lambda: "offline" in status(pilot), "the offline indicator", timeout=15
            )
            (lost_at,) = [at for _, m, at in notes if m.startswith("Lost the connection")]
            retry = live.BACKOFF[0] + timeout  # the first reconnect, failing
            if hang:
                limit = live.LISTEN_CHECK + live.LISTEN_WAKEUP + timeout + ANSWER_GRACE + retry
            else:
                limit = retry
            assert lost_at - cut_at <= limit
            assert titles(pilot) == ["gamma", "beta", "alpha"]  # still shown

            # Meanwhile, another terminal changes things; then the network is back.
            add(server.other, alice, "delta")
            server.other.run(
                lambda s: todos.delete_todo(
                    s, owner_id=alice.id, todo_id=beta.id, version=beta.version
                )
            )
            wire.restore()
            await eventually(
                pilot,
                lambda: "offline" not in status(pilot) and "delta" in titles(pilot),
                "back online with the change made meanwhile",
                timeout=sum(live.BACKOFF[:4]) + 2 * timeout + 2,
            )
            assert "beta" not in titles(pilot)
            assert any(m == "Reconnected to the database." for _, m, _ in notes)
            # Everything as the database holds it (a hang's held toggle may land late).
            await eventually(
                pilot,
                lambda: sorted(table.all_todos, key=by_id) == stored(server.other, alice),
                "the list as the database holds it",
            )


CONNECTION_SENTENCES = {
    "The connection to the database was lost.",
    "Cannot reach the database at 127.0.0.1: check that it is running and that "
    "DATABASE_URL is right.",
    "127.0.0.1 did not answer in time: check that the server is up, and try again.",
}


def count_connects(database: Database, record: Callable[[], None]) -> None:
    """`record()` before every attempt to open a connection of `database`'s engine: first
    of its do_connect handlers, since the one that drops refused start-up options connects
    by itself and the handlers after it are not called."""
    engine = database.engine
    others = list(engine.dialect.dispatch.do_connect)
    for handler in others:
        event.remove(engine, "do_connect", handler)
    event.listen(engine, "do_connect", lambda *args: record())
    for handler in others:
        event.listen(engine, "do_connect", handler)


def test_change_feed_reconnects_on_a_capped_schedule_and_catches_up(
    server: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A long outage: the waits between attempts grow to the cap (BACKOFF[-1], 2 s, jittered
    down by at most JITTER) and stay there, so the server gets one attempt every 1.6-2 s and
    the feed is back at the first attempt after the server is."""
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        database = Database(server.settings_for(wire.url(server.url)))
        attempts: list[float] = []
        count_connects(database, lambda: attempts.append(time.monotonic()))
        reports: list[object] = []
        feed = live.ChangeFeed(
            database,
            alice.id,
            on_changes=lambda changes: reports.append(changes),
            on_snapshot=lambda snapshot, taken_at: reports.append("snapshot"),
            on_online=lambda online: reports.append(online),
            idle_for=lambda: 0.0,
        )
        delays: list[float] = []
        delay = feed._delay

        def chosen(attempt: int) -> float:
            delays.append(delay(attempt))
            return delays[-1]

        monkeypatch.setattr(feed, "_delay", chosen)
        feed.start()
        try:
            # The first connection is no news: only the catch-up is reported.
            wait_until(lambda: reports == ["snapshot"], "a catch-up")
            wire.cut()
            wait_until(lambda: len(attempts) >= 6, "five reconnect attempts")
            assert reports == ["snapshot", False]  # offline once, not once per attempt
            add(server.other, alice, "made while offline")
            failed = len(attempts)
            wire.restore()
            wait_until(lambda: reports[2:] == [True, "snapshot"], "back online, then a catch-up")
            assert len(attempts) == failed + 1  # back at the first attempt after the server
        finally:
            feed.stop()
            database.dispose()
    cap = live.BACKOFF[-1]
    assert cap <= 2.0
    for attempt, chosen_delay in enumerate(delays):
        base = live.BACKOFF[min(attempt, len(live.BACKOFF) - 1)]
        assert base * (1 - live.JITTER) <= chosen_delay <= base, (attempt, delays)
    # Each attempt waited its chosen delay (no hammering), however slow the host is.
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts[1:])]
    assert all(gap >= wait for gap, wait in zip(gaps, delays[1:], strict=False)), (gaps, delays)
    # A lost connection is routine here, not an error with a traceback: one warning per
    # failure, in the classified sentence, never the password.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    warnings = [r.getMessage() for r in caplog.records if r.name == "todo_tui.live"]
    assert warnings, caplog.text
    assert all(
        m.removeprefix("change feed: ").removesuffix(" Reconnecting.") in CONNECTION_SENTENCES
        or m == "change feed: reconnected to the database."
        for m in warnings
    ), warnings


def test_every_outage_is_retried_once_before_it_is_reported(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a connection works again the backoff starts afresh: a second outage, like the
    first, is retried after BACKOFF[0] before the user is told, and is told once."""
    monkeypatch.setattr(live, "BACKOFF", (0.1, 0.2, 0.3))
    monkeypatch.setattr(live, "JITTER", 0.0)
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        database = Database(server.settings_for(wire.url(server.url)))
        events: list[object] = []  # appended on the feed's thread only: in order
        count_connects(database, lambda: events.append("connect"))
        feed = live.ChangeFeed(
            database,
            alice.id,
            on_changes=lambda changes: None,
            on_snapshot=lambda snapshot, taken_at: events.append("snapshot"),
            on_online=lambda online: events.append(online),
            idle_for=lambda: 0.0,
        )
        delay = feed._delay

        def backoff(attempt: int) -> float:  # the feed's backoff waits: which ones it chose
            events.append(("backoff", delay(attempt)))
            return events[-1][1]

        monkeypatch.setattr(feed, "_delay", backoff)
        feed.start()
        outages: list[list[object]] = []
        try:
            wait_until(lambda: events == ["connect", "snapshot"], "connected, caught up")
            for _ in range(2):
                start = len(events)
                wire.cut()
                wait_until(
                    lambda: events[start:].count("connect") >= 2,  # noqa: B023
                    "a reconnect failed after the first retry",
                )
                wire.restore()
                wait_until(
                    lambda: events[-3:] == ["connect", True, "snapshot"],
                    "back online, caught up",
                )
                outages.append(events[start:])
        finally:
            feed.stop()
            database.dispose()
    for outage in outages:
        # The drop; BACKOFF[0]; a retry, failing: now reported; BACKOFF[1]...
        assert outage[:4] == [("backoff", 0.1), "connect", False, ("backoff", 0.2)], outage
        assert outage.count(False) == 1, outage
        assert outage.count(True) == 1, outage


# ---------------------------------------------------------------------------------------
# Bounded waits: statement timeout on every connection; quitting while a call hangs


def test_every_app_connection_has_a_statement_timeout(server: Server) -> None:
    database = Database(replace(server.settings, connect_timeout=1))
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1s"
        started = time.monotonic()
        with pytest.raises(DatabaseFault) as caught:
            database.run(lambda s: s.connection().exec_driver_sql("SELECT pg_sleep(30)"))
        elapsed = time.monotonic() - started
    finally:
        database.dispose()
    # The server cancelled it (the client's own deadline would say "did not answer").
    assert caught.value.kind is FaultKind.TIMED_OUT
    assert caught.value.sentence == "The database took too long to answer."
    assert elapsed < 1 + ANSWER_GRACE


QUITTER = """
import asyncio, os, select, sys
from dataclasses import replace
from pathlib import Path

from tests.pilot import log_in, make_app, settle
from todo_tui.config import load_settings


async def main(url, config_dir, email, password):
    settings = replace(load_settings(database_url=url, environ={}), bcrypt_rounds=4)
    app = make_app(settings, Path(config_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, email, password)
        os.write(1, f"{type(app.screen).__name__}\\n".encode())
        for command in ("space", "ctrl+q"):
            while not select.select([sys.stdin], [], [], 0)[0]:
                await pilot.pause(0.02)
            sys.stdin.readline()
            await pilot.press(command)


asyncio.run(main(*sys.argv[1:]))
"""


def test_quitting_while_a_call_hangs_takes_under_2_s(server: Server, tmp_path: Path) -> None:
    alice = register(server.other)
    add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        url = wire.url(server.url)  # the default connect timeout: a call waits 12 s
        child = subprocess.Popen(
            [sys.executable, "-c", QUITTER, url, str(tmp_path), EMAIL, PASSWORD],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready, _, _ = select.select([child.stdout], [], [], 30)
            assert ready and child.stdout.readline() == "TodoListScreen\n", child.stderr.read()
            wire.cut(hang=True)
            wire.reset()
            child.stdin.write("space\n")  # a toggle: its UPDATE gets no answer
            child.stdin.flush()
            # On its way: the UPDATE sent, or a new connection for it opening (and hanging).
            wait_until(
                lambda: wire.connections or any(q.startswith("UPDATE") for q in wire.queries),
                "the toggle under way",
            )
            quit_at = time.monotonic()
            child.stdin.write("quit\n")
            child.stdin.flush()
            child.wait(timeout=15)
            took = time.monotonic() - quit_at
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 0, child.stderr.read()
        assert took < 2.0


async def test_undo_whose_reply_was_lost_after_it_committed_is_restored_once(
    server: Server, tmp_path: Path
) -> None:
    """The undo of a delete is an INSERT with the todo's id: retried after a lost reply,
    it finds its first attempt (no "changed at the same time"), and the list shows it."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url))
        async with logged_in(settings, tmp_path) as (pilot, notes):
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            assert titles(pilot) == []
            with lost_reply(pilot, wire) as lose:
                await pilot.press("u")
                await eventually(pilot, lambda: stored(server.other, alice), "the undo committed")
                lose()
                await settle(pilot)
            inserts = [q for q in wire.queries if q.startswith("INSERT INTO todo")]
            assert len(inserts) == 2  # it was sent again
            assert titles(pilot) == ["Buy milk"]
            assert not severe(notes)
    (todo,) = stored(server.other, alice)
    assert (todo.id, todo.title) == (milk.id, "Buy milk")


# ---------------------------------------------------------------------------------------
# Create account: a lost reply to the INSERT of the account


def users(server: Server) -> list[tuple]:
    return server.query('SELECT email FROM "user" ORDER BY id')


@asynccontextmanager
async def at_create_account(settings: Settings, config_dir: Path) -> AsyncIterator[Pilot]:
    """The app on the create-account screen, EMAIL and PASSWORD typed, not yet sent."""
    app = make_app(settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen_name(pilot) == "RegisterScreen"
        await fill(pilot, "#email", EMAIL)
        await fill(pilot, "#password", PASSWORD)
        await fill(pilot, "#confirm", PASSWORD)
        yield pilot


async def test_create_account_whose_reply_was_lost_after_it_committed_logs_in(
    server: Server, tmp_path: Path
) -> None:
    """The INSERT commits, its reply is lost: the retry finds the account with this email,
    the typed password verifies against its hash, so it is this one's: logged in, one
    account. (Whatever the screen offers after the loss is done too: before, Enter read
    "An account with this email already exists.")"""
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url))
        async with at_create_account(settings, tmp_path) as pilot:
            with lost_reply(pilot, wire) as lose:
                await pilot.press("enter")
                await eventually(pilot, lambda: users(server), "the account committed")
                lose()
                await settle(pilot)
            if screen_name(pilot) == "RegisterScreen":
                await pilot.press("enter")  # what the screen offers
                await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
            assert pilot.app.screen.user.email == EMAIL
            inserts = [q for q in wire.queries if q.startswith('INSERT INTO "user"')]
            assert len(inserts) == 2  # it was sent again
    assert users(server) == [(EMAIL,)]


async def test_create_account_whose_outcome_is_unknown_says_so_and_enter_logs_in(
    server: Server, tmp_path: Path
) -> None:
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=2)
        async with at_create_account(settings, tmp_path) as pilot:
            screen = pilot.app.screen
            with lost_reply(pilot, wire):
                await pilot.press("enter")
                await eventually(pilot, lambda: users(server), "the account committed")
                wire.cut()  # the reply is lost, and the retry cannot connect
                await settle(pilot)
            assert screen_name(pilot) == "RegisterScreen"
            error = str(screen.query_one("#confirm-error", Static).render())
            assert error == (
                "The connection was lost before the database answered: the account may be "
                "created. Press Enter — it is never created twice."
            )
            wire.restore()
            await pilot.press("enter")
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
    assert users(server) == [(EMAIL,)]


# ---------------------------------------------------------------------------------------
# Start-up and log in try again by themselves while the server cannot be reached


def error_text(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_start_up_goes_on_by_itself_once_the_server_answers(
    server: Server, tmp_path: Path
) -> None:
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        wire.cut()
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "StartupScreen"
            assert error_text(pilot, "#startup-message") in CONNECTION_SENTENCES
            refused = wire.connections
            wire.restore()
            took = await eventually(
                pilot, lambda: screen_name(pilot) == "LoginScreen", "on to log in", timeout=6
            )
            assert took <= 2.0 + 2  # the next attempt, every 2 s, and its answer
            await settle(pilot)
        assert refused == 0  # nothing got through while cut: the move on is the retry's


async def test_start_up_tries_again_every_2_s_one_attempt_at_a_time(
    server: Server, tmp_path: Path
) -> None:
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        wire.cut()
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        attempts: list[float] = []
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            check = screen.check

            def counted(**options) -> None:
                attempts.append(time.monotonic())
                check(**options)

            screen.check = counted
            await eventually(pilot, lambda: len(attempts) >= 3, "three attempts", timeout=10)
            assert screen_name(pilot) == "StartupScreen"
            assert screen.has_class("-failed")  # the sentence stays between attempts
            screen.check = lambda **options: None  # no attempt left in flight at the exit
            await settle(pilot)
        gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
        assert all(gap >= 2.0 for gap in gaps), gaps


async def test_log_in_proceeds_by_itself_once_the_server_answers(
    server: Server, tmp_path: Path
) -> None:
    """Enter pressed while the network is down: the sentence says so; once it is back, the
    log in the user asked for goes through without another key press."""
    register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "LoginScreen"
            wire.cut()
            await log_in(pilot, EMAIL, PASSWORD)
            assert screen_name(pilot) == "LoginScreen"
            assert error_text(pilot, "#password-error") in CONNECTION_SENTENCES
            wire.restore()
            await eventually(
                pilot, lambda: screen_name(pilot) == "TodoListScreen", "logged in", timeout=6
            )
            assert pilot.app.screen.user.email == EMAIL
            await settle(pilot)


async def test_log_in_changed_meanwhile_is_not_sent_by_itself_the_sentence_clears(
    server: Server, tmp_path: Path
) -> None:
    register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            wire.cut()
            await log_in(pilot, EMAIL, "not the password")
            assert error_text(pilot, "#password-error") in CONNECTION_SENTENCES
            await fill(pilot, "#password", PASSWORD)  # typed on, not sent
            wire.restore()
            await eventually(
                pilot, lambda: error_text(pilot, "#password-error") == "", "the sentence cleared"
            )
            assert screen_name(pilot) == "LoginScreen"
            assert not [q for q in wire.queries if 'FROM "user"' in q]  # no log in sent
            await pilot.press("enter")
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
