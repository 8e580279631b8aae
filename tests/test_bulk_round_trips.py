"""A bulk action (done, delete, tags, due date), an undo of it and clear done: one statement
each, one round trip on the wire however many todos they touch (counted by the proxy of
todo_tui.testing; PostgreSQL only, by nature)."""

# ruff: noqa: F811 - the wire fixtures are imported from test_round_trips and named again
from __future__ import annotations

import pytest

from tests.pilot import fill, settle
from tests.test_round_trips import (  # noqa: F401 - the fixtures, used by name
    assert_sent,
    logged_in,
    one_action,
    table_of,
    through,
    wire,
)

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)


async def test_bulk_done_delete_and_their_undo_are_one_round_trip_each(
    database, through, wire, tmp_path
):
    titles = [f"todo {n}" for n in range(5)]
    async with logged_in(database, through(database), wire, tmp_path, *titles) as pilot:
        await pilot.press("home", "x", "x", "x", "x")
        await settle(pilot)
        assert len(table_of(pilot).marked) == 4
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("space")), "UPDATE todo")
        assert sum(t.is_completed for t in table_of(pilot).all_todos) == 4
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "UPDATE todo")
        assert sum(t.is_completed for t in table_of(pilot).all_todos) == 0
        await pilot.press("home", "x", "x", "x")

        async def delete() -> None:
            await pilot.press("d")
            await settle(pilot)
            await pilot.press("enter")

        assert_sent(await one_action(pilot, wire, delete), "DELETE todo")
        assert sum(table_of(pilot).counts) == 2
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "INSERT todo")
        assert sum(table_of(pilot).counts) == 5


async def test_clear_done_is_one_round_trip_and_so_is_its_undo(database, through, wire, tmp_path):
    titles = [f"todo {n}" for n in range(4)]
    async with logged_in(database, through(database), wire, tmp_path, *titles) as pilot:
        await pilot.press("home", "x", "x", "x", "space")  # three done in one action
        await settle(pilot)

        async def clear() -> None:
            await pilot.press("C")
            await settle(pilot)
            await pilot.press("enter")

        assert_sent(await one_action(pilot, wire, clear), "DELETE todo")
        assert sum(table_of(pilot).counts) == 1
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "INSERT todo")
        assert sum(table_of(pilot).counts) == 4


async def test_bulk_tags_and_due_dates_and_their_undo_are_one_round_trip_each(
    database, through, wire, tmp_path
):
    titles = [f"todo {n} due:{n + 1}_jan_2027" for n in range(4)]  # each its own due date
    async with logged_in(database, through(database), wire, tmp_path, *titles) as pilot:

        async def in_dialog(key: str, field: str, text: str) -> None:
            await pilot.press("home", "x", "x", "x", key)
            await settle(pilot)
            await fill(pilot, field, text)
            await pilot.press("enter")

        # The todos' own columns, the owner's new tags and the links: one statement.
        tagging = await one_action(pilot, wire, lambda: in_dialog("t", "#tag-edit", "a b"))
        assert_sent(tagging, "WITH todo")
        assert [t.tags for t in table_of(pilot).all_todos].count(("a", "b")) == 3
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "WITH todo")
        assert all(t.tags == () for t in table_of(pilot).all_todos)
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("U")), "WITH todo")
        dating = await one_action(pilot, wire, lambda: in_dialog("w", "#due-words", "fri"))
        assert_sent(dating, "UPDATE todo")
        assert len({t.due_date for t in table_of(pilot).all_todos}) == 2  # 3 on one day
        # Back to each todo's own due date, tags untouched: one UPDATE.
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "UPDATE todo")
        assert len({t.due_date for t in table_of(pilot).all_todos}) == 4


async def test_undoing_an_edit_of_tags_is_one_round_trip(database, through, wire, tmp_path):
    async with logged_in(database, through(database), wire, tmp_path, "todo") as pilot:
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#tags", "home work")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "WITH todo")
        assert table_of(pilot).all_todos[0].tags == ()
