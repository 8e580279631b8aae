"""Undo and redo on the list: add, edit, done, delete, bulk and clear done, each step
version-checked like any write (one changed elsewhere asks first), on both databases."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tests.pilot import EMAIL, PASSWORD, add, fill, log_in, make_app, register, settle, stored
from todo_tui import bulk, history, todos
from todo_tui.records import TodoRecord


@contextlib.asynccontextmanager
async def listing(database, tmp_path, *titles: str) -> AsyncIterator:
    user = register(database)
    for title in titles:
        add(database, user, title)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        yield pilot, user


def shown(pilot) -> list[tuple[str, bool]]:
    return [(t.title, t.is_completed) for t in pilot.app.screen.table.visible_todos]


def in_database(database, user) -> list[tuple[str, bool]]:
    return sorted((t.title, t.is_completed) for t in stored(database, user))


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_add_edit_toggle_delete_undone_and_redone(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, user):
        await press(pilot, "a")
        await fill(pilot, "#title", "Call mum")
        await press(pilot, "enter")
        await press(pilot, "e")
        await fill(pilot, "#title", "Call mum back")
        await press(pilot, "ctrl+s")
        await press(pilot, "space")
        await press(pilot, "d", "enter")
        after_all = [("Buy milk", False)]
        assert in_database(database, user) == after_all
        steps = [
            [("Buy milk", False), ("Call mum back", True)],  # the delete undone
            [("Buy milk", False), ("Call mum back", False)],  # the done
            [("Buy milk", False), ("Call mum", False)],  # the edit
            [("Buy milk", False)],  # the add
        ]
        for expected in steps:
            await press(pilot, "u")
            assert in_database(database, user) == expected
            assert sorted(shown(pilot)) == expected
        await press(pilot, "u")
        assert "Nothing to undo." in [n.message for n in pilot.app._notifications]
        for expected in [*reversed(steps[:-1]), after_all]:
            await press(pilot, "U")
            assert in_database(database, user) == expected
        await press(pilot, "ctrl+r")
        assert "Nothing to redo." in [n.message for n in pilot.app._notifications]


async def test_a_new_change_clears_what_could_be_redone(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, _user):
        await press(pilot, "space", "u")
        assert pilot.app.screen.history.redo_count == 1
        await press(pilot, "space")
        assert pilot.app.screen.history.redo_count == 0


async def test_fifty_steps_back_and_forth(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, user):
        for _ in range(51):
            await pilot.press("space")
        await settle(pilot)
        assert in_database(database, user) == [("Buy milk", True)]
        assert len(pilot.app.screen.history) == 51
        for _ in range(51):
            await press(pilot, "u")
        assert in_database(database, user) == [("Buy milk", False)]
        assert len(pilot.app.screen.history) == 0
        for _ in range(50):
            await press(pilot, "U")
        assert in_database(database, user) == [("Buy milk", False)]  # 50: an even count
        version = stored(database, user)[0].version
        assert version == 1 + 51 + 51 + 50  # each step one write


async def test_an_undo_of_a_todo_changed_elsewhere_asks_and_no_leaves_it(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, user):
        await press(pilot, "e")
        await fill(pilot, "#title", "Buy oat milk")
        await press(pilot, "ctrl+s")
        mine = stored(database, user)[0]
        database.run(
            lambda s: todos.update_todo(
                s, owner_id=user.id, todo_id=mine.id, version=mine.version, title="Theirs"
            )
        )
        await press(pilot, "u")
        assert type(pilot.app.screen).__name__ == "ConfirmDialog"
        assert "changed in another terminal since. Undo anyway?" in str(
            pilot.app.screen.query_one("#confirm-question").render()
        )
        await press(pilot, "escape")
        assert in_database(database, user) == [("Theirs", False)]  # never overwritten unasked
        assert shown(pilot) == [("Theirs", False)]


async def test_an_undo_of_a_todo_changed_elsewhere_asks_and_yes_undoes(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, user):
        await press(pilot, "space")
        mine = stored(database, user)[0]
        database.run(
            lambda s: todos.update_todo(
                s, owner_id=user.id, todo_id=mine.id, version=mine.version, title="Theirs"
            )
        )
        await press(pilot, "u")
        await press(pilot, "enter")
        # The step puts back what it changed, over what the other terminal made.
        assert in_database(database, user) == [("Buy milk", False)]


async def test_an_undone_delete_of_a_todo_added_back_elsewhere_is_not_doubled(database, tmp_path):
    async with listing(database, tmp_path, "Buy milk") as (pilot, user):
        await press(pilot, "d", "enter")
        await press(pilot, "u", "U", "u")
        assert in_database(database, user) == [("Buy milk", False)]
        assert len(stored(database, user)) == 1


async def test_marked_todos_done_and_deleted_in_one_step(database, tmp_path):
    async with listing(database, tmp_path, "one", "two", "three") as (pilot, user):
        await press(pilot, "x", "x")  # three, two (newest first); the cursor moves on
        assert pilot.app.screen.table.marked == {t.id for t in stored(database, user)[1:]}
        await press(pilot, "space")
        assert in_database(database, user) == [("one", False), ("three", True), ("two", True)]
        assert pilot.app.screen.table.marked == frozenset()  # the marks go with the action
        await press(pilot, "u")  # one step for both
        assert in_database(database, user) == [("one", False), ("three", False), ("two", False)]
        await press(pilot, "home", "x", "x", "d")
        assert "Delete the 2 marked todos?" in str(
            pilot.app.screen.query_one("#confirm-question").render()
        )
        await press(pilot, "enter")
        assert in_database(database, user) == [("one", False)]
        await press(pilot, "u")
        assert len(stored(database, user)) == 3


async def test_escape_clears_the_marks(database, tmp_path):
    async with listing(database, tmp_path, "one", "two") as (pilot, _user):
        await press(pilot, "x")
        assert len(pilot.app.screen.table.marked) == 1
        await press(pilot, "escape")
        assert pilot.app.screen.table.marked == frozenset()


async def test_clear_done_and_its_undo(database, tmp_path):
    async with listing(database, tmp_path, "one", "two", "three") as (pilot, user):
        await press(pilot, "x", "x", "space")  # two done (they go after the open one)
        await press(pilot, "C")
        await press(pilot, "enter")
        assert in_database(database, user) == [("one", False)]
        assert any("Cleared 2 done" in n.message for n in pilot.app._notifications)
        await press(pilot, "u")
        assert len(stored(database, user)) == 3


def test_a_bulk_change_of_todos_changed_elsewhere_leaves_them(database):
    user = register(database)
    a, b = (add(database, user, title) for title in ("a", "b"))
    changed = database.run(
        lambda s: todos.update_todo(s, owner_id=user.id, todo_id=b.id, version=1, title="b2")
    )

    def done(todo: TodoRecord) -> history.Change:
        return history.Change(todo, TodoRecord(**{**_fields(todo), "is_completed": True}))

    applied = database.run(lambda s: bulk.apply(s, owner_id=user.id, changes=[done(a), done(b)]))
    assert [now.title for _, now in applied.done] == ["a"]
    assert [(c.todo_id, now) for c, now in applied.conflicts] == [(b.id, changed)]
    # The same change again (a retry whose first reply was lost): found landed, not redone.
    again = database.run(lambda s: bulk.apply(s, owner_id=user.id, changes=[done(a)]))
    assert [now.version for _, now in again.done] == [2] and again.conflicts == []
    assert {t.title: t.version for t in stored(database, user)} == {"a": 2, "b2": 2}


def _fields(todo: TodoRecord) -> dict:
    return {name: getattr(todo, name) for name in todo.__slots__}


async def test_undo_pressed_quickly_takes_the_steps_one_after_the_other(database, tmp_path):
    async with listing(database, tmp_path, "one", "two", "three") as (pilot, user):
        await press(pilot, "space", "g", "space", "g", "space")  # done ones go to the end
        assert all(done for _, done in in_database(database, user))
        await pilot.press("u", "u", "u")  # no settling in between
        await settle(pilot)
        assert not any(done for _, done in in_database(database, user))
        assert len(pilot.app.screen.history) == 0 and pilot.app.screen.history.redo_count == 3
