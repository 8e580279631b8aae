"""Tags and due dates of the selected or marked todos in one action (`t`, `w`), each one
step of the undo history; and undo restoring the tags and dates of an edit. On both
databases, with a fixed clock: Friday 4 December 2026."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time

from textual.widgets import Input, Static

from tests.pilot import (
    EMAIL,
    PASSWORD,
    eventually,
    fill,
    log_in,
    make_app,
    notices,
    register,
    screen_name,
    settle,
    stored,
)
from tests.test_undo import press
from todo_tui import bulk, dates, history, todos
from todo_tui.records import TodoDraft
from todo_tui.widgets.todo_table import TodoTable

FRIDAY_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def listing(database, tmp_path, *drafts: TodoDraft) -> AsyncIterator:
    """Alice's list holding `drafts` (the last one added first in the list), logged in."""
    user = register(database)
    for draft in drafts:
        database.run(lambda s, d=draft: todos.add_todo(s, owner_id=user.id, draft=d))
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        yield pilot, user


def tags_of(database, user) -> dict[str, tuple[str, ...]]:
    return {t.title: t.tags for t in stored(database, user)}


def dues_of(database, user) -> dict[str, tuple[date | None, time | None]]:
    return {t.title: (t.due_date, t.due_time) for t in stored(database, user)}


def shown(pilot, selector: str) -> str:
    widget = pilot.app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


async def mark(pilot, titles: set[str]) -> None:
    """Mark the todos of these titles (the list's order does not matter)."""
    table = pilot.app.screen.table
    for todo in table.visible_todos:
        if todo.title in titles:
            table.move_cursor_to(todo.id)
            await press(pilot, "x")
    assert {t.title for t in table.all_todos if t.id in table.marked} == titles


async def tag(pilot, text: str) -> None:
    await press(pilot, "t")
    assert screen_name(pilot) == "TagsDialog"
    await fill(pilot, "#tag-edit", text)
    await press(pilot, "enter")


async def test_tags_added_and_removed_on_three_marked_todos_undone_and_redone(database, tmp_path):
    drafts = [
        TodoDraft("a", tags="home"),
        TodoDraft("b", tags="Home work"),
        TodoDraft("c"),
        TodoDraft("d", tags="home"),  # not marked: left alone
    ]
    async with listing(database, tmp_path, *drafts) as (pilot, user):
        before = tags_of(database, user)
        await mark(pilot, {"a", "b", "c"})
        await press(pilot, "t")
        field = pilot.app.screen.query_one("#tag-edit", Input)
        field.focus()
        await pilot.press("-", "w")
        await eventually(pilot, lambda: field._suggestion == "-work", "the completion")
        await fill(pilot, "#tag-edit", "Calls #errands -HOME")
        await press(pilot, "enter")
        after = {
            "a": ("Calls", "errands"),
            "b": ("Calls", "errands", "work"),
            "c": ("Calls", "errands"),
            "d": ("home",),
        }
        assert tags_of(database, user) == after
        assert {t.title: t.tags for t in pilot.app.screen.table.all_todos} == after
        assert pilot.app.screen.table.marked == frozenset()
        await press(pilot, "u")  # one step for the three
        assert tags_of(database, user) == before
        assert {t.title: t.tags for t in pilot.app.screen.table.all_todos} == before
        assert "Undone: tags." in notices(pilot.app)
        await press(pilot, "U")
        assert tags_of(database, user) == after
        await press(pilot, "u")
        assert tags_of(database, user) == before


async def test_the_selected_todo_is_tagged_when_none_is_marked(database, tmp_path):
    async with listing(database, tmp_path, TodoDraft("a"), TodoDraft("b")) as (pilot, user):
        await tag(pilot, "work")  # the cursor is on b, the newest
        assert tags_of(database, user) == {"a": (), "b": ("work",)}
        await tag(pilot, "work")
        assert "Those tags were already so." in notices(pilot.app)
        await press(pilot, "escape")  # the notice does not take the key: the list is there
        await tag(pilot, "-work")
        assert tags_of(database, user) == {"a": (), "b": ()}
        assert len(pilot.app.screen.history) == 2


async def test_a_tag_that_cannot_be_one_is_refused_in_one_literal_sentence(database, tmp_path):
    async with listing(database, tmp_path, TodoDraft("a")) as (pilot, user):
        await tag(pilot, "[b]bad[/b]#x")
        assert screen_name(pilot) == "TagsDialog"  # kept open, the text as typed
        refused = "The tag '[b]bad[/b]#x' cannot contain '#' or ','."
        assert shown(pilot, "#tag-edit-error") == refused
        await fill(pilot, "#tag-edit", "ok -ok")
        await press(pilot, "enter")
        assert "cannot be both added and removed" in shown(pilot, "#tag-edit-error")
        await fill(pilot, "#tag-edit", "[red]x[/]")
        await press(pilot, "enter")
        assert screen_name(pilot) == "TodoListScreen"
        assert tags_of(database, user) == {"a": ("[red]x[/]",)}
        table = pilot.app.screen.query_one(TodoTable)
        assert "#[red]x[/]" in table.render_line(0).text


