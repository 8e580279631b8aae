"""A long history of done todos: a list whose view shows none of them loads the open todos
and only counts the done ones (in the same round trip), loads them once a view that shows
them is chosen, and keeps the count right as todos are completed, opened again, deleted
or added, here or elsewhere. On both databases."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from textual.pilot import Pilot
from textual.widgets import Static

from tests.feeds import logged_in, shown, table_of
from tests.pilot import add, eventually, register, settle
from tests.test_todo_table import TableApp, rec
from todo_tui import auth, reconcile, todos
from todo_tui.db import Database
from todo_tui.models import Todo
from todo_tui.records import UserRecord
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


def test_a_list_holding_the_open_todos_fetches_a_deleted_one_it_does_not_hold() -> None:
    """It may have been a done one: the fetch brings the count along."""
    changes = {1: None, 2: None, 3: 4}
    assert reconcile.changed_elsewhere({1: 1, 3: 3}, changes) == reconcile.Plan([1], {3})
    plan = reconcile.changed_elsewhere({1: 1, 3: 3}, changes, all_held=False)
    assert plan == reconcile.Plan(remove=[1], fetch={2, 3})


# -- the table: done todos held, or counted --------------------------------------------


async def test_a_table_holding_the_open_todos_counts_the_done_ones() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(TodoTable)
        table.set_todos([], done=3)
        assert (table.holds_done, table.counts) == (False, (0, 3))
        table.view = "open"
        await pilot.pause()
        assert "Nothing in All open" in hint(table)  # not "No todos yet"
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
        await pilot.press("2")  # the Done view: the done todos loaded, then held
        await eventually(pilot, lambda: table.holds_done, "the done todos loaded")
        assert (len(table.all_todos), table.visible_count) == (11_000, 10_000)
        assert status(pilot).startswith("Done: 10000 shown, 1000 hidden")
        assert feed.done_too is True
        await pilot.press("1")  # back to All open: the done todos stay held
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
