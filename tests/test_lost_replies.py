"""Replies lost after the server committed, and outcomes the app cannot know (PostgreSQL
only; see tests/outage.py): each action is saved once, said so, and reconciled.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.outage import (
    Notes,
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
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui.commands.todo_commands import remove
from todo_tui.db import Database
from todo_tui.testing import wait_until
from todo_tui.testing.wire import WireProxy


def shut_down(fileno: int) -> None:
    """Drop a client's side of a connection (what a dead network does to it)."""
    with socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


@asynccontextmanager
async def through_wire(
    server: Server, config_dir: Path, *, warm: bool = True, **changes
) -> AsyncIterator[tuple[Pilot, Notes, WireProxy]]:
    """The app logged in to the server through a WireProxy (settings `changes` applied).
    With `warm`, after a refresh: a warm connection in the pool (the change feed took the
    first one for itself), so the next action is one round trip, not a connection set-up
    at a second each way."""
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), **changes)
        async with logged_in(settings, config_dir) as (pilot, notes):
            if warm:
                await pilot.press("r")
                await settle(pilot)
            yield pilot, notes, wire


async def test_toggle_whose_reply_was_lost_after_it_committed_is_not_a_conflict(
    server: Server, tmp_path: Path
) -> None:
    """The UPDATE commits, its reply is lost on the way back: the retry finds its own change
    (the version it would make, the values it sets) and reports success, not a conflict."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    async with through_wire(server, tmp_path) as (pilot, notes, wire):
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
    async with through_wire(server, tmp_path) as (pilot, notes, wire):
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
    async with through_wire(server, tmp_path, connect_timeout=2) as (pilot, notes, wire):
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
    async with through_wire(server, tmp_path, connect_timeout=2) as (pilot, notes, wire):
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
    async with through_wire(server, tmp_path, connect_timeout=2) as (pilot, _notes, wire):
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
        await eventually(pilot, lambda: screen_name(pilot) == "TodoListScreen", "saved", timeout=10)
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
    async with through_wire(server, tmp_path) as (pilot, notes, wire):
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
        await eventually(pilot, lambda: stored(server.other, alice) == [], "the delete committed")
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


async def test_undo_whose_reply_was_lost_after_it_committed_is_restored_once(
    server: Server, tmp_path: Path
) -> None:
    """The undo of a delete is an INSERT with the todo's id: retried after a lost reply,
    it finds its first attempt (no "changed at the same time"), and the list shows it."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    async with through_wire(server, tmp_path, warm=False) as (pilot, notes, wire):
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
async def at_create_account(
    server: Server, config_dir: Path, **changes
) -> AsyncIterator[tuple[Pilot, WireProxy]]:
    """The app through a WireProxy (settings `changes` applied) on the create-account
    screen, EMAIL and PASSWORD typed, not yet sent."""
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        app = make_app(server.settings_for(wire.url(server.url), **changes), config_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert screen_name(pilot) == "RegisterScreen"
            await fill(pilot, "#email", EMAIL)
            await fill(pilot, "#password", PASSWORD)
            await fill(pilot, "#confirm", PASSWORD)
            yield pilot, wire


async def test_create_account_whose_reply_was_lost_after_it_committed_logs_in(
    server: Server, tmp_path: Path
) -> None:
    """The INSERT commits, its reply is lost: the retry finds the account with this email,
    the typed password verifies against its hash, so it is this one's: logged in, one
    account. (Whatever the screen offers after the loss is done too: before, Enter read
    "An account with this email already exists.")"""
    async with at_create_account(server, tmp_path) as (pilot, wire):
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
    async with at_create_account(server, tmp_path, connect_timeout=2) as (pilot, wire):
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


def test_cli_rm_whose_reply_was_lost_after_it_committed_is_deleted_not_a_conflict(
    server: Server, capsys
) -> None:
    """`todo-tui rm`: the DELETE commits, its reply is lost; the retry finds the todo gone,
    which is what was asked: "Deleted", exit status 0."""
    alice = register(server.other)
    milk = add(server.other, alice, "Buy milk")
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        database = Database(server.settings_for(wire.url(server.url)))
        try:
            checkouts: list = []
            event.listen(
                database.engine, "checkout", lambda dbapi, record, proxy: checkouts.append(dbapi)
            )
            database.run(lambda s: s.execute(sa.text("SELECT 1")))  # a warm connection
            wire.delay = 1.0  # every reply spends a second on the way back
            with thread() as pool:
                args = argparse.Namespace(ids=[milk.id])
                running = pool.submit(remove, database, alice.id, args)
                wait_until(lambda: not stored(server.other, alice), "the DELETE committed")
                wire.delay = 0.0
                shut_down(checkouts[-1].fileno())  # before its reply arrived
                assert outcome(running) == 0
        finally:
            database.dispose()
        assert len([q for q in wire.queries if q.startswith("DELETE FROM todo")]) == 2
    said = capsys.readouterr()
    assert said.out == f"Deleted {milk.id}: Buy milk\n" and said.err == ""
