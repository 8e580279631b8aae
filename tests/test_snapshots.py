"""What each screen looks like: SVG snapshots at 100x30 with fixed data and a fixed clock.

Rendering does not depend on the database, so these run on SQLite files at fixed paths
(the path is on screen); the journeys in test_journey.py cover both databases.
`pytest --snapshot-update` rewrites the SVGs: look at every changed one before committing.
"""

from __future__ import annotations

import fcntl
import inspect
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.pilot import FIXED_NOW, fill, log_in, make_app, settle
from todo_tui import auth, sessions, todos, tokens
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.models import Todo, User
from todo_tui.records import TodoDraft, UserRecord
from todo_tui.schema import alembic_config, migration_connection, upgrade_to_head

SIZE = (100, 30)
SNAPSHOT_DIR = Path(tempfile.gettempdir()) / "todo-tui-snapshots"
NEON_URL = (
    "postgresql://alice:s3cr3t-Passw0rd@ep-cool-meadow-123456.us-east-2.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
PASSWORD = "correct horse"
LONG_TITLE = (
    "Write the quarterly report for the board, with the appendix on cloud costs, the hiring "
    "plan and the office move"
)
SEED = [  # title, description, done, age of created_at, age of updated_at
    ("Call mum", None, False, timedelta(minutes=2), timedelta(seconds=20)),
    (
        "Buy oat milk 🥛 and 🍞",
        "From the corner shop\nnot the big one",
        False,
        timedelta(hours=1),
        timedelta(minutes=5),
    ),
    (LONG_TITLE, "Draft first, numbers later", False, timedelta(days=1), timedelta(hours=3)),
    (
        "日本語のタイトル：幅の広い文字",  # noqa: RUF001 - wide punctuation on purpose
        "全角テキスト",
        True,
        timedelta(days=3),
        timedelta(days=2),
    ),
    (
        "[bold red]x[/] is not markup",
        "[@click=app.quit]y[/] neither",
        True,
        timedelta(days=60),
        timedelta(days=40),
    ),
]


def fixed_database(name: str) -> Database:
    """A fresh SQLite file at a path that is the same on every run (it is on screen)."""
    SNAPSHOT_DIR.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SNAPSHOT_DIR / name}.db{suffix}").unlink(missing_ok=True)
    settings = replace(
        load_settings(database_url=f"sqlite:///{SNAPSHOT_DIR / name}.db", environ={}),
        bcrypt_rounds=4,
    )
    return Database(settings)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture(autouse=True)
def _own_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Token files of a test's own: the databases' paths are the same in every test, so a
    log in kept by one would otherwise be resumed (or found ended) by the next."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(sessions, "device_label", lambda: "alice on laptop")


@pytest.fixture
def seeded() -> Database:
    database = fixed_database("seeded")
    upgrade_to_head(database)
    with database.session() as session:
        user = auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
        for title, description, done, created, updated in SEED:
            session.add(
                Todo(
                    title=title,
                    description=description,
                    is_completed=done,
                    user_id=user.id,
                    created_at=FIXED_NOW - created,
                    updated_at=FIXED_NOW - updated,
                )
            )
        session.commit()
    yield database
    database.dispose()


def no_blink(pilot) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False


def app_for(database: Database, config_dir: Path):
    return make_app(database.settings, config_dir, clock=lambda: FIXED_NOW)


def behind_database(name: str) -> Database:
    """A database an older todo-tui made (at the first revision)."""
    database = fixed_database(name)
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    return database


def unreachable_app(config_dir: Path):
    """The app on a server that refuses every connection."""
    settings = load_settings(
        database_url="postgresql://alice:s3cr3t@127.0.0.1:1/neondb", environ={}
    )
    return make_app(settings, config_dir)


Step = Callable[[Pilot], Awaitable[object] | None]


def steps(*them: Step) -> Callable[[Pilot], Awaitable[None]]:
    """A run_before doing each step in turn (a coroutine function of the pilot, or a plain
    function of it)."""

    async def run_before(pilot: Pilot) -> None:
        for step in them:
            done = step(pilot)
            if inspect.isawaitable(done):
                await done

    return run_before


def press(*keys: str) -> Step:
    return lambda pilot: pilot.press(*keys)


def typed(selector: str, text: str) -> Step:
    return lambda pilot: fill(pilot, selector, text)


def paste(text: str) -> Step:
    return lambda pilot: pilot.app.screen.query_one("#title", Input).post_message(
        events.Paste(text)
    )


