"""A bulk action, an undo of it and clear done: one statement each, one round trip on the
wire however many todos they touch (counted by the proxy of todo_tui.testing; PostgreSQL
only, by nature)."""

# ruff: noqa: F811 - the wire fixtures are imported from test_round_trips and named again
from __future__ import annotations

import pytest

from tests.pilot import settle
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
