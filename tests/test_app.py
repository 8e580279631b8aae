"""App-wide conventions: the command palette offers every key, the theme is remembered."""

from __future__ import annotations

import pytest

from tests.pilot import add, log_in, make_app, register, screen_name, settle, stored
from todo_tui import auth
from todo_tui.widgets.todo_table import TodoTable

PASSWORD = "correct horse"


async def test_every_list_key_is_a_palette_command(database, tmp_path):
    with database.session() as session:
        auth.register(session, email="ann@example.com", password=PASSWORD, rounds=4)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "ann@example.com", PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        commands = {c.title: c.help for c in app.get_system_commands(app.screen)}
        for title, key in [
            ("Add", "a"),
            ("Edit", "e, ⏎"),
            ("Done", "space"),
            ("Delete", "d"),
            ("Undo", "u"),
            ("Search", "/"),
            ("View", "f"),
            ("Sort", "s"),
            ("Reload", "r"),
            ("Log out", "^l"),
        ]:
            assert commands[title].endswith(f"({key})"), (title, commands.get(title))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Quit") == 1  # the app's own Quit, not the q key a second time
        # A palette command runs the same action as its key.
        add = next(c for c in app.get_system_commands(app.screen) if c.title == "Add")
        add.callback()
        await pilot.pause()
        assert screen_name(pilot) == "TodoForm"


async def test_the_theme_is_remembered_between_runs(database, tmp_path):
    first = make_app(database.settings, tmp_path)
    async with first.run_test() as pilot:
        await settle(pilot)
        first.theme = "nord"
        await pilot.pause()
    second = make_app(database.settings, tmp_path)
    async with second.run_test() as pilot:
        await settle(pilot)
        assert second.theme == "nord"


@pytest.mark.parametrize("times", [2, 3])
async def test_a_double_or_triple_click_on_a_checkbox_marks_that_one_todo_done(
    database, tmp_path, times
):
    user = register(database)
    for title in ("first", "second", "third"):
        add(database, user, title)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, user.email, PASSWORD)
        assert await pilot.click(TodoTable, offset=(1, 1), times=times)
        await settle(pilot)
    assert {t.title: t.is_completed for t in stored(database, user)} == {
        "first": False,
        "second": True,
        "third": False,
    }


@pytest.mark.parametrize("times", [2, 3])
async def test_double_and_triple_click_on_a_todo_keep_the_app_running(database, tmp_path, times):
    user = register(database)
    for title in ("first", "second", "third"):
        add(database, user, title)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, user.email, PASSWORD)
        table = app.screen.query_one(TodoTable)
        assert await pilot.click(TodoTable, offset=(10, 1), times=times)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert table.cursor_todo is not None and table.cursor_todo.title == "second"
        await pilot.press("e")  # still answering: the edit form of the clicked todo
        await pilot.pause()
        assert screen_name(pilot) == "TodoForm"
        assert app.screen.todo is not None and app.screen.todo.title == "second"