class TestStartupScreen:
    def test_connecting(self, snap_compare, config_dir):
        settings = load_settings(database_url=NEON_URL, environ={})
        app = make_app(settings, config_dir)
        gate = threading.Event()  # holds the database thread: the check stays pending
        app._database_thread.submit(gate.wait)
        try:
            assert snap_compare(app, terminal_size=SIZE)
        finally:
            gate.set()

    def test_connection_error(self, snap_compare, config_dir):
        assert snap_compare(unreachable_app(config_dir), terminal_size=SIZE, run_before=settle)


class TestSchemaDialog:
    def test_empty_database(self, snap_compare, config_dir):
        database = fixed_database("empty")  # it exists, holding another application's table
        with database.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        app = app_for(database, config_dir)
        assert snap_compare(app, terminal_size=SIZE, run_before=settle)

    def test_behind(self, snap_compare, config_dir):
        database = behind_database("behind")
        assert snap_compare(app_for(database, config_dir), terminal_size=SIZE, run_before=settle)

    def test_behind_backed_up(self, snap_compare, config_dir):
        for old in SNAPSHOT_DIR.glob("backed-up.backup-*"):
            old.unlink()
        database = behind_database("backed-up")
        run_before = steps(settle, lambda pilot: pilot.click("#backup"), settle)
        app = app_for(database, config_dir)
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_legacy_version_table(self, snap_compare, config_dir):
        database = fixed_database("legacy")
        upgrade_to_head(database)
        with database.engine.begin() as connection:  # as an earlier todo-tui recorded it
            connection.exec_driver_sql(
                "ALTER TABLE todo_tui_alembic_version RENAME TO alembic_version"
            )
        assert snap_compare(app_for(database, config_dir), terminal_size=SIZE, run_before=settle)

    def test_unversioned_not_adoptable(self, snap_compare, config_dir):
        database = fixed_database("mismatch")
        SQLModel.metadata.create_all(database.engine)  # the old way, on purpose
        with database.engine.begin() as connection:
            connection.exec_driver_sql("DROP INDEX idx_todo_user_id")
            connection.exec_driver_sql("CREATE INDEX ix_todo_title ON todo (title)")
        assert snap_compare(app_for(database, config_dir), terminal_size=SIZE, run_before=settle)

    def test_ahead(self, snap_compare, config_dir):
        database = fixed_database("ahead")
        upgrade_to_head(database)
        with database.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE todo_tui_alembic_version SET version_num = 'ffff9999'"
            )
        assert snap_compare(app_for(database, config_dir), terminal_size=SIZE, run_before=settle)

    def test_unversioned_adoptable(self, snap_compare, config_dir):
        from tests.test_adoption import first_revision_metadata

        database = fixed_database("unversioned")
        first_revision_metadata().create_all(database.engine)  # an old todo-tui's way
        assert snap_compare(app_for(database, config_dir), terminal_size=SIZE, run_before=settle)


