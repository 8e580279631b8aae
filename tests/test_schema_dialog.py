"""What a user sees at launch when the database is not up to date, driven through the app.

A SQLite file the app itself makes gets its tables without a question; a database that
already exists gets the dialog, which says in words what will change, and for a SQLite file
offers a consistent backup copy first.
"""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from sqlmodel import SQLModel
from textual.widgets import Button

from tests.pilot import FIXED_NOW, make_app, screen_name, settle
from tests.test_version_table import make_legacy, migrate_to, run_sql, versions
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.schema import (
    LEGACY_VERSION_TABLE,
    VERSION_TABLE,
    SchemaState,
    backup_sqlite,
    schema_status,
)

sqlite_only = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
postgresql_only = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def dialog_text(app) -> str:
    return "\n".join(
        text_of(app, f"#{name}") for name in ("schema-facts", "schema-summary", "schema-details")
    )


def app_on(database: Database, tmp_path: Path):
    return make_app(database.settings, tmp_path / "config", clock=lambda: FIXED_NOW)


@pytest.mark.parametrize("file", ["missing", "zero bytes"])
async def test_a_new_sqlite_file_gets_its_tables_without_asking(tmp_path: Path, file: str):
    path = tmp_path / "data" / "todo.db"
    if file == "zero bytes":
        path.parent.mkdir()
        path.touch()
    settings = load_settings(database_url=f"sqlite:///{path}", environ={})
    app = make_app(settings, tmp_path / "config")
    shown: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen = _recording(app.push_screen, shown)
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
    assert "SchemaDialog" not in shown
    database = Database(settings)
    try:
        assert schema_status(database).state is SchemaState.UP_TO_DATE
    finally:
        database.dispose()


def _recording(push_screen, shown: list[str]):
    def push(screen, *args, **kwargs):
        shown.append(type(screen).__name__)
        return push_screen(screen, *args, **kwargs)

    return push


async def test_an_existing_empty_database_asks_in_words(databases, tmp_path: Path):
    """A Neon branch, or a SQLite file that holds something else: the dialog, in words."""
    database = databases.empty()
    run_sql(database, "CREATE TABLE other_things (id INTEGER PRIMARY KEY)")
    app = app_on(database, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        text = dialog_text(app)
        assert "no todo-tui tables yet" in text
        assert "Creates the tables that hold accounts and their todos. (0001)" in text
        assert "Adds a version number to every todo" in text
        assert "Current revision" not in text and "needs:" not in text
        assert not app.screen.query("#backup")  # nothing in the file to lose
        await pilot.press("enter")  # Create tables
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
    assert versions(database, "other_things") == []


async def test_a_legacy_database_is_behind_and_the_dialog_says_why(databases, tmp_path: Path):
    database = databases.empty()
    make_legacy(database, "0001")
    app = app_on(database, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        assert text_of(app, "#schema-title") == "Database upgrade needed"
        text = dialog_text(app)
        assert f"from the table {LEGACY_VERSION_TABLE}, which other applications" in text
        assert f"to a table of its own, {VERSION_TABLE}" in text
        assert "Revision 0001 → " in text
        assert app.focused.id == "upgrade"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
    assert schema_status(database).state is SchemaState.UP_TO_DATE


async def test_tables_that_match_no_revision_are_listed_in_words(databases, tmp_path: Path):
    database = databases.empty()
    SQLModel.metadata.create_all(database.engine)
    run_sql(database, "DROP INDEX idx_todo_user_id")
    app = app_on(database, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        assert "index idx_todo_user_id is missing" in text_of(app, "#schema-details")
        assert [button.id for button in app.screen.query(Button)] == ["quit"]


@sqlite_only
async def test_a_backup_copy_before_upgrading(databases, tmp_path: Path):
    database = databases.empty()
    migrate_to(database, "0001")
    run_sql(
        database,
        "INSERT INTO \"user\" (email, hashed_password) VALUES ('ann@example.com', 'h')",
        "INSERT INTO todo (title, user_id) SELECT 'Water the plants', id FROM \"user\"",
    )
    source = database.settings.database.sqlite_path
    expected = source.with_name(f"{source.stem}.backup-2026-03-14-0001{source.suffix}")
    app = app_on(database, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        await pilot.click("#backup")
        await settle(pilot)
        assert text_of(app, "#schema-backup") == f"Backed up to {expected}"
        assert app.screen.query_one("#backup", Button).disabled
        assert app.focused.id == "upgrade"
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"

    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    with closing(sqlite3.connect(expected)) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute(f"SELECT * FROM {VERSION_TABLE}").fetchall() == [("0001",)]
        assert copy.execute("SELECT title FROM todo").fetchall() == [("Water the plants",)]
    assert schema_status(database).state is SchemaState.UP_TO_DATE  # the original, upgraded


@sqlite_only
def test_a_second_backup_the_same_day_gets_its_own_name(databases) -> None:
    database = databases.migrated()
    first = backup_sqlite(database, label="0003", today=FIXED_NOW.date())
    second = backup_sqlite(database, label="0003", today=FIXED_NOW.date())
    assert first.name.endswith(".backup-2026-03-14-0003.db")
    assert second.name.endswith(".backup-2026-03-14-0003-2.db")
    assert first.parent == second.parent == database.settings.database.sqlite_path.parent


@postgresql_only
async def test_no_backup_is_offered_for_a_server_database(databases, tmp_path: Path):
    database = databases.empty()
    migrate_to(database, "0001")
    app = app_on(database, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        assert not app.screen.query("#backup")
