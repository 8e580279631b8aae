"""A long history of done todos: a list whose view shows none of them loads the open todos
and only counts the done ones (in the same round trip), loads them once a view that shows
them is chosen, and keeps the count right as todos are completed, opened again, deleted
or added, here or elsewhere. On both databases."""

from __future__ import annotations

import itertools
import time
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.pilot import Pilot
from textual.widgets import Static

from tests.feeds import logged_in, shown, table_of
from tests.pilot import add, eventually, register, settle
from tests.test_todo_table import TableApp, rec
from todo_tui import auth, reconcile, todos
from todo_tui.db import Database
from todo_tui.models import Todo
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.widgets.todo_table import TodoTable

OPEN_VIEW = '[defaults]\nview = "open"\n'


def seed(database: Database, owner: UserRecord, *, open: int, done: int) -> None:
    rows = [{"title": f"open {n}", "is_completed": False} for n in range(open)]
    rows += [{"title": f"done {n}", "is_completed": True} for n in range(done)]
    for row in rows:
        row["user_id"] = owner.id
    with database.engine.begin() as connection:
        connection.execute(sa.insert(Todo), rows)


def status(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#list-status", Static).render())


def in_database(database: Database, owner: UserRecord) -> tuple[int, int]:
    """(open, done) todos of `owner`, as stored."""
    every = database.run(lambda s: todos.list_todos(s, owner_id=owner.id))
    done = sum(todo.is_completed for todo in every)
    return len(every) - done, done


def elsewhere(database: Database, owner: UserRecord, todo_id: int, **change: bool) -> None:
    """Another terminal completes (`completed=`) or deletes the todo, as it is now."""
    current = database.run(lambda s: todos.get_todo(s, owner_id=owner.id, todo_id=todo_id))
    assert current is not None
    if "completed" in change:
        database.run(
            lambda s: todos.set_completed(
                s,
                owner_id=owner.id,
                todo_id=todo_id,
                version=current.version,
                completed=change["completed"],
            )
        )
    else:
        database.run(
            lambda s: todos.delete_todo(
                s, owner_id=owner.id, todo_id=todo_id, version=current.version
            )
        )


# -- the services: open todos and the number of done ones, one statement -------------------


def test_the_open_todos_come_with_the_number_of_done_ones(database: Database) -> None:
    alice = register(database)
    bob = database.run(
        lambda s: auth.register(s, email="bob@example.com", password="a password", rounds=4)
    )
    seed(database, alice, open=3, done=4)
    seed(database, bob, open=0, done=2)
    records, done = database.run(lambda s: todos.list_open(s, owner_id=alice.id))
    assert [todo.title for todo in records] == ["open 0", "open 1", "open 2"]
    assert done == 4
    # No open todo: the count still comes.
    assert database.run(lambda s: todos.list_open(s, owner_id=bob.id)) == ([], 2)
    ids = [records[0].id, records[0].id + 1_000_000]  # one of hers, one that is no todo
    fetched, done = database.run(
        lambda s: todos.list_by_ids_counting_done(s, owner_id=alice.id, todo_ids=ids)
    )
    assert (fetched, done) == ([records[0]], 4)
    snapshot = database.run(lambda s: todos.list_versions(s, owner_id=alice.id, done_too=False))
    assert snapshot == todos.Snapshot({todo.id: 1 for todo in records}, done=4)
    assert len(database.run(lambda s: todos.list_versions(s, owner_id=alice.id)).versions) == 7


# -- the table: done todos held, or counted --------------------------------------------


async def test_a_table_holding_the_open_todos_counts_the_done_ones() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(TodoTable)
        table.set_todos([], done=3)
        assert (table.holds_done, table.counts) == (False, (0, 3))
        table.view = "open"
        await pilot.pause()
        assert hint(table).startswith("Nothing open")  # not "No todos yet"
        table.set_todos([rec(1), rec(2)], done=3)
        table.upsert(rec(2, done=True))  # completed: counted, no longer held
        assert (table.counts, [t.id for t in table.all_todos]) == ((1, 4), [1])
        table.upsert(rec(2, done=True))  # the same again (the save's answer): counted once
        assert table.counts == (1, 4)
        table.upsert(rec(2))  # open again (an undo)
        assert (table.counts, sorted(table.versions)) == ((2, 3), [1, 2])
        # A fetch says how many are done as the database had them with its records.
        table.upsert_many([rec(7, done=True), rec(8)], done=5)
        assert (table.counts, sorted(table.versions)) == ((3, 5), [1, 2, 8])
        table.upsert(rec(7))  # arrived done with that fetch, open again since
        assert table.counts == (4, 4)
        table.set_done_count(9)  # a snapshot's number
        assert table.counts == (4, 9)
        table.view = "done"
        await pilot.pause()
        assert hint(table) == "Loading the done todos…"
        table.set_todos([rec(1), rec(2, done=True)])  # every todo: done ones held again
        assert (table.holds_done, table.counts, table.visible_count) == (True, (1, 1), 1)
        table.set_done_count(9)  # ignored: held, so counted by what it holds
        assert table.counts == (1, 1)


def hint(table: TodoTable) -> str:
    return table.render_line(0).text.strip()


# -- the app: launch, the Done view, changes here and elsewhere -------------------------


async def test_a_launch_on_the_open_view_loads_the_open_todos_and_counts_the_done_ones(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    seed(database, alice, open=1_000, done=10_000)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    async with logged_in(database.settings, tmp_path) as pilot:
        table, feed = table_of(pilot), pilot.app.screen.feed
        assert (table.holds_done, len(table.all_todos)) == (False, 1_000)
        assert table.counts == (1_000, 10_000)
        assert status(pilot).startswith("All open: 1000 shown, 10000 hidden")
        assert feed.done_too is False  # its catch-ups: the open todos' versions
        await pilot.press("5")  # the Done view: the done todos loaded, then held
        await eventually(pilot, lambda: table.holds_done, "the done todos loaded")
        assert (len(table.all_todos), table.visible_count) == (11_000, 10_000)
        assert status(pilot).startswith("Done: 10000 shown, 1000 hidden")
        assert feed.done_too is True
        await pilot.press("3")  # back to All open: the done todos stay held
        await settle(pilot)
        assert (table.holds_done, len(table.all_todos), table.visible_count) == (
            True,
            11_000,
            1_000,
        )


async def test_a_launch_on_a_view_that_shows_done_todos_loads_them(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    seed(database, alice, open=10, done=100)
    async with logged_in(database.settings, tmp_path) as pilot:  # the default view: All
        table = table_of(pilot)
        assert (table.view, table.holds_done, len(table.all_todos)) == ("all", True, 110)
        assert pilot.app.screen.feed.done_too is True


async def test_changes_elsewhere_keep_the_open_todos_and_the_count_of_done_ones_right(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    finish, reopen, drop_open, drop_done = (
        add(database, alice, title) for title in ("finish", "reopen", "drop open", "drop done")
    )
    add(database, alice, "keep")
    for todo in (reopen, drop_done):
        elsewhere(database, alice, todo.id, completed=True)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        assert (table.holds_done, table.counts) == (False, (3, 2))

        async def after(change, expected_open: set[str], what: str) -> None:
            change()
            await eventually(
                pilot,
                lambda: (
                    set(shown(pilot)) == expected_open
                    and table.counts == in_database(database, alice)
                ),
                what,
            )
            assert len(table.all_todos) == len(expected_open)  # the open ones only, held

        await after(
            lambda: elsewhere(database, alice, finish.id, completed=True),
            {"keep", "drop open"},
            "a todo completed elsewhere leaves, counted done",
        )
        await after(
            lambda: elsewhere(database, alice, reopen.id, completed=False),
            {"keep", "drop open", "reopen"},
            "a todo opened again elsewhere appears",
        )
        await after(
            lambda: elsewhere(database, alice, drop_done.id),
            {"keep", "drop open", "reopen"},
            "a done todo deleted elsewhere leaves the count",
        )
        await after(
            lambda: elsewhere(database, alice, drop_open.id),
            {"keep", "reopen"},
            "an open todo deleted elsewhere vanishes",
        )
        await after(
            lambda: add(database, alice, "added"),
            {"keep", "reopen", "added"},
            "a todo added elsewhere appears",
        )
        assert table.counts == (3, 1) and not table.holds_done


async def test_done_here_and_undone_keeps_the_count_of_done_ones_right(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    seed(database, alice, open=2, done=5)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        await pilot.press("home", "space")  # done: it leaves the open view
        await settle(pilot)
        assert (table.counts, table.visible_count) == ((1, 6), 1)
        assert in_database(database, alice) == (1, 6)
        await pilot.press("u")  # open again
        await settle(pilot)
        assert (table.counts, table.visible_count) == ((2, 5), 2)
        assert in_database(database, alice) == (2, 5)
        assert status(pilot).startswith("All open: 2 shown, 5 hidden")


async def test_a_catch_up_of_a_list_holding_the_open_todos_counts_the_done_ones(
    database: Database, tmp_path: Path
) -> None:
    """The snapshot has the open todos' versions and the number of done ones; one of other
    kinds than the list holds (taken across a load) is not believed: the feed takes another."""
    alice = register(database)
    seed(database, alice, open=3, done=1)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    async with logged_in(database.settings, tmp_path) as pilot:
        screen, table = pilot.app.screen, table_of(pilot)
        screen.feed.stop()  # the snapshots here are the test's, delivered in its order
        await eventually(pilot, lambda: not screen.feed.running, "the feed stopped")
        first = table.visible_todos[0]
        elsewhere(database, alice, first.id, completed=True)
        add(database, alice, "added")
        every = database.run(lambda s: todos.list_versions(s, owner_id=alice.id))
        screen._catch_up(every, time.monotonic())  # all todos: not what it holds
        await settle(pilot)
        assert table.counts == (3, 1) and screen.feed._again  # another one asked for
        snapshot = database.run(lambda s: todos.list_versions(s, owner_id=alice.id, done_too=False))
        screen._catch_up(snapshot, time.monotonic())
        await eventually(pilot, lambda: "added" in shown(pilot), "the added todo fetched")
        assert first.title not in shown(pilot)
        assert table.counts == (3, 2) == in_database(database, alice)


async def test_clear_done_on_the_open_view_loads_the_done_todos_and_deletes_them_all(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    seed(database, alice, open=2, done=3)
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        assert not table.holds_done
        await pilot.press("C")
        await settle(pilot)
        assert table.holds_done  # they were counted: loaded to be listed and deleted
        question = pilot.app.screen.query_one("#confirm-question", Static)
        assert str(question.render()) == "Delete the 3 done todos?"
        await pilot.press("enter")
        await settle(pilot)
        assert table.counts == (2, 0) == in_database(database, alice)


# -- a property: whatever happens elsewhere or here, the list holds the open todos as stored
# and counts the done ones, after a batch of changes or a snapshot

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["complete", "reopen", "delete", "add", "edit", "toggle here"]),
        st.integers(0, 30),  # which todo (modulo those there are)
        st.sampled_from(["now", "later"]),  # delivered after this step, or with the next
        st.sampled_from(["changes", "snapshot"]),  # how: the feed's batch, or a catch-up
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(open_=st.integers(0, 6), done=st.integers(0, 6), steps=STEPS)
def test_the_open_todos_held_and_the_done_ones_counted_stay_as_stored(
    open_: int, done: int, steps: list[tuple[str, int, str, str]]
) -> None:
    stored = {i: todo(i, 1, done=i > open_) for i in range(1, open_ + done + 1)}
    table = TodoTable()
    table.set_todos([t for t in stored.values() if not t.is_completed], done=done)
    catching_up = reconcile.CatchUp()
    pending: dict[int, int | None] = {}  # changed elsewhere, not delivered yet
    ids_made = itertools.count(len(stored) + 1)

    def fetch(ids: set[int]) -> None:  # as the screen's fetch: the records and the count
        if not ids:
            return
        records = [stored[i] for i in ids if i in stored]
        count = sum(t.is_completed for t in stored.values())
        table.upsert_many(reconcile.to_show(table.versions, records), done=count)

    def deliver(how: str) -> None:
        if how == "changes":
            plan = reconcile.changed_elsewhere(table.versions, pending, all_held=False)
            table.remove_many(plan.remove)
        else:
            versions = {i: t.version for i, t in stored.items() if not t.is_completed}
            plan = catching_up.plan(table.versions, versions, taken_at=0.0)
            table.remove_many(plan.remove)
            table.set_done_count(sum(t.is_completed for t in stored.values()))
        pending.clear()
        fetch(plan.fetch)

    for action, pick, when, how in steps:
        ids = sorted(stored)
        target = stored[ids[pick % len(ids)]] if ids else None
        if action == "add":
            new_id = next(ids_made)  # never one used before, as in the database
            stored[new_id] = todo(new_id, 1, done=pick % 2 == 1)  # an import may add done ones
            pending[new_id] = 1
        elif target is None:
            continue
        elif action == "delete":
            del stored[target.id]
            pending[target.id] = None
        elif action == "toggle here":
            if table.get(target.id) is None:
                continue  # only what the list shows can be toggled here
            table.upsert(todos.completed_as(target, not target.is_completed))  # at once
            stored[target.id] = todos.completed_as(target, not target.is_completed)
            table.upsert_many(reconcile.to_show(table.versions, [stored[target.id]]))  # saved
        else:
            completed = {"complete": True, "reopen": False}.get(action, target.is_completed)
            stored[target.id] = replace(target, is_completed=completed, version=target.version + 1)
            pending[target.id] = target.version + 1
        if when == "now":
            deliver(how)
    deliver("changes")
    open_stored = {i: t.version for i, t in stored.items() if not t.is_completed}
    assert dict(table.versions) == open_stored
    assert table.counts == (len(open_stored), len(stored) - len(open_stored))
    assert not table.holds_done


def todo(todo_id: int, version: int, *, done: bool) -> TodoRecord:
    return replace(rec(todo_id, done=done), version=version)
