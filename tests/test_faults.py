"""Dropped connections, injected for real (PostgreSQL only; see tests/outage.py): a backend
killed while idle or during an action, and the bounded waits (the statement timeout on
every connection, quitting while a call hangs).
"""

from __future__ import annotations

import select
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import TextArea

from tests.outage import (
    Server,
    logged_in,
    outcome,
    severe,
    table_of,
    thread,
    titles,
)
from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    eventually,
    fill,
    register,
    screen_name,
    settle,
    stored,
    wait_until,
)
from todo_tui import todos
from todo_tui.db import ANSWER_GRACE, Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.records import TodoRecord
from todo_tui.testing.wire import WireProxy

ROOT = Path(__file__).resolve().parent.parent


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
