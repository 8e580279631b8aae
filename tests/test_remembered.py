"""The view, sort and theme are remembered per account on this computer, across a
relaunch; and the details of the selected todo, beside the list or as a panel."""

from __future__ import annotations

import json
import threading

from tests.pilot import PASSWORD, add, eventually, log_in, make_app, settle
from todo_tui import auth, preferences


def two_accounts(database):
    with database.session() as session:
        ann = auth.register(session, email="ann@example.com", password=PASSWORD, rounds=4)
        bob = auth.register(session, email="bob@example.com", password=PASSWORD, rounds=4)
    return ann, bob


async def logged_in_as(pilot, email: str) -> None:
    """Logged in as `email`: a kept session may have opened someone's list already."""
    await settle(pilot)
    screen = pilot.app.screen
    if type(screen).__name__ == "TodoListScreen":
        if screen.user.email == email:
            return
        await pilot.press("ctrl+l")
        await settle(pilot)
    await log_in(pilot, email, PASSWORD)


async def run(database, config_dir, email, *keys, size=(100, 30)):
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=size) as pilot:
        await logged_in_as(pilot, email)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        table = app.screen.table
        return table.view, table.sort_by, app.theme


async def test_view_sort_and_theme_are_remembered_per_account(database, tmp_path):
    ann, _ = two_accounts(database)
    add(database, ann, "Buy milk")
    await run(database, tmp_path, "ann@example.com", "5", "s", "s")  # due, priority, newest
    app = make_app(database.settings, tmp_path)
    async with app.run_test() as pilot:  # ann again, changing her theme while logged in
        await logged_in_as(pilot, "ann@example.com")
        app.theme = "nord"
        await pilot.pause()
    assert await run(database, tmp_path, "ann@example.com") == ("done", "newest", "nord")
    # Bob's list has his own (the usual ones); his theme change does not touch Ann's.
    app = make_app(database.settings, tmp_path)
    async with app.run_test() as pilot:
        await logged_in_as(pilot, "bob@example.com")
        assert (app.screen.table.view, app.screen.table.sort_by) == ("all", "due")
        app.theme = "gruvbox"
        await pilot.pause()
    assert await run(database, tmp_path, "ann@example.com") == ("done", "newest", "nord")
    assert (await run(database, tmp_path, "bob@example.com"))[2] == "gruvbox"


async def test_the_preferences_file_names_accounts_by_a_hash(database, tmp_path):
    two_accounts(database)
    await run(database, tmp_path, "ann@example.com", "3")
    text = (tmp_path / preferences.FILE_NAME).read_text()
    accounts = json.loads(text)["accounts"]
    assert list(accounts.values()) == [{"view": "open"}]
    assert not any("ann@" in key or "sqlite" in key for key in accounts)  # a hash and an id
    assert (tmp_path / preferences.FILE_NAME).stat().st_mode & 0o777 == 0o600


def test_a_damaged_preferences_file_is_the_defaults(tmp_path):
    (tmp_path / preferences.FILE_NAME).write_text('{"accounts": 3, "theme": "nord"}')
    assert preferences.load_account(tmp_path, "x") == {}
    preferences.save_account(tmp_path, "x", view="done")
    assert preferences.load_account(tmp_path, "x") == {"view": "done"}
    assert preferences.load(tmp_path) == {"theme": "nord"}


async def test_the_details_pane_shows_the_selected_todo_whole(database, tmp_path):
    ann, _ = two_accounts(database)
    add(database, ann, "older")
    database.run(
        lambda s: __import__("todo_tui.todos").todos.add_todo(
            s, owner_id=ann.id, title="[b]Plan[/b]", description="line one\n[red]two[/]\n\nfour"
        )
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "ann@example.com", PASSWORD)
        details = app.screen.query_one("#details")
        assert details.display
        await eventually(pilot, lambda: details.shown is not None, "the pane follows the cursor")
        text = str(details.query_one("#details-text").render())
        assert "line one\n[red]two[/]\n\nfour" in text  # literal, every line
        assert text.startswith("[b]Plan[/b]")
        await pilot.press("j")
        await eventually(
            pilot, lambda: details.shown.title == "older", "the pane follows the cursor"
        )
        assert str(details.query_one("#details-text").render()).startswith("older")
        await pilot.press("i")  # hides the pane, and brings it back
        assert not details.display
        await pilot.press("i")
        assert details.display


async def test_on_a_narrow_terminal_a_key_opens_the_details_as_a_panel(database, tmp_path):
    ann, _ = two_accounts(database)
    add(database, ann, "Buy milk")
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await log_in(pilot, "ann@example.com", PASSWORD)
        assert not app.screen.query_one("#details").display
        await pilot.press("i")
        await settle(pilot)
        assert type(app.screen).__name__ == "DetailsPanel"
        details = app.screen.query_one("#details")
        await eventually(pilot, lambda: details.shown is not None, "the panel shows the todo")
        assert "Buy milk" in str(details.query_one("#details-text").render())
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "TodoListScreen"


def test_saves_from_two_threads_at_once_keep_what_each_saved(tmp_path) -> None:
    """The log-in screen's remembered email and the list's view are saved from different
    threads: neither may drop what the other wrote."""

    def emails() -> None:
        for n in range(150):
            preferences.save(tmp_path, **{f"email-{n}": "ann@example.com"})

    def views() -> None:
        for n in range(150):
            preferences.save_account(tmp_path, "account", **{f"view-{n}": "done"})

    threads = [threading.Thread(target=emails), threading.Thread(target=views)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = preferences.load(tmp_path)
    assert sorted(k for k in saved if k.startswith("email-")) == sorted(
        f"email-{n}" for n in range(150)
    )
    assert len(preferences.load_account(tmp_path, "account")) == 150
