"""Keys people know on the list (j/k, g/G, Home/End, PgUp/PgDn), help on ? and F1, nothing
typed in a field running a key, and every key of the list in the footer or the help."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from textual.widgets import Footer

from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    fill,
    log_in,
    make_app,
    pending_calls,
    register,
    settle,
    stored,
)
from todo_tui import bindings


@contextlib.asynccontextmanager
async def listing(database, tmp_path, count: int, size=(100, 30)) -> AsyncIterator:
    user = register(database)
    for n in range(count):
        add(database, user, f"todo {n:02}")
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        yield pilot, user


def row_of_cursor(table) -> int:
    return table.visible_todos.index(table.cursor_todo)


async def test_cursor_keys(database, tmp_path):
    async with listing(database, tmp_path, 60) as (pilot, _):
        table = pilot.app.screen.table
        page = table.scrollable_content_region.height - 1
        for keys, row in [
            (["j", "j"], 2),
            (["k"], 1),
            (["down"], 2),
            (["up", "up", "up"], 0),
            (["G"], 59),
            (["g"], 0),
            (["end"], 59),
            (["home"], 0),
            (["pagedown"], page),
            (["pageup"], 0),
        ]:
            await pilot.press(*keys)
            assert row_of_cursor(table) == row, keys


async def test_letters_typed_in_the_search_run_no_key(database, tmp_path):
    async with listing(database, tmp_path, 3) as (pilot, user):
        await pilot.press("slash")
        await pilot.press(*"jkgGqadxuUsfC?1")
        await settle(pilot)
        app = pilot.app
        assert type(app.screen).__name__ == "TodoListScreen"  # no help, no form, no quit
        assert app.screen.query_one("#search").value == "jkgGqadxuUsfC?1"
        assert (app.screen.table.view, app.screen.table.sort_by) == ("all", "due")
        assert app.screen.table.marked == frozenset() and len(stored(database, user)) == 3


async def test_help_on_question_mark_and_f1_lists_every_screen(database, tmp_path):
    async with listing(database, tmp_path, 1) as (pilot, _):
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await settle(pilot)
            assert type(pilot.app.screen).__name__ == "HelpScreen"
            text = str(pilot.app.screen.query_one("#help-text").render())
            for group, title in bindings.GROUPS.items():
                assert title in text
                for binding in bindings.BY_GROUP[group]:
                    assert (binding.tooltip or binding.description) in text
            await pilot.press("escape")
            await settle(pilot)
            assert type(pilot.app.screen).__name__ == "TodoListScreen"


async def test_f1_opens_the_help_from_the_form_too(database, tmp_path):
    async with listing(database, tmp_path, 1) as (pilot, _):
        await pilot.press("a")
        await settle(pilot)
        await fill(pilot, "#title", "What? ")  # ? is a letter there
        await pilot.press("f1")
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "HelpScreen"


async def test_every_list_key_is_in_the_footer_or_the_help(database, tmp_path):
    async with listing(database, tmp_path, 1) as (pilot, _):
        screen = pilot.app.screen
        footer = {b.id for b in bindings.LIST if b.show}
        assert screen.query_one(Footer)
        await pilot.press("question_mark")
        await settle(pilot)
        text = str(pilot.app.screen.query_one("#help-text").render())
        for binding in bindings.LIST_TABLE + bindings.LIST:
            assert binding.id in footer or binding.tooltip in text, binding.id


def test_binding_ids_are_unique_and_named_after_their_group():
    ids = [b.id for _, b in bindings.all_bindings()]
    assert None not in ids
    assert len(ids) == len(set(ids))
    for group, binding in bindings.all_bindings():
        assert binding.id.startswith(f"{group}."), binding.id


async def test_a_view_switch_asks_nothing_of_the_database_and_sorts_once(database, tmp_path):
    async with listing(database, tmp_path, 30) as (pilot, _):
        table = pilot.app.screen.table
        for key, shown in [("3", 30), ("5", 0), ("6", 30), ("f", 0), ("4", 30)]:
            before = table.rebuild_count
            await pilot.press(key)
            assert pending_calls(pilot.app) == 0  # nothing sent: the todos are all held
            assert table.rebuild_count == before + 1
            assert table.visible_count == shown


async def test_shift_arrows_mark_as_they_go(database, tmp_path):
    async with listing(database, tmp_path, 4) as (pilot, _):
        table = pilot.app.screen.table
        await pilot.press("shift+down", "shift+down", "shift+up")
        assert row_of_cursor(table) == 1
        assert table.marked == {todo.id for todo in table.visible_todos[:3]}
        await pilot.press("shift+down")  # the second again: unmarked
        assert table.marked == {table.visible_todos[0].id, table.visible_todos[2].id}
