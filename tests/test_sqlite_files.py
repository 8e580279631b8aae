"""The SQLite file as a file: created private, watched while open, and every way it can fail
to be written told in its own sentence.

Real files throughout: a real tmpfs for the full disk, read-only bind mounts for read-only
files and folders (the tests run as root, which chmod alone does not stop), pages of a real
database overwritten for a damaged one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.pilot import feed_online, notices, wait_until
from todo_tui import auth, preferences, todos
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.live import ChangeFeed
from todo_tui.schema import SchemaState, schema_status, upgrade_to_head

TIMEOUT = 60


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def open_database(path: Path) -> Database:
    settings = load_settings(database_url=f"sqlite:///{path}", environ={})
    return Database(replace(settings, bcrypt_rounds=4))


@pytest.fixture
def databases_to_close() -> Iterator[list[Database]]:
    opened: list[Database] = []
    yield opened
    for database in opened:
        database.dispose()


@pytest.fixture
def migrated(tmp_path: Path, databases_to_close: list[Database]):
    """`migrated(path)`: a migrated database at `path` with one user and one todo."""

    def make(path: Path | None = None) -> tuple[Database, int]:
        database = open_database(path or tmp_path / f"todo-{uuid.uuid4().hex[:8]}.db")
        databases_to_close.append(database)
        upgrade_to_head(database)
        user = database.run(
            lambda s: auth.register(s, email="a@example.com", password="pw-123456", rounds=4)
        )
        database.run(lambda s: todos.add_todo(s, owner_id=user.id, title="first"))
        return database, user.id

    return make


def add(database: Database, owner_id: int, title: str = "more") -> None:
    database.run(lambda s: todos.add_todo(s, owner_id=owner_id, title=title))


def fault_of(call) -> DatabaseFault:
    with pytest.raises(DatabaseFault) as caught:
        call()
    return caught.value


# -- created readable by their owner only ---------------------------------------------------


def test_a_new_database_its_folder_wal_and_shm_are_private(
    tmp_path: Path, databases_to_close: list[Database]
) -> None:
    path = tmp_path / "made" / "here" / "todo.db"
    with umask(0o022):  # the usual umask, which alone gives 0644 files in 0755 folders
        database = open_database(path)
        databases_to_close.append(database)
        upgrade_to_head(database)
        with database.engine.connect() as connection:  # WAL: -wal and -shm exist while open
            connection.exec_driver_sql("SELECT 1 FROM user").all()
            assert (mode(path.parent), mode(path.parent.parent)) == (0o700, 0o700)
            assert mode(path) == 0o600
            assert mode(Path(f"{path}-wal")) == 0o600
            assert mode(Path(f"{path}-shm")) == 0o600
    assert database.notices == []


def test_the_log_and_preferences_are_private(tmp_path: Path) -> None:
    state, config = tmp_path / "state", tmp_path / "config"
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.umask(0o022); from todo_tui.cli import main; "
            "main(['--database-url', 'sqlite:///x.db', 'db', 'status'])",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.stderr == "", result
    log_file = state / "todo-tui" / "log" / "todo-tui.log"
    assert mode(log_file) == 0o600
    assert mode(log_file.parent) == mode(log_file.parent.parent) == 0o700
    with umask(0o022):
        preferences.save(config / "todo-tui", theme="nord")
    assert mode(config / "todo-tui") == 0o700
    assert mode(config / "todo-tui" / "preferences.json") == 0o600
    assert preferences.load(config / "todo-tui") == {"theme": "nord"}


def test_a_log_an_older_version_left_readable_is_made_private(tmp_path: Path) -> None:
    log_file = tmp_path / "todo-tui" / "log" / "todo-tui.log"
    log_file.parent.mkdir(parents=True)
    log_file.write_text("old\n")
    log_file.chmod(0o644)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "todo_tui", "--database-url", "sqlite:///x.db", "db", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 1, result  # no database file yet
    assert mode(log_file) == 0o600
    assert log_file.read_text() == "old\n"


def test_an_existing_file_others_can_read_is_warned_about(tmp_path: Path, migrated) -> None:
    path = tmp_path / "shared.db"
    migrated(path)[0].dispose()
    path.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "todo_tui", "--database-url", f"sqlite:///{path}", "db", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result
    assert result.stderr == (
        f"todo-tui: The database file {path} can be read by other users of this computer: "
        f"run chmod 600 {path}* to keep it private.\n"
    )
    path.chmod(0o600)
    database = open_database(path)
    assert schema_status(database).state is SchemaState.UP_TO_DATE
    assert database.notices == []
    database.dispose()


# -- deleted, moved or replaced while open ------------------------------------------------


def _delete(path: Path) -> None:
    path.unlink()


def _move(path: Path) -> None:
    path.rename(path.with_name("moved.db"))


def _replace(path: Path) -> None:
    copy = path.with_name("copy.db")
    shutil.copyfile(path, copy)
    copy.replace(path)


@pytest.mark.parametrize("change", [_delete, _move, _replace], ids=["deleted", "moved", "replaced"])
def test_a_file_gone_while_open_stops_every_write(tmp_path: Path, migrated, change) -> None:
    path = tmp_path / "todo.db"
    database, owner_id = migrated(path)
    change(path)
    before = path.read_bytes() if path.exists() else None
    for _ in range(2):  # for good, not once
        fault = fault_of(lambda: add(database, owner_id))
        assert fault.kind is FaultKind.FILE_GONE
        assert fault.sentence == (
            f"The database file {path} was deleted, moved or replaced while todo-tui was "
            "running: nothing more is written. Put the file back and restart todo-tui."
        )
    fault = fault_of(lambda: database.run(lambda s: todos.list_todos(s, owner_id=owner_id)))
    assert fault.kind is FaultKind.FILE_GONE
    # Nothing was written anywhere: no new empty file at the path, the replacement untouched.
    assert (path.read_bytes() if path.exists() else None) == before
    assert database.stopped is not None
    assert not fault.is_connection_problem  # nothing to reconnect to


def test_the_change_feed_notices_a_deleted_file_without_any_write(tmp_path: Path, migrated) -> None:
    database, owner_id = migrated(tmp_path / "todo.db")
    online: list[bool] = []
    snapshots: list[object] = []
    feed = ChangeFeed(
        database,
        owner_id,
        on_changes=lambda changes: None,
        on_snapshot=lambda snapshot, taken_at: snapshots.append(snapshot),
        on_online=online.append,
        idle_for=lambda: 0.0,
    )
    feed.start()
    try:
        wait_until(lambda: snapshots, "the feed's first catch-up")
        (tmp_path / "todo.db").unlink()
        wait_until(
            lambda: database.stopped is not None, "the feed's poll noticing the file is gone"
        )
    finally:
        feed.stop()
    assert database.stopped.kind is FaultKind.FILE_GONE
    assert not (tmp_path / "todo.db").exists()


# -- damaged ------------------------------------------------------------------------------


def test_a_damaged_file_opens_read_only_with_a_sentence(
    tmp_path: Path, migrated, databases_to_close: list[Database]
) -> None:
    path = tmp_path / "damaged.db"
    database, owner_id = migrated(path)
    database.run(
        lambda s: [
            todos.add_todo(s, owner_id=owner_id, title=f"todo {i}", description="x" * 200)
            for i in range(2000)
        ]
    )
    database.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'todo'"
        ).fetchone()
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    pages = path.stat().st_size // page_size
    with path.open("r+b") as file:  # garbage over pages of the todo table, past its root
        file.seek(page_size * (root + (pages - root) // 2))
        file.write(b"\xa5" * page_size * 4)
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    reopened = open_database(path)
    databases_to_close.append(reopened)
    assert schema_status(reopened).state is SchemaState.UP_TO_DATE
    sentence = (
        f"The SQLite file {path} is damaged: todo-tui opened it read-only and writes nothing "
        f"to it. Keep a copy, and recover what it holds with: sqlite3 {path} .recover"
    )
    assert reopened.notices == [sentence]
    for call in (
        lambda: add(reopened, owner_id),
        lambda: reopened.run(lambda s: todos.list_todos(s, owner_id=owner_id), retry=True),
    ):
        fault = fault_of(call)
        assert (fault.kind, fault.sentence) == (FaultKind.DAMAGED, sentence)
        assert not fault.is_connection_problem  # no reconnecting for ever
    # What can be read still is: the user's account.
    assert reopened.run(
        lambda s: auth.authenticate(s, email="a@example.com", password="pw-123456", rounds=4)
    )
    reopened.dispose()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# -- full disk, read-only file, read-only folder -------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)],
        check=True,
        timeout=TIMEOUT,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True, timeout=TIMEOUT)


def _fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 65536)
            file.flush()


def test_a_full_disk_says_so(small_disk: Path, migrated) -> None:
    path = small_disk / "todo.db"
    database, owner_id = migrated(path)
    _fill(small_disk)
    fault = fault_of(
        lambda: database.run(
            lambda s: [
                todos.add_todo(s, owner_id=owner_id, title=f"t{i}", description="x" * 5000)
                for i in range(400)
            ]
        )
    )
    assert fault.kind is FaultKind.DISK_FULL
    assert fault.sentence == (
        f"The disk that holds {path} is full: nothing more can be saved until some space is "
        "freed on it."
    )


def test_a_full_disk_at_the_start_says_so(small_disk: Path, databases_to_close) -> None:
    _fill(small_disk)
    database = open_database(small_disk / "todo.db")
    databases_to_close.append(database)
    fault = fault_of(lambda: upgrade_to_head(database))
    assert fault.kind is FaultKind.DISK_FULL
    assert "is full" in fault.sentence and "writable" not in fault.sentence


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` (a file or a folder) on a read-only bind mount: even root cannot write it."""
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True, timeout=TIMEOUT)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True, timeout=TIMEOUT)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True, timeout=TIMEOUT)


