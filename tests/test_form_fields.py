"""The form's due date, priority and tags, and the quick-add title: what the user sees
before saving is what is stored and shown (a fixed clock: Friday 4 December 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from textual.widgets import Input, Select, Static

from tests.pilot import (
    EMAIL,
    PASSWORD,
    eventually,
    fill,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui import todos
from todo_tui.records import TodoDraft
from todo_tui.screens.todo_form import TodoForm

FRIDAY_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def shown(pilot, selector: str) -> str:
    widget = pilot.app.screen.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


async def open_form(pilot, key: str = "a") -> TodoForm:
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, TodoForm)
    return pilot.app.screen


async def test_quick_add_is_read_aloud_then_stored_and_shown_that_way(database, tmp_path):
    alice = register(database)
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await open_form(pilot)
        assert shown(pilot, "#quick-preview") == ""  # nothing typed: nothing to say
        await fill(pilot, "#title", "Pay rent due:tomorrow #home !high")
        assert shown(pilot, "#quick-preview") == "→ Pay rent · due Sat 5 Dec · high · #home"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    [todo] = stored(database, alice)
    assert (todo.title, todo.due_date, todo.due_time, todo.priority, todo.tags) == (
        "Pay rent",
        date(2026, 12, 5),
        None,
        3,
        ("home",),
    )


async def test_a_due_in_the_title_says_it_overrules_the_due_field(database, tmp_path):
    alice = register(database)
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await open_form(pilot)
        await fill(pilot, "#due", "next fri")
        assert shown(pilot, "#due-preview") == "→ Fri 11 Dec 2026"
        await fill(pilot, "#title", "Call mum due:tomorrow")
        assert shown(pilot, "#due-preview") == "→ Fri 11 Dec 2026 — not saved: the title's due: is"
        await pilot.press("ctrl+s")
        await settle(pilot)
    [todo] = stored(database, alice)
    assert (todo.title, todo.due_date) == ("Call mum", date(2026, 12, 5))


async def test_the_due_field_says_the_date_it_reads_or_why_not(database, tmp_path):
    alice = register(database)
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        form = await open_form(pilot)
        await fill(pilot, "#title", "Dentist")
        await fill(pilot, "#due", "next fri 9am")
        assert shown(pilot, "#due-preview") == "→ Fri 11 Dec 2026 09:00"
        await fill(pilot, "#due", "31 feb")
        assert shown(pilot, "#due-preview") == "'31 feb' is not a date on the calendar."
        # Words only dateparser reads: read in a worker, then said.
        await fill(pilot, "#due", "a fortnight from now")
        await eventually(
            pilot, lambda: shown(pilot, "#due-preview") == "→ Fri 18 Dec 2026", "the reading"
        )
        await fill(pilot, "#due", "the twelfth of never")
        await eventually(
            pilot, lambda: "is not a date todo-tui can read" in shown(pilot, "#due-preview"), "no"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoForm"  # refused, in one sentence, nothing lost
        assert "is not a date todo-tui can read" in shown(pilot, "#due-error")
        await fill(pilot, "#due", "fri 17:30")
        form.query_one("#priority", Select).value = "low"
        await fill(pilot, "#tags", "work #Calls")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    [todo] = stored(database, alice)
    assert (todo.due_date, todo.due_time, todo.priority, todo.tags) == (
        date(2026, 12, 4),
        time(17, 30),
        1,
        ("Calls", "work"),
    )


async def test_editing_shows_the_fields_and_completes_tags_from_the_users(database, tmp_path):
    alice = register(database)
    database.run(
        lambda s: todos.add_todo(
            s, owner_id=alice.id, draft=TodoDraft("Other", tags="Household garden")
        )
    )
    database.run(
        lambda s: todos.add_todo(
            s,
            owner_id=alice.id,
            draft=TodoDraft("Mow #not-a-tag", due="2026-12-24 08:00", priority="medium"),
        )
    )
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await pilot.press("down")  # "Mow …", the newest, is first; the other is second
        await pilot.press("up")
        form = await open_form(pilot, "e")
        assert form.query_one("#title", Input).value == "Mow #not-a-tag"
        assert form.query_one("#due", Input).value == "2026-12-24 08:00"
        assert shown(pilot, "#due-preview") == "→ Thu 24 Dec 2026 08:00"
        assert form.query_one("#priority", Select).value == "medium"
        assert shown(pilot, "#quick-preview") == ""  # an edit's title is only a title
        tags = form.query_one("#tags", Input)
        tags.focus()
        await pilot.press("h", "o")
        await eventually(pilot, lambda: tags._suggestion == "Household", "the suggestion")
        await pilot.press("right")  # accept it
        assert tags.value == "Household"
        await pilot.press(" ", "g")
        await eventually(pilot, lambda: tags._suggestion == "Household garden", "again")
        await pilot.press("right")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    mow = next(t for t in stored(database, alice) if t.title.startswith("Mow"))
    assert mow.due_date == date(2026, 12, 24)
    assert mow.tags == ("garden", "Household") and mow.version == 2
    assert mow.title == "Mow #not-a-tag"


async def test_a_save_while_the_date_is_being_read_waits_for_it(database, tmp_path):
    alice = register(database)
    app = make_app(database.settings, tmp_path, clock=lambda: FRIDAY_NOON)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await open_form(pilot)
        await fill(pilot, "#title", "Plumber due:5_days_from_now")
        await pilot.press("ctrl+s")  # at once: dateparser may still be reading
        await eventually(pilot, lambda: screen_name(pilot) == "TodoListScreen", "saved")
        await settle(pilot)
    [todo] = stored(database, alice)
    assert (todo.title, todo.due_date) == ("Plumber", date(2026, 12, 9))