class TestLoginScreen:
    def test_empty(self, snap_compare, seeded, config_dir):
        run_before = steps(settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_wrong_password(self, snap_compare, seeded, config_dir):
        run_before = steps(
            settle, lambda pilot: log_in(pilot, "alice@example.com", "not the password"), no_blink
        )
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_saved_log_in_ended(self, snap_compare, seeded, config_dir):
        """A token file whose session was ended elsewhere: one sentence, and the email of
        the last log in filled in, the focus on the password."""
        tokens.save(seeded.settings.database, sessions.new_token())
        tokens.remember_email(config_dir, seeded.settings.database, "alice@example.com")
        run_before = steps(settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


class TestRegisterScreen:
    def test_validation_messages(self, snap_compare, seeded, config_dir):
        run_before = steps(
            settle,
            press("ctrl+n"),
            typed("#email", "alice@"),
            typed("#password", "short"),
            typed("#confirm", "shorter"),
            press("enter"),
            settle,
            no_blink,
        )
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


async def logged_in(pilot) -> None:
    await settle(pilot)
    await log_in(pilot, "alice@example.com", PASSWORD)


new_form = (logged_in, press("a"), settle)  # the steps to an empty new todo's form


class TestTodoListScreen:
    def test_empty(self, snap_compare, seeded, config_dir):
        with seeded.session() as session:
            auth.register(session, email="bob@example.com", password=PASSWORD, rounds=4)

        run_before = steps(settle, lambda pilot: log_in(pilot, "bob@example.com", PASSWORD))
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_mixed(self, snap_compare, seeded, config_dir):
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=logged_in)

    def test_search(self, snap_compare, seeded, config_dir):
        run_before = steps(logged_in, press("slash"), typed("#search", "MILK"), no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_filter_done(self, snap_compare, seeded, config_dir):
        run_before = steps(logged_in, press("5"))
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


class TestAccountDialogs:
    def test_sessions(self, snap_compare, seeded, config_dir):
        with seeded.session() as session:
            alice = session.exec(sa.select(User.id)).scalar_one()
        owner = UserRecord(id=alice, email="alice@example.com")
        others = (
            ("alice on desktop", timedelta(hours=3)),
            ("[b]not[/b] markup", timedelta(days=12)),
        )

        async def run_before(pilot):
            await logged_in(pilot)
            # Made after the log in, whose new session deletes the expired ones: by the
            # real clock these, made at the snapshot's fixed time, are long expired.
            for label, age in others:
                seeded.run(
                    lambda s, label=label, age=age: sessions.create(
                        s, user=owner, label=label, now=FIXED_NOW - age
                    )
                )
            await pilot.app.screen.run_action("sessions")
            await settle(pilot)

        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_change_password(self, snap_compare, seeded, config_dir):
        async def run_before(pilot):
            await logged_in(pilot)
            await pilot.app.screen.run_action("change_password")
            await settle(pilot)
            await fill(pilot, "#current", PASSWORD)
            await fill(pilot, "#new", "a new password")
            await fill(pilot, "#confirm", "a new passwrd")
            await pilot.press("enter")
            await settle(pilot)
            no_blink(pilot)

        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_delete_account(self, snap_compare, seeded, config_dir):
        async def run_before(pilot):
            await logged_in(pilot)
            await pilot.app.screen.run_action("delete_account")
            await settle(pilot)
            no_blink(pilot)

        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


class TestTodoForm:
    def test_pasted_title_cut_to_the_limit(self, snap_compare, seeded, config_dir):
        def notes(pilot) -> None:
            pilot.app.screen.query_one("#description", TextArea).text = "Some notes"

        run_before = steps(*new_form, paste("x" * 201), notes, settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_edit(self, snap_compare, seeded, config_dir):
        def cursor_home(pilot) -> None:
            pilot.app.screen.query_one("#title", Input).cursor_position = 0

        run_before = steps(logged_in, press("down", "e"), settle, cursor_home, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


@pytest.fixture
def dated() -> Database:
    """Todos with due dates around FIXED_NOW (Saturday 14 March 2026), priorities and tags."""
    database = fixed_database("dated")
    upgrade_to_head(database)
    today = FIXED_NOW.date()
    rows = [  # title, due (days from today, time), priority, tags, done
        ("File the tax return", (-3, None), "high", "money admin", False),
        ("Dentist", (0, "16:30"), "", "health", False),
        ("Water the plants", (0, None), "low", "home", False),
        ("Call the bank about the [red]card[/]", (1, None), "medium", "money", False),
        ("Book train tickets", (5, None), "", "travel", False),
        ("Renew the passport", (40, None), "medium", "travel admin", False),
        ("Read the novel club book", None, "", "", False),
        ("Pay the electricity bill", (-1, None), "high", "money home", True),
    ]
    with database.session() as session:
        user = auth.register(session, email="alice@example.com", password=PASSWORD, rounds=4)
        for n, (title, due, priority, tags, done) in enumerate(rows):
            when = ""
            if due is not None:
                when = (today + timedelta(days=due[0])).isoformat() + (
                    f" {due[1]}" if due[1] else ""
                )
            draft = TodoDraft(title=title, due=when, priority=priority, tags=tags)
            added = todos.add_todo(session, owner_id=user.id, draft=draft)
            if done:
                todos.set_completed(
                    session, owner_id=user.id, todo_id=added.id, version=1, completed=True
                )
            session.exec(
                sa.update(Todo)
                .where(Todo.id == added.id)
                .values(
                    created_at=FIXED_NOW - timedelta(hours=n + 1),
                    updated_at=FIXED_NOW - timedelta(minutes=n + 1),
                )
            )
            session.commit()
    yield database
    database.dispose()


class TestDueDates:
    def test_list(self, snap_compare, dated, config_dir):
        assert snap_compare(app_for(dated, config_dir), terminal_size=SIZE, run_before=logged_in)

    def test_list_narrow(self, snap_compare, dated, config_dir):
        assert snap_compare(
            app_for(dated, config_dir), terminal_size=(60, 20), run_before=logged_in
        )

    def test_quick_add_preview(self, snap_compare, dated, config_dir):
        async def run_before(pilot):
            await logged_in(pilot)
            await pilot.press("a")
            await settle(pilot)
            await fill(pilot, "#title", "Pay rent due:tomorrow@9am #home !high")
            await fill(pilot, "#due", "next fri")
            pilot.app.screen.query_one("#title", Input).focus()
            await settle(pilot)
            no_blink(pilot)

        assert snap_compare(app_for(dated, config_dir), terminal_size=SIZE, run_before=run_before)

    def test_edit_with_every_field(self, snap_compare, dated, config_dir):
        async def run_before(pilot):
            await logged_in(pilot)
            await pilot.press("e")
            await settle(pilot)
            pilot.app.screen.query_one("#title", Input).cursor_position = 0
            no_blink(pilot)

        assert snap_compare(app_for(dated, config_dir), terminal_size=SIZE, run_before=run_before)


class TestConfirmDialog:
    def test_delete(self, snap_compare, seeded, config_dir):
        run_before = steps(logged_in, press("d"), settle)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=SIZE, run_before=run_before)


# -- small terminals: every dialog and the form fit from 40x12 up --------------------------

SMALL = [pytest.param((60, 15), id="60x15"), pytest.param((40, 12), id="40x12")]
PASTED = "A pasted megabyte " * 60_000  # about 1 MB


async def discard_asked(pilot) -> None:
    await steps(*new_form)(pilot)
    pilot.app.screen.query_one("#title", Input).insert_text_at_cursor("Buy bread")
    pilot.app.screen.query_one("#description", TextArea).text = "Seeded rye\nfrom the bakery"
    await pilot.press("escape")
    await settle(pilot)


@pytest.mark.parametrize("size", SMALL)
class TestSmallTerminals:
    def test_first_run(self, snap_compare, config_dir, size):
        app = app_for(fixed_database("empty"), config_dir)
        assert snap_compare(app, terminal_size=size, run_before=settle)

    def test_behind(self, snap_compare, config_dir, size):
        database = behind_database("behind")
        assert snap_compare(app_for(database, config_dir), terminal_size=size, run_before=settle)

    def test_connection_error(self, snap_compare, config_dir, size):
        assert snap_compare(unreachable_app(config_dir), terminal_size=size, run_before=settle)

    def test_login(self, snap_compare, seeded, config_dir, size):
        run_before = steps(settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)

    def test_list(self, snap_compare, seeded, config_dir, size):
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=logged_in)

    def test_new_todo_form(self, snap_compare, seeded, config_dir, size):
        # empty: the error shows under the title
        run_before = steps(*new_form, press("enter"), settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)

    def test_form_after_a_pasted_megabyte(self, snap_compare, seeded, config_dir, size):
        run_before = steps(*new_form, paste(PASTED), settle, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)

    def test_delete_confirm(self, snap_compare, seeded, config_dir, size):
        # the long title, with a description
        run_before = steps(logged_in, press("down", "down", "d"), settle)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)

    def test_discard_over_the_form(self, snap_compare, seeded, config_dir, size):
        run_before = steps(discard_asked, no_blink)
        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)

    def test_conflict(self, snap_compare, seeded, config_dir, size):
        async def run_before(pilot):
            await steps(logged_in, press("e"), settle)(pilot)  # the newest: "Call mum"
            form = pilot.app.screen
            todo = form.todo
            seeded.run(
                lambda s: todos.update_todo(
                    s,
                    owner_id=form.user.id,
                    todo_id=todo.id,
                    version=todo.version,
                    title="Call mum back tonight",
                    description="She rang at noon",
                )
            )
            form.query_one("#title", Input).insert_text_at_cursor(" on Sunday")
            await pilot.press("ctrl+s")
            await settle(pilot)

        assert snap_compare(app_for(seeded, config_dir), terminal_size=size, run_before=run_before)


@pytest.fixture(scope="module", autouse=True)
def _snapshot_dir_to_ourselves():
    """The databases' path is on screen, so it is the same for every run: runs of this module
    at the same time (other checkouts of the repository) take turns rather than share it."""
    with open(Path(tempfile.gettempdir()) / "todo-tui-snapshots.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            shutil.rmtree(SNAPSHOT_DIR, ignore_errors=True)
            fcntl.flock(lock, fcntl.LOCK_UN)
