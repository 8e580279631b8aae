"""Tags and due dates across terminals, on both databases: a tag added or a due date moved
in another terminal shows like any change, and two terminals tagging one todo differently
meet the conflict dialog with both sides in full, never a silent merge.

Another terminal is simulated with the services on the same database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import Static

from tests.feeds import LATENCY, logged_in, table_of
from tests.pilot import eventually, fill, register, screen_name, settle, stored
from todo_tui import todos
from todo_tui.db import Database
from todo_tui.records import TodoDraft


def other_terminal_saves(database: Database, owner_id: int, todo, draft: TodoDraft):
    return database.run(
        lambda s: todos.update_todo(
            s, owner_id=owner_id, todo_id=todo.id, version=todo.version, draft=draft
        )
    )


async def test_a_tag_added_and_a_due_date_moved_elsewhere_show_here(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    todo = database.run(
        lambda s: todos.add_todo(s, owner_id=alice.id, draft=TodoDraft("Pay rent", tags="home"))
    )
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        assert table.get(todo.id).tags == ("home",)
        tagged = other_terminal_saves(
            database, alice.id, todo, TodoDraft("Pay rent", tags="home money")
        )
        latency = await eventually(
            pilot, lambda: table.get(todo.id).tags == ("home", "money"), "the new tag shown"
        )
        assert latency <= LATENCY
        other_terminal_saves(
            database,
            alice.id,
            tagged,
            TodoDraft("Pay rent", due="2026-12-24", priority="high", tags="home money"),
        )
        await eventually(
            pilot, lambda: table.get(todo.id).due_date == date(2026, 12, 24), "the due date"
        )
        assert table.get(todo.id).priority == 3
        assert table.get(todo.id).version == todo.version + 2


async def test_two_terminals_tagging_one_todo_differently_get_the_conflict_dialog(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    todo = database.run(
        lambda s: todos.add_todo(s, owner_id=alice.id, draft=TodoDraft("Pay rent", tags="home"))
    )
    async with logged_in(database.settings, tmp_path) as pilot:
        await pilot.press("e")
        await settle(pilot)
        assert screen_name(pilot) == "TodoForm"
        await fill(pilot, "#tags", "home urgent")
        # Meanwhile, the other terminal tags it otherwise (the title stays the same).
        other_terminal_saves(database, alice.id, todo, TodoDraft("Pay rent", tags="home bills"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "ConflictDialog"
        mine = str(pilot.app.screen.query_one("#conflict-mine", Static).render())
        theirs = str(pilot.app.screen.query_one("#conflict-theirs", Static).render())
        assert "Tags: #home #urgent" in mine
        assert mine.startswith("[not done] Pay rent") and theirs.startswith("[not done] Pay rent")
        assert "Tags: #bills #home" in theirs
        await pilot.press("k")  # keep mine
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    [saved] = stored(database, alice)
    assert saved.tags == ("home", "urgent") and saved.version == todo.version + 2


async def test_take_theirs_keeps_their_tags_and_drops_mine(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    todo = database.run(
        lambda s: todos.add_todo(s, owner_id=alice.id, draft=TodoDraft("Pay rent", tags="home"))
    )
    async with logged_in(database.settings, tmp_path) as pilot:
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#due", "tomorrow")
        other_terminal_saves(database, alice.id, todo, TodoDraft("Pay rent", tags="bills"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "ConflictDialog"
        await pilot.press("t")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert table_of(pilot).get(todo.id).tags == ("bills",)
        assert table_of(pilot).get(todo.id).due_date is None
    [saved] = stored(database, alice)
    assert saved.tags == ("bills",) and saved.due_date is None
