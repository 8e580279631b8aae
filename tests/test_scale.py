"""One server connection per running app: 90 apps on a server with 100 connection slots.

The server is the test's own (a small Neon compute allows about that many): initdb and
pg_ctl of PostgreSQL 15 as the postgres user, in a temporary directory, on a free port of
127.0.0.1, trust authentication, `max_connections = 100`, stopped at the end. Each app is
what TodoApp builds, without Textual: a Database with one connection, the database thread,
and the change feed on that thread.

PostgreSQL only by nature: the question is the server's connection slots.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.engines import TEST_BCRYPT_ROUNDS
from tests.pilot import wait_until
from todo_tui import auth, live, todos
from todo_tui.config import Settings, load_settings
from todo_tui.database_thread import DatabaseThread
from todo_tui.db import Database
from todo_tui.schema import upgrade_to_head

BIN = Path("/usr/lib/postgresql/15/bin")
MAX_CONNECTIONS = 100
APPS = 90
NAME = "todo-tui-scale"  # the application_name of the apps' connections
WAIT = 60.0  # seconds for ninety apps to get somewhere on two cores


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(*command: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *map(str, command)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    """The URL of a fresh PostgreSQL with 100 connection slots; stopped at the end."""
    if not (BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.fail(f"the scale test needs PostgreSQL 15 in {BIN} and runuser")
    root = Path(tempfile.mkdtemp(prefix="todo-tui-scale-"))
    shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    as_postgres(BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={root} "
        f"-c max_connections={MAX_CONNECTIONS} -c fsync=off"
    )
    try:
        as_postgres(BIN / "pg_ctl", "-D", data, "-l", root / "log", "-o", options, "-w", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, stop)],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class App:
    """What a running TodoApp holds for its database: one Database, its thread, its feed."""

    database: Database
    thread: DatabaseThread
    feed: live.ChangeFeed | None = None
    caught_up: threading.Event = field(default_factory=threading.Event)
    catch_ups: int = 0
    shown: set[int] = field(default_factory=set)  # what its list would show
    written: list[int] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def call(self, work: Callable[[], object]) -> None:
        """Like TodoApp.database_call: on the database thread, in order."""

        def run() -> None:
            try:
                work()
            except Exception as exc:
                self.failures.append(exc)

        self.thread.submit(run)


def test_ninety_apps_work_on_a_server_with_100_slots(
    small_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin_url = load_settings(database_url=small_server, environ={}).database.url
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE DATABASE todo_scale")
        url = f"{small_server.rsplit('/', 1)[0]}/todo_scale?application_name={NAME}"
        settings: Settings = replace(
            load_settings(database_url=url, environ={}), bcrypt_rounds=TEST_BCRYPT_ROUNDS
        )
        setup = Database(settings)
        upgrade_to_head(setup)
        alice = setup.run(
            lambda s: auth.register(s, email="a@example.com", password="pw pw pw", rounds=4)
        )
        setup.dispose()
        idle = [0.0]
        apps = [
            App(Database(settings, single_connection=True), DatabaseThread(name="scale-app"))
            for _ in range(APPS)
        ]
        try:
            for app in apps:

                def on_changes(changes: live.Changes, app: App = app) -> None:
                    for todo_id, version in changes.items():
                        if version is None:
                            app.shown.discard(todo_id)
                        else:
                            app.shown.add(todo_id)

                def on_snapshot(snapshot: live.Snapshot, taken_at: float, app: App = app) -> None:
                    app.shown = set(snapshot.versions)
                    app.catch_ups += 1
                    app.caught_up.set()

                app.feed = live.ChangeFeed(
                    app.database,
                    alice.id,
                    on_changes=on_changes,
                    on_snapshot=on_snapshot,
                    on_online=lambda online: None,
                    idle_for=lambda: idle[0],
                    thread=app.thread,
                )
                app.feed.start()
            wait_until(
                lambda: all(app.caught_up.is_set() for app in apps), "every feed online", WAIT
            )

            for number, app in enumerate(apps):  # each one writes, the way an add does

                def write(app: App = app, number: int = number) -> None:
                    added = app.database.run(
                        lambda s: todos.add_todo(s, owner_id=alice.id, title=f"from app {number}")
                    )
                    app.written.append(added.id)
                    app.shown.add(added.id)  # as the list shows its own adds

                app.call(write)
            wait_until(
                lambda: all(app.written or app.failures for app in apps), "every write done", WAIT
            )
            assert [app.failures for app in apps if app.failures] == []
            # Each sees the others' todos (the feed skips its own changes).
            everyone = {app.written[0] for app in apps}
            wait_until(
                lambda: all(app.shown == everyone for app in apps),
                "every app showing every app's todo",
                WAIT,
            )
            # By NOTIFY on the connection it already had: caught up once, never again.
            assert [app.catch_ups for app in apps] == [1] * APPS

            def held() -> int:
                with admin.connect() as connection:
                    return connection.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"
                        ),
                        {"n": NAME},
                    ).scalar_one()

            assert held() <= APPS  # one each, the feed and the work sharing it
            assert held() == APPS

            # Idle past the limit: no connection held at all; a key press resumes.
            idle[0] = live.IDLE_LIMIT + 1
            for app in apps:
                app.thread.wake()
            wait_until(lambda: held() == 0, "no connection held while idle", WAIT)
            assert all(app.feed.paused for app in apps)
        finally:
            for app in apps:
                if app.feed is not None:
                    app.feed.stop()
                app.thread.submit(app.database.dispose)
                app.thread.stop()
            for app in apps:
                app.thread.join(10)
    finally:
        admin.dispose()