async def test_due_dates_set_then_cleared_on_marked_todos_and_undone(database, tmp_path):
    drafts = [
        TodoDraft("a", due="2026-12-10"),
        TodoDraft("b"),
        TodoDraft("c", due="2026-12-24 08:00"),
    ]
    async with listing(database, tmp_path, *drafts) as (pilot, user):
        before = dues_of(database, user)
        await mark(pilot, {"a", "b", "c"})
        await press(pilot, "w")
        assert screen_name(pilot) == "DueDialog"
        await fill(pilot, "#due-words", "31 feb")
        assert shown(pilot, "#due-preview") == "'31 feb' is not a date on the calendar."
        await press(pilot, "enter")
        assert screen_name(pilot) == "DueDialog"  # the preview says why: nothing applied
        await fill(pilot, "#due-words", "next fri 9am")
        assert shown(pilot, "#due-preview") == "→ Fri 11 Dec 2026 09:00"
        await press(pilot, "enter")
        friday = (date(2026, 12, 11), time(9))
        assert dues_of(database, user) == {"a": friday, "b": friday, "c": friday}
        await press(pilot, "u")  # each its own date back, in one step
        assert dues_of(database, user) == before
        await mark(pilot, {"a", "c"})
        await press(pilot, "w")
        await fill(pilot, "#due-words", "")
        assert shown(pilot, "#due-preview") == "→ no due date"
        await press(pilot, "enter")
        assert dues_of(database, user) == {"a": (None, None), "b": (None, None), "c": (None, None)}
        await press(pilot, "u")
        assert dues_of(database, user) == before
        await press(pilot, "U")
        assert dues_of(database, user) == {"a": (None, None), "b": (None, None), "c": (None, None)}


async def test_the_due_dialog_reads_other_words_in_a_worker_never_on_the_ui_thread(
    database, tmp_path, monkeypatch
):
    threads: dict[str, threading.Thread] = {}  # words dateparser read -> on which thread
    read_with_parser = dates._read_with_parser

    def recorded(words: str, today: date):
        threads[words] = threading.current_thread()
        return read_with_parser(words, today)

    monkeypatch.setattr(dates, "_read_with_parser", recorded)
    async with listing(database, tmp_path, TodoDraft("a")) as (pilot, user):
        await press(pilot, "w")
        await fill(pilot, "#due-words", "[red]soon[/]")
        await eventually(
            pilot, lambda: "is not a date todo-tui can read" in shown(pilot, "#due-preview"), "no"
        )
        assert shown(pilot, "#due-preview") == "'[red]soon[/]' is not a date todo-tui can read."
        await fill(pilot, "#due-words", "a fortnight from now")
        await pilot.press("enter")  # at once: applied when the reading comes
        await eventually(pilot, lambda: screen_name(pilot) == "TodoListScreen", "applied")
        await settle(pilot)
        assert dues_of(database, user) == {"a": (date(2026, 12, 18), None)}
    assert set(threads) == {"[red]soon[/]", "a fortnight from now"}
    assert threading.main_thread() not in threads.values()


async def test_a_todo_changed_elsewhere_is_left_as_it_is_and_its_undo_asks(database, tmp_path):
    drafts = [TodoDraft("a"), TodoDraft("b"), TodoDraft("c")]
    async with listing(database, tmp_path, *drafts) as (pilot, user):
        await mark(pilot, {"a", "b", "c"})
        # The list must not hear of the change before the tagging meets it.
        pilot.app.screen.feed.stop()
        b = next(t for t in stored(database, user) if t.title == "b")
        database.run(
            lambda s: todos.update_todo(s, owner_id=user.id, todo_id=b.id, version=1, title="b2")
        )
        await tag(pilot, "work")
        assert tags_of(database, user) == {"a": ("work",), "b2": (), "c": ("work",)}
        left = "One of these todos changed in another terminal and was left as it is."
        assert left in notices(pilot.app)
        assert {t.title for t in pilot.app.screen.table.all_todos} == {"a", "b2", "c"}
        a = next(t for t in stored(database, user) if t.title == "a")
        database.run(
            lambda s: todos.update_todo(
                s, owner_id=user.id, todo_id=a.id, version=a.version, draft=TodoDraft("a2")
            )
        )
        await press(pilot, "u")
        assert screen_name(pilot) == "ConfirmDialog"
        await press(pilot, "escape")  # leave it: a2 keeps what it has, c is undone
        assert tags_of(database, user) == {"a2": (), "b2": (), "c": ()}
        assert stored(database, user)[0].title == "a2"


async def test_undoing_an_edit_brings_back_its_tags_and_due_date(database, tmp_path):
    draft = TodoDraft("Mow", due="2026-12-10", tags="garden Home")
    async with listing(database, tmp_path, draft) as (pilot, user):
        await press(pilot, "e")
        await fill(pilot, "#tags", "work")
        await fill(pilot, "#due", "fri 17:30")
        await press(pilot, "ctrl+s")
        [edited] = stored(database, user)
        assert (edited.tags, edited.due_date, edited.due_time) == (
            ("work",),
            date(2026, 12, 4),
            time(17, 30),
        )
        await press(pilot, "u")
        [undone] = stored(database, user)
        assert (undone.tags, undone.due_date, undone.due_time) == (
            ("garden", "Home"),
            date(2026, 12, 10),
            None,
        )
        assert pilot.app.screen.table.all_todos[0].tags == ("garden", "Home")
        await press(pilot, "U")
        assert stored(database, user)[0].tags == ("work",)


def test_a_retried_change_of_tags_is_found_landed_whatever_their_case(database):
    """The owner's tag keeps its spelling ("Work"): the change that asked for "work" is found
    to have landed, not taken for a conflict."""
    user = register(database)
    database.run(lambda s: todos.add_todo(s, owner_id=user.id, draft=TodoDraft("x", tags="Work")))
    todo = database.run(lambda s: todos.add_todo(s, owner_id=user.id, draft=TodoDraft("y")))
    change = history.Change(todo, replace(todo, tags=("work",)))
    applied = database.run(lambda s: bulk.apply(s, owner_id=user.id, changes=[change]))
    assert [now.tags for _, now in applied.done] == [("Work",)]
    again = database.run(lambda s: bulk.apply(s, owner_id=user.id, changes=[change]))
    assert [now.version for _, now in again.done] == [2] and again.conflicts == []
