"""The whole journey through the app, on SQLite and PostgreSQL, from a fresh database.

And once more on a PostgreSQL that, like Neon, accepts only TLS and SCRAM-SHA-256, through
a URL shaped exactly like Neon's (tests/servers.py): `?sslmode=require&channel_binding=
require` and a password that needs percent-encoding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from textual.widgets import Input, TextArea

from tests.conftest import DIALECTS, DatabaseFactory
from tests.pilot import create_account, fill, log_in, make_app, screen_name, settle
from tests.servers import ServerDatabases
from todo_tui import auth, todos
from todo_tui.db import Database
from todo_tui.schema import SchemaState, schema_status
from todo_tui.widgets.todo_table import TodoTable

PASSWORD = "correct horse"
NEON_LIKE = "postgresql-tls-scram"


@pytest.fixture(scope="module", params=(*DIALECTS, NEON_LIKE))
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def databases(
    dialect: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[DatabaseFactory | ServerDatabases]:
    if dialect == NEON_LIKE:
        factory = ServerDatabases(request.getfixturevalue("tls_server"))
    else:
        factory = DatabaseFactory(dialect, tmp_path_factory.mktemp(dialect))
    yield factory
    factory.close()


def test_the_neon_like_journeys_use_a_neon_shaped_url(tls_databases: ServerDatabases) -> None:
    url = tls_databases.new_url()
    assert url.endswith("?sslmode=require&channel_binding=require")
    assert "%40" in url and "%3A" in url and "%2F" in url  # the password is percent-encoded
    database = Database(tls_databases.settings(url))
    try:
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW ssl").scalar() == "on"
    finally:
        database.dispose()


def titles(pilot) -> list[str]:
    return [todo.title for todo in pilot.app.screen.query_one(TodoTable).visible_todos]


async def test_whole_journey(databases, tmp_path):
    database = databases.empty()
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        if database.dialect == "postgresql":
            # An existing empty database: the upgrade offer, with Create tables focused.
            assert screen_name(pilot) == "SchemaDialog"
            assert app.focused.id == "upgrade"
            await pilot.press("enter")
            await settle(pilot)
        # A SQLite file the app itself made gets its tables without being asked.
        assert screen_name(pilot) == "LoginScreen"
        assert schema_status(database).state is SchemaState.UP_TO_DATE

        await create_account(pilot, " Alice@Example.com ", PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        assert "No todos yet" in pilot.app.screen.query_one(TodoTable).render_line(0).text

        # add
        for title in ("Buy milk", "Write report", "Call mum"):
            await pilot.press("a")
            await fill(pilot, "#title", title)
            await pilot.press("enter")
            await settle(pilot)
        assert titles(pilot) == ["Call mum", "Write report", "Buy milk"]

        # edit the one under the cursor (the newest was just added and is selected)
        table = app.screen.query_one(TodoTable)
        table.move_cursor_to(table_id(table, "Write report"))
        await pilot.press("e")
        await pilot.pause()
        await fill(pilot, "#title", "Write the report")
        app.screen.query_one("#description", TextArea).text = "Quarterly\nfigures"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert titles(pilot) == ["Call mum", "Write the report", "Buy milk"]
        assert table.cursor_todo.title == "Write the report"

        # toggle: in the view of every todo, the cursor stays on the same todo
        await pilot.press("6")
        await pilot.press("space")
        await settle(pilot)
        assert table.cursor_todo.title == "Write the report"
        assert table.cursor_todo.is_completed
        assert table.counts == (2, 1)

        # search: case-insensitive, title and description; Escape clears
        await pilot.press("slash")
        await pilot.press(*"FIGURES")
        await pilot.pause()
        assert titles(pilot) == ["Write the report"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(titles(pilot)) == 3

        # views: all open, done, all
        await pilot.press("3")
        assert titles(pilot) == ["Call mum", "Buy milk"]
        await pilot.press("5")
        assert titles(pilot) == ["Write the report"]
        await pilot.press("6")
        assert len(titles(pilot)) == 3

        # delete with confirmation, then undo
        table.move_cursor_to(table_id(table, "Buy milk"))
        await pilot.press("d")
        await pilot.pause()
        assert screen_name(pilot) == "ConfirmDialog"
        await pilot.press("enter")
        await settle(pilot)
        assert titles(pilot) == ["Call mum", "Write the report"]
        await pilot.press("u")
        await settle(pilot)
        assert titles(pilot) == ["Call mum", "Buy milk", "Write the report"]  # done last

        # log out, log in again (any letter case), the same todos
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert screen_name(pilot) == "LoginScreen"
        await log_in(pilot, "ALICE@example.COM", PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        table = app.screen.query_one(TodoTable)
        assert titles(pilot) == ["Call mum", "Buy milk", "Write the report"]
        assert table.get(table_id(table, "Write the report")).description == "Quarterly\nfigures"
        assert table.counts == (2, 1)

    # What the app showed is what the database holds.
    with database.session() as session:
        user = auth.authenticate(session, email="alice@example.com", password=PASSWORD, rounds=4)
        stored = {t.title: t.is_completed for t in todos.list_todos(session, owner_id=user.id)}
    assert stored == {"Buy milk": False, "Write the report": True, "Call mum": False}


def table_id(table: TodoTable, title: str) -> int:
    return next(todo.id for todo in table.visible_todos if todo.title == title)


async def test_ahead_database_is_refused_and_untouched(databases, tmp_path):
    database = databases.migrated()
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE todo_tui_alembic_version SET version_num = 'ffff9999'")
    before = _dump(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        dialog = app.screen
        assert not dialog.query("#upgrade")  # Quit only
        assert "newer todo-tui (revision ffff9999)" in str(
            dialog.query_one("#schema-summary").render()
        )
        await pilot.press("enter")  # the focused Quit
        await pilot.pause()
    assert app.return_code == 0
    assert _dump(database) == before


async def test_second_user_never_sees_first_users_todos(database, tmp_path):
    with database.session() as session:
        alice = auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
        todos.add_todo(session, owner_id=alice.id, title="Alice's secret")
        auth.register(session, email="bob@example.com", password=PASSWORD, rounds=4)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "bob@example.com", PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        assert titles(pilot) == []
        await pilot.press("r")
        await settle(pilot)
        assert titles(pilot) == []


async def test_wrong_password_and_unknown_email_read_the_same(database, tmp_path):
    with database.session() as session:
        auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        messages = []
        for email, password in [("alice@example.com", "wrong pass"), ("nobody@x.org", PASSWORD)]:
            await log_in(pilot, email, password)
            assert screen_name(pilot) == "LoginScreen"
            messages.append(str(app.screen.query_one("#password-error").render()))
        assert messages[0] == messages[1] == "Wrong email or password."
        # The password field keeps the typed password; nothing is lost.
        assert app.screen.query_one("#password", Input).value == PASSWORD


def _dump(database) -> dict[str, list]:
    with database.engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        return {
            name: sorted(map(tuple, connection.exec_driver_sql(f'SELECT * FROM "{name}"')))
            for name in names
        }


async def test_a_toggle_pressed_just_before_quitting_is_saved(database, tmp_path):
    with database.session() as session:
        alice = auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
        todo = todos.add_todo(session, owner_id=alice.id, title="Pay rent")
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "alice@example.com", PASSWORD)
        # Another client holds the row for half a second: the toggle is still on its way
        # when the app has quit.
        blocker = database.engine.connect()
        transaction = blocker.begin()
        if database.dialect == "sqlite":
            blocker.exec_driver_sql("UPDATE todo SET title = title")  # the write lock
        else:
            blocker.exec_driver_sql(f"SELECT 1 FROM todo WHERE id = {todo.id} FOR UPDATE")
        release = threading.Timer(0.5, lambda: (transaction.commit(), blocker.close()))
        release.start()
        await pilot.press("space", "q")  # no wait for the answer: quit at once
    app.finish_database_work()
    release.join()
    with database.session() as session:
        assert todos.get_todo(session, owner_id=alice.id, todo_id=todo.id).is_completed


async def test_escape_asks_before_throwing_away_what_was_typed(database, tmp_path):
    with database.session() as session:
        auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, "alice@example.com", PASSWORD)
        await pilot.press("a")
        await fill(pilot, "#title", "Half-typed thought")
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(pilot) == "ConfirmDialog"
        await pilot.press("escape")  # no: back to the form, text intact
        await pilot.pause()
        assert screen_name(pilot) == "TodoForm"
        assert app.screen.query_one("#title", Input).value == "Half-typed thought"
        await pilot.press("escape", "enter")  # yes, discard
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert titles(pilot) == []