def test_a_read_only_file_in_a_writable_folder(
    tmp_path: Path, migrated, databases_to_close
) -> None:
    path = tmp_path / "todo.db"
    first, owner_id = migrated(path)
    first.dispose()
    sentence = (
        f"The SQLite file {path} is read-only: todo-tui shows it but cannot save to it "
        f"(chmod 600 {path} makes it writable by you)."
    )
    with read_only(path):
        database = open_database(path)
        try:
            assert schema_status(database).state is SchemaState.UP_TO_DATE
            assert database.notices == [sentence]
            titles = database.run(
                lambda s: [t.title for t in todos.list_todos(s, owner_id=owner_id)]
            )
            assert titles == ["first"]
            fault = fault_of(lambda: add(database, owner_id))
            assert (fault.kind, fault.sentence) == (FaultKind.READ_ONLY, sentence)
        finally:
            database.dispose()
    assert os.access(tmp_path, os.W_OK)


def test_a_read_only_folder(tmp_path: Path, migrated) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    path = folder / "todo.db"
    first, owner_id = migrated(path)
    first.dispose()
    sentence = (
        f"The folder {folder} is read-only: SQLite must write beside todo.db (its -wal and "
        "-shm files), so todo-tui cannot save there. Make the folder writable or move the file."
    )
    with read_only(folder):
        database = open_database(path)
        try:
            fault = fault_of(lambda: add(database, owner_id))
            assert (fault.kind, fault.sentence) == (FaultKind.READ_ONLY, sentence)
        finally:
            database.dispose()
        new = folder / "new.db"
        fault = fault_of(lambda: open_database(new))
        assert fault.kind is FaultKind.READ_ONLY
        assert fault.sentence.startswith(f"The folder {folder} is read-only")
        assert not new.exists()


async def test_the_app_warns_at_launch_of_a_file_others_can_read(tmp_path: Path, migrated) -> None:
    from tests.pilot import make_app, screen_name, settle

    path = tmp_path / "shared.db"
    database, _ = migrated(path)
    database.dispose()
    path.chmod(0o644)
    settings = load_settings(database_url=f"sqlite:///{path}", environ={})
    app = make_app(settings, tmp_path / "config")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        messages = notices(app)
    assert messages == [
        f"The database file {path} can be read by other users of this computer: "
        f"run chmod 600 {path}* to keep it private."
    ]


async def test_the_list_says_once_why_a_deleted_file_is_no_longer_written(
    tmp_path: Path, databases_to_close: list[Database]
) -> None:
    from tests.pilot import EMAIL, PASSWORD, eventually, log_in, make_app, register, settle

    path = tmp_path / "todo.db"
    database = open_database(path)
    databases_to_close.append(database)
    upgrade_to_head(database)
    register(database)
    app = make_app(database.settings, tmp_path / "config")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        screen = app.screen
        await eventually(pilot, lambda: feed_online(screen), "the change feed online")
        path.unlink()
        gone = (
            f"The database file {path} was deleted, moved or replaced while todo-tui was "
            "running: nothing more is written. Put the file back and restart todo-tui."
        )
        await eventually(
            pilot,
            lambda: gone in notices(app),
            "the sentence, from the change feed's poll",
        )
        status = screen.query_one("#list-status").render()
        assert "read-only: nothing more is saved" in str(status)
        assert "reconnecting" not in str(status)
        assert not any("reconnecting" in message for message in notices(app))
        assert screen.feed._stop.is_set()  # no reconnecting to a file that is not there
    assert not path.exists()
