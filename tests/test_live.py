"""Live updates between terminals of the same user, on both databases.

Another terminal is simulated with the services (todo_tui.todos) on an engine of its own.
PostgreSQL delivers changes with LISTEN/NOTIFY; SQLite (and Neon's pooler) with polling.
"""

from __future__ import annotations

import contextlib
import logging
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from textual.pilot import Pilot

from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    eventually,
    fill,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
)
from tests.wire import WireProxy
from todo_tui import live, todos
from todo_tui.config import Settings, load_settings
from todo_tui.database_thread import DatabaseThread
from todo_tui.db import APPLICATION_NAME, Database
from todo_tui.live import ChangeFeed
from todo_tui.models import Todo
from todo_tui.widgets.todo_table import TodoTable

LATENCY = 2.0  # seconds from a change elsewhere to this terminal's list


def wait_until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll a condition another thread makes true, with a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.01)


async def throughout(pilot: Pilot, predicate: Callable[[], object], what: str, period: float):
    """`predicate` holds the whole `period` (checked every 50 ms while the app runs)."""
    end = time.monotonic() + period
    while time.monotonic() < end:
        assert predicate(), what
        await pilot.pause(0.05)


@asynccontextmanager
async def logged_in(settings: Settings, config_dir: Path) -> AsyncIterator[Pilot]:
    """The app on the list screen of EMAIL, its change feed online."""
    app = make_app(settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        screen = pilot.app.screen
        await eventually(pilot, lambda: screen.feed._online, "the change feed online")
        await settle(pilot)
        yield pilot


def table_of(pilot: Pilot) -> TodoTable:
    return pilot.app.screen.query_one(TodoTable)


def shown(pilot: Pilot) -> dict[str, bool]:
    """Title -> done, of what the list shows."""
    return {todo.title: todo.is_completed for todo in table_of(pilot).visible_todos}


def app_backends(admin: sa.Engine, name: str = APPLICATION_NAME) -> list[int]:
    """The backends on this database named `name` (the app's: one, which also LISTENs)."""
    with admin.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = :name"
                ),
                {"name": name},
            ).scalars()
        )


def named(database: Database, name: str) -> Database:
    """Another Database on the same data whose connections are named `name`."""
    url = database.settings.database.url
    separator = "&" if "?" in url else "?"
    return Database(
        replace(
            database.settings,
            database=load_settings(
                database_url=f"{url}{separator}application_name={name}", environ={}
            ).database,
        )
    )


@pytest.fixture
def admin(postgres_database: Database) -> Iterator[sa.Engine]:
    """The test's own connections to a PostgreSQL test database (not named todo-tui)."""
    engine = sa.create_engine(
        postgres_database.settings.database.url,
        isolation_level="AUTOCOMMIT",
        connect_args={"application_name": "test-admin"},
    )
    yield engine
    engine.dispose()


# ---------------------------------------------------------------------------------------
# Changes elsewhere show up within 2 seconds, without a key press, keeping the cursor


async def test_changes_made_in_another_terminal_show_within_2_s(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    kept, edited, toggled, deleted = (
        add(database, alice, title) for title in ("keep", "edit me", "toggle me", "delete me")
    )
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        table.move_cursor_to(kept.id)
        changes = {
            "add": lambda: add(database, alice, "added"),
            "edit": lambda: database.run(
                lambda s: todos.update_todo(
                    s,
                    owner_id=alice.id,
                    todo_id=edited.id,
                    version=edited.version,
                    title="edited",
                    description=None,
                )
            ),
            "toggle": lambda: database.run(
                lambda s: todos.set_completed(
                    s,
                    owner_id=alice.id,
                    todo_id=toggled.id,
                    version=toggled.version,
                    completed=True,
                )
            ),
            "delete": lambda: database.run(
                lambda s: todos.delete_todo(
                    s, owner_id=alice.id, todo_id=deleted.id, version=deleted.version
                )
            ),
        }
        expected = {
            "add": lambda: shown(pilot).get("added") is False,
            "edit": lambda: "edited" in shown(pilot) and "edit me" not in shown(pilot),
            "toggle": lambda: shown(pilot).get("toggle me") is True,
            "delete": lambda: "delete me" not in shown(pilot),
        }
        for kind, change in changes.items():
            change()
            latency = await eventually(pilot, expected[kind], f"the {kind} shown", timeout=6)
            assert latency <= LATENCY, f"{kind}: {latency:.2f} s"
            assert table.cursor_todo.id == kept.id, kind
        assert shown(pilot) == {"added": False, "toggle me": True, "edited": False, "keep": False}


# ---------------------------------------------------------------------------------------
# PostgreSQL: what NOTIFY carries; catching up after the listening connection is killed


def test_notify_payloads_carry_ids_and_versions_only(postgres_database: Database) -> None:
    database = postgres_database
    alice = register(database)
    url = sa.make_url(database.settings.database.url)
    listener = psycopg2.connect(
        url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        listener.autocommit = True
        with listener.cursor() as cursor:
            cursor.execute(f'LISTEN "todo_user_{alice.id}"')
        secret = "Secret plan: surprise party"
        todo = add(database, alice, secret)
        edited = database.run(
            lambda s: todos.update_todo(
                s,
                owner_id=alice.id,
                todo_id=todo.id,
                version=todo.version,
                title=f"{secret}, revised",
                description="the description is secret too",
            )
        )
        database.run(
            lambda s: todos.delete_todo(
                s, owner_id=alice.id, todo_id=todo.id, version=edited.version
            )
        )
        notifications = []
        deadline = time.monotonic() + 5
        while len(notifications) < 3 and time.monotonic() < deadline:
            select.select([listener], [], [], 0.1)
            listener.poll()
            while listener.notifies:
                notifications.append(listener.notifies.pop(0))
    finally:
        listener.close()
    client = database.client_id  # the writer's tag, so an app can skip its own changes
    assert [(n.channel, n.payload) for n in notifications] == [
        (f"todo_user_{alice.id}", f"{todo.id}:{todo.version}:{client}"),
        (f"todo_user_{alice.id}", f"{todo.id}:{edited.version}:{client}"),
        (f"todo_user_{alice.id}", f"{todo.id}:deleted:{client}"),
    ]
    for notification in notifications:
        assert re.fullmatch(r"\d+:(\d+|deleted):[0-9a-f]{16}", notification.payload)
        assert "secret" not in notification.payload.lower()


async def test_feed_listens_again_after_its_connection_is_killed_and_catches_up(
    postgres_database: Database,
    admin: sa.Engine,
    tmp_path: Path,
) -> None:
    postgres_database.engine.dispose()  # its pool carries the app's name
    database = named(postgres_database, "other-terminal")  # the other terminal
    alice = register(database)
    kept, edited, deleted = (add(database, alice, t) for t in ("keep", "edit me", "delete me"))
    async with logged_in(postgres_database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        table.move_cursor_to(kept.id)
        (listening,) = app_backends(admin)  # one connection: the work's and the feed's
        # The database thread held (as a slow job would), so the changes below come first.
        held = threading.Event()
        pilot.app.database_thread.submit(lambda: held.wait(10))
        with admin.connect() as connection:
            assert connection.execute(
                sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": listening}
            ).scalar_one()
        # Meanwhile: changes no NOTIFY can bring to this terminal.
        add(database, alice, "added")
        database.run(
            lambda s: todos.update_todo(
                s,
                owner_id=alice.id,
                todo_id=edited.id,
                version=edited.version,
                title="edited",
                description=None,
            )
        )
        database.run(
            lambda s: todos.delete_todo(
                s, owner_id=alice.id, todo_id=deleted.id, version=deleted.version
            )
        )
        assert app_backends(admin) == [], "the feed listened again before the changes"
        held.set()
        await eventually(
            pilot,
            lambda: shown(pilot) == {"added": False, "edited": False, "keep": False},
            "the changes made while it was not listening",
            timeout=sum(live.BACKOFF[:2]) + 5,
        )
        (again,) = app_backends(admin)
        assert again != listening
        assert table.cursor_todo.id == kept.id
        # And it goes on listening: the next change arrives by NOTIFY.
        add(database, alice, "after")
        latency = await eventually(pilot, lambda: "after" in shown(pilot), "a later change")
        assert latency <= LATENCY
    database.dispose()


# ---------------------------------------------------------------------------------------
# Neon's pooler: polling, decided from the host name (no network)


def test_a_pooler_host_is_polled_and_a_direct_host_listens() -> None:
    def feed(url: str) -> ChangeFeed:
        database = Database(load_settings(database_url=url, environ={}))
        return ChangeFeed(
            database, 1, on_changes=print, on_snapshot=print, on_online=print, idle_for=lambda: 0.0
        )

    neon = "postgresql://alex:pw@ep-cool-darkness-123456{}.us-east-2.aws.neon.tech/neondb"
    pooled = feed(neon.format("-pooler") + "?sslmode=require")
    direct = feed(neon.format("") + "?sslmode=require")
    try:
        assert pooled.listens is False
        assert direct.listens is True
    finally:
        pooled.database.dispose()
        direct.database.dispose()


# ---------------------------------------------------------------------------------------
# Idle: after IDLE_LIMIT without a key press the feed stops talking to the server; the next
# key press resumes it and catches up


async def test_idle_feed_stops_talking_to_the_server_and_a_key_press_resumes_it(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "IDLE_LIMIT", 1.0)
    # Talkative while awake, so that silence means paused: a poll, or a liveness check of
    # the listening connection, about every 0.2 s.
    monkeypatch.setattr(live, "POLL_INTERVAL", 0.2)
    monkeypatch.setattr(live, "LISTEN_WAKEUP", 0.2)
    monkeypatch.setattr(live, "LISTEN_CHECK", 0.2)
    alice = register(database)
    kept, deleted = add(database, alice, "keep"), add(database, alice, "delete me")
    postgres = database.dialect == "postgresql"
    async with contextlib.AsyncExitStack() as stack:
        settings = database.settings
        if postgres:  # the app's connections go through a proxy that counts its queries
            server = sa.make_url(database.settings.database.url)
            wire = stack.enter_context(WireProxy(server.host, server.port))
            url = wire.url(database.settings.database.url)
            settings = replace(
                settings, database=load_settings(database_url=url, environ={}).database
            )
            admin = sa.create_engine(
                database.settings.database.url,
                isolation_level="AUTOCOMMIT",
                connect_args={"application_name": "test-admin"},
            )
            stack.callback(admin.dispose)
        pilot = await stack.enter_async_context(logged_in(settings, tmp_path))
        screen = pilot.app.screen
        queries: list[str] = []  # SQLite: the statements of the app's engine
        event.listen(
            pilot.app.database.engine,
            "before_cursor_execute",
            lambda conn, cursor, statement, *rest: queries.append(statement),
        )

        def talked() -> int:
            return wire.count if postgres else len(queries)

        def forget() -> None:
            if postgres:
                wire.reset()
            queries.clear()

        await pilot.press("down")  # a key: awake for IDLE_LIMIT from now
        forget()
        await eventually(pilot, talked, "the feed talking while the user is there", timeout=1)
        await eventually(pilot, lambda: screen.feed.paused, "the feed paused", timeout=3)
        if postgres:
            database.engine.dispose()  # the other terminal's pool carries the app's name
            await eventually(pilot, lambda: not app_backends(admin), "no connection held")
        forget()
        add(database, alice, "added while idle")
        database.run(
            lambda s: todos.delete_todo(
                s, owner_id=alice.id, todo_id=deleted.id, version=deleted.version
            )
        )
        await throughout(
            pilot,
            lambda: talked() == 0 and shown(pilot) == {"delete me": False, "keep": False},
            "the paused feed sends nothing (and so sees nothing)",
            period=1.0,
        )
        await pilot.press("up")  # the user is back
        latency = await eventually(
            pilot,
            lambda: shown(pilot) == {"added while idle": False, "keep": False},
            "caught up after the key press",
        )
        assert latency <= LATENCY
        assert talked()
        assert table_of(pilot).cursor_todo.id == kept.id


# ---------------------------------------------------------------------------------------
# Robustness: a failure the feed did not expect; a screen gone while the feed delivers


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("a bug in a callback"), sa.exc.InvalidRequestError("an unclassified error")],
    ids=["callback", "sqlalchemy"],
)
def test_an_unexpected_failure_is_logged_and_the_feed_carries_on(
    database: Database,
    failure: Exception,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(live, "BACKOFF", (0.05,))
    alice = register(database)
    reports: list[object] = []

    def on_snapshot(snapshot: live.Snapshot, taken_at: float) -> None:
        reports.append("snapshot")
        if len(reports) == 1:
            raise failure

    feed = ChangeFeed(
        database,
        alice.id,
        on_changes=reports.append,
        on_snapshot=on_snapshot,
        on_online=reports.append,
        idle_for=lambda: 0.0,
    )
    feed.start()
    try:
        wait_until(lambda: len(reports) >= 2, "a catch-up after the failure")
    finally:
        feed.stop()
    # Connected again and caught up; never reported offline (the connection was fine).
    assert reports == ["snapshot", "snapshot"]
    (logged,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.name == "todo_tui.live" and logged.exc_info[1] is failure


async def test_logging_out_while_the_feed_delivers_raises_nothing(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    add(database, alice, "keep")
    async with logged_in(database.settings, tmp_path) as pilot:
        app, feed = pilot.app, pilot.app.screen.feed
        arrived, go_on = threading.Event(), threading.Event()
        failures: list[Exception] = []
        call_from_thread = app.call_from_thread

        def held(callback: Callable, *arguments: object) -> object:
            """The feed's deliveries wait, on their way to the screen, until told."""
            if not callback.__qualname__.startswith("TodoListScreen._from_feed"):
                return call_from_thread(callback, *arguments)
            arrived.set()
            go_on.wait(10)
            try:
                return call_from_thread(callback, *arguments)
            except Exception as exc:
                failures.append(exc)
                raise

        app.call_from_thread = held
        add(database, alice, "added elsewhere")  # a poll's snapshot, or a NOTIFY
        await eventually(pilot, arrived.is_set, "the change on its way to the screen")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        go_on.set()  # delivered now, the list screen gone
        await eventually(pilot, lambda: not feed.running, "the feed stopped")
        assert failures == []


# ---------------------------------------------------------------------------------------
# A snapshot taken before this terminal's own add (or undone delete) committed, but
# delivered after it, does not hide the todo


async def test_a_snapshot_older_than_an_add_of_this_terminal_does_not_hide_it(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    kept = add(database, alice, "keep")

    def snapshot() -> tuple[live.Snapshot, float]:
        taken_at = time.monotonic()  # as the feed does: just before its query
        return database.run(lambda s: todos.list_versions(s, owner_id=alice.id)), taken_at

    async with logged_in(database.settings, tmp_path) as pilot:
        screen = pilot.app.screen
        screen.feed.stop()  # the snapshots here are the test's, delivered in its order
        await eventually(pilot, lambda: not screen.feed.running, "the feed stopped")
        before_add = snapshot()
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, "#title", "added here")
        await pilot.press("enter")
        await settle(pilot)
        screen._compare(*before_add)  # delivered late
        assert shown(pilot) == {"added here": False, "keep": False}

        table_of(pilot).move_cursor_to(kept.id)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("enter")  # confirmed
        await settle(pilot)
        assert shown(pilot) == {"added here": False}
        before_undo = snapshot()
        await pilot.press("u")
        await settle(pilot)
        screen._compare(*before_undo)  # delivered late
        assert shown(pilot) == {"added here": False, "keep": False}

        # A snapshot taken after the add is believed: the todo is gone.
        gone = (before_undo[0], time.monotonic())
        screen._compare(*gone)
        assert shown(pilot) == {"added here": False}


# ---------------------------------------------------------------------------------------
# Reconnecting while other terminals write: nothing is missed (LISTEN committed first)


def test_no_change_is_missed_across_reconnects_with_concurrent_writers(
    postgres_database: Database, admin: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writers change the list all the time while the feed's connection is killed again
    and again: after each reconnect the feed's view (its catch-up, then its notifications,
    applied by version as the list screen does) is the database's, once the writers pause.
    With LISTEN and the catch-up read in one transaction, a change committed between the
    read's snapshot and the LISTEN's commit was in neither."""
    monkeypatch.setattr(live, "BACKOFF", (0.05,))
    rounds, writers_count = 20, 3
    database = postgres_database
    alice = register(database)
    with admin.connect() as connection:  # a catch-up read of some length: a wider window
        connection.execute(
            sa.text(
                "INSERT INTO todo (title, user_id) "
                "SELECT 'todo ' || n, :owner FROM generate_series(1, 5000) AS n"
            ),
            {"owner": alice.id},
        )
    name = f"feed-{uuid.uuid4().hex[:8]}"
    feed_database = named(database, name)
    view: dict[int, int] = {}
    catch_ups = [0]
    lock = threading.Lock()

    def on_snapshot(snapshot: live.Snapshot, taken_at: float) -> None:
        with lock:
            for todo_id in set(view) - set(snapshot):
                del view[todo_id]
            for todo_id, version in snapshot.items():
                view[todo_id] = max(view.get(todo_id, 0), version)
            catch_ups[0] += 1

    def on_changes(changes: live.Changes) -> None:
        with lock:
            for todo_id, version in changes.items():
                if version is None:
                    view.pop(todo_id, None)
                else:
                    view[todo_id] = max(view.get(todo_id, 0), version)

    writing = threading.Event()
    stopping = threading.Event()
    idle = [threading.Event() for _ in range(writers_count)]
    writes = [0]

    def write(number: int) -> None:
        other = Database(database.settings)
        mine: list = []
        try:
            while not stopping.is_set():
                if not writing.is_set():
                    idle[number].set()
                    writing.wait(0.05)
                    continue
                idle[number].clear()
                writes[0] += 1
                step = len(mine) % 3
                if step == 0 or len(mine) < 2:
                    mine.append(add(other, alice, f"writer {number}"))
                elif step == 1:
                    todo = mine.pop(0)
                    mine.append(
                        other.run(
                            lambda s, t=todo: todos.set_completed(
                                s,
                                owner_id=alice.id,
                                todo_id=t.id,
                                version=t.version,
                                completed=not t.is_completed,
                            )
                        )
                    )
                else:
                    todo = mine.pop(0)
                    other.run(
                        lambda s, t=todo: todos.delete_todo(
                            s, owner_id=alice.id, todo_id=t.id, version=t.version
                        )
                    )
        finally:
            idle[number].set()
            other.dispose()

    def in_database() -> dict[int, int]:
        return database.run(lambda s: todos.list_versions(s, owner_id=alice.id))

    def feed_backends() -> list[int]:
        return app_backends(admin, name)

    feed = ChangeFeed(
        feed_database,
        alice.id,
        on_changes=on_changes,
        on_snapshot=on_snapshot,
        on_online=lambda online: None,
        idle_for=lambda: 0.0,
    )
    writers = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(writers_count)]
    missed = 0
    feed.start()
    for writer in writers:
        writer.start()
    try:
        wait_until(lambda: catch_ups[0] == 1 and feed_backends(), "the feed listening")
        for _ in range(rounds):
            writing.set()
            before = catch_ups[0]
            with admin.connect() as connection:
                for pid in feed_backends():
                    connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            wait_until(lambda: catch_ups[0] > before, "caught up after the reconnect")  # noqa: B023
            after = writes[0]
            wait_until(lambda: writes[0] > after + 10, "more writes after the catch-up")  # noqa: B023
            writing.clear()
            for flag in idle:
                assert flag.wait(10)
            expected = in_database()
            deadline = time.monotonic() + 3
            while True:
                with lock:
                    same = view == expected
                if same or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            missed += not same
        assert missed == 0, f"{missed} of {rounds} reconnects missed changes"
        with lock:
            assert view == in_database()
    finally:
        stopping.set()
        writing.set()
        for writer in writers:
            writer.join(10)
        feed.stop()
        feed_database.dispose()


# ---------------------------------------------------------------------------------------
# Polling (SQLite, poolers): the owner's change counter, which no sequence of edits leaves
# where it was. The feed polls only when the test lets it: each sequence between two polls.


def _undo_a_delete_and_delete_another(db: Database, owner: int, made: dict) -> None:
    # Before: x at version 1 deleted (and seen deleted); y at version 2. The undone delete
    # adds one todo and one version, the other delete takes one todo and two versions
    # away: (count, sum of versions, max id) is where it was.
    restored = db.run(lambda s: todos.restore_todo(s, owner_id=owner, todo=made["x"]))
    assert restored.version == made["y"].version
    db.run(lambda s: todos.delete_todo(s, owner_id=owner, todo_id=made["y"].id, version=2))


def _delete_one_and_add_one(db: Database, owner: int, made: dict) -> None:
    db.run(lambda s: todos.delete_todo(s, owner_id=owner, todo_id=made["z"].id, version=1))
    db.run(lambda s: todos.add_todo(s, owner_id=owner, title="new"))


def _toggle_twice(db: Database, owner: int, made: dict) -> None:
    z = made["z"]
    db.run(
        lambda s: todos.set_completed(s, owner_id=owner, todo_id=z.id, version=1, completed=True)
    )
    db.run(
        lambda s: todos.set_completed(s, owner_id=owner, todo_id=z.id, version=2, completed=False)
    )


@pytest.mark.parametrize(
    "between_polls",
    [_undo_a_delete_and_delete_another, _delete_one_and_add_one, _toggle_twice],
    ids=["undone-delete-and-another-delete", "delete-and-add", "toggle-twice"],
)
def test_polling_reports_every_sequence_of_changes_between_two_polls(
    database: Database, between_polls: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "POLL_INTERVAL", 0.0)
    alice = register(database)
    x, y, z = (add(database, alice, title) for title in ("x", "y", "z"))
    y = database.run(
        lambda s: todos.set_completed(s, owner_id=alice.id, todo_id=y.id, version=1, completed=True)
    )
    may_poll, polled = threading.Semaphore(0), threading.Semaphore(0)
    gating = [True]
    counter = todos.change_counter

    def gated(session, *, owner_id: int) -> int:
        if gating[0]:
            may_poll.acquire()
        try:
            return counter(session, owner_id=owner_id)
        finally:
            polled.release()

    monkeypatch.setattr(todos, "change_counter", gated)
    reports: list[live.Snapshot] = []
    feed = ChangeFeed(
        database,
        alice.id,
        on_changes=lambda changes: pytest.fail("polling reports snapshots only"),
        on_snapshot=lambda snapshot, taken_at: reports.append(snapshot),
        on_online=lambda online: None,
        idle_for=lambda: 0.0,
    )
    feed.listens = False  # PostgreSQL through a pooler polls the same way

    def poll() -> None:
        may_poll.release()
        assert polled.acquire(timeout=10), "the feed did not poll"

    def stored_versions() -> dict[int, int]:
        return database.run(lambda s: todos.list_versions(s, owner_id=alice.id))

    feed.start()
    try:
        poll()  # the first poll catches up
        wait_until(lambda: len(reports) == 1, "the first catch-up")
        # Interval 1: x deleted, and seen.
        database.run(lambda s: todos.delete_todo(s, owner_id=alice.id, todo_id=x.id, version=1))
        poll()
        wait_until(lambda: len(reports) == 2, "the delete reported")
        assert reports[-1] == stored_versions()
        poll()  # nothing changed: nothing reported
        # Interval 2: the sequence under test.
        between_polls(database, alice.id, {"x": x, "y": y, "z": z})
        poll()
        wait_until(lambda: len(reports) >= 3, "the sequence reported", timeout=2)
        poll()  # the previous poll is over: it reported once, where the database stands
        assert len(reports) == 3
        assert reports[-1] == stored_versions()
    finally:
        gating[0] = False
        may_poll.release()
        feed.stop()


def test_the_old_fingerprint_collides_where_the_change_counter_moves(database: Database) -> None:
    """The sequence of the test above, on the two markers (the old one computed here)."""
    alice = register(database)
    x, y, z = (add(database, alice, title) for title in ("x", "y", "z"))
    y = database.run(
        lambda s: todos.set_completed(s, owner_id=alice.id, todo_id=y.id, version=1, completed=True)
    )
    database.run(lambda s: todos.delete_todo(s, owner_id=alice.id, todo_id=x.id, version=1))

    def markers() -> tuple[tuple[int, int, int], int]:
        with database.engine.connect() as connection:
            fingerprint = connection.execute(
                sa.text(
                    "SELECT count(id), coalesce(sum(version), 0), coalesce(max(id), 0) "
                    "FROM todo WHERE user_id = :owner"
                ),
                {"owner": alice.id},
            ).one()
        counter = database.run(lambda s: todos.change_counter(s, owner_id=alice.id))
        return tuple(fingerprint), counter

    before = markers()
    _undo_a_delete_and_delete_another(database, alice.id, {"x": x, "y": y, "z": z})
    after = markers()
    assert after[0] == before[0]  # the collision the fingerprint had
    assert after[1] == before[1] + 2


# ---------------------------------------------------------------------------------------
# A batch of changes from elsewhere: one rebuild of the list per delivery, not per todo

BIG_LIST = 50_000
DELETED_ELSEWHERE = 1_000
# 1,000 deletes, one statement each, from another connection: the feed gathers what
# arrives within live.REPORT_EVERY into one report (or polls once a second) and the list
# rebuilds once per report. One rebuild per delete was 1,000 (25.9 s before a key was
# answered); now at most one per REPORT_EVERY (or poll), however slowly the deletes come.


async def test_a_thousand_deletes_elsewhere_on_50000_todos_rebuild_the_list_a_few_times(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    with database.engine.begin() as connection:
        connection.execute(
            sa.insert(Todo),
            [{"title": f"todo {n}", "user_id": alice.id} for n in range(BIG_LIST)],
        )
    ids = sorted(database.run(lambda s: todos.list_versions(s, owner_id=alice.id)))
    doomed, kept = ids[:: BIG_LIST // DELETED_ELSEWHERE], set(ids)
    kept.difference_update(doomed)
    other = Database(database.settings)
    try:
        async with logged_in(database.settings, tmp_path) as pilot:
            table = table_of(pilot)
            await eventually(pilot, lambda: table.total_count == BIG_LIST, "the list loaded")
            await settle(pilot)
            before = table.rebuild_count
            deleting = threading.Thread(
                target=lambda: [
                    other.run(
                        lambda s, i=i: todos.delete_todo(s, owner_id=alice.id, todo_id=i, version=1)
                    )
                    for i in doomed
                ]
            )
            started = time.monotonic()
            deleting.start()
            await eventually(
                pilot,
                lambda: not deleting.is_alive() and table.total_count == len(kept),
                "the deletes shown",
                timeout=60,
            )
            await settle(pilot)
            rebuilds = table.rebuild_count - before
            assert {todo.id for todo in table.all_todos} == kept
            took = time.monotonic() - started
            every = live.REPORT_EVERY if database.dialect == "postgresql" else live.POLL_INTERVAL
            assert 1 <= rebuilds <= took / every + 2, (rebuilds, took)
            assert rebuilds <= DELETED_ELSEWHERE / 10
    finally:
        other.dispose()


# ---------------------------------------------------------------------------------------
# A lost connection is logged as a warning in the classified sentence, never the password


def test_a_refused_connection_is_logged_as_one_warning_sentence_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:  # a port nobody listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secret = "S3cret-Pa55"
    url = f"postgresql://alice:{secret}@127.0.0.1:{port}/todo"
    database = Database(load_settings(database_url=url, environ={}), single_connection=True)
    failures: list[bool] = []
    feed = ChangeFeed(
        database,
        1,
        on_changes=print,
        on_snapshot=print,
        on_online=failures.append,
        idle_for=lambda: 0.0,
    )
    caplog.set_level(logging.WARNING, logger="todo_tui.live")
    feed.start()
    try:
        wait_until(lambda: failures == [False], "the feed offline")
    finally:
        feed.stop()
        database.dispose()
    records = [r for r in caplog.records if r.name == "todo_tui.live"]
    assert records and all(r.levelno == logging.WARNING and not r.exc_info for r in records)
    assert records[0].getMessage() == (
        "change feed: Cannot reach the database at 127.0.0.1: check that it is running and "
        "that DATABASE_URL is right. Reconnecting."
    )
    assert secret not in caplog.text


def test_the_database_thread_closes_the_idle_connection_once_after_its_idle_limit() -> None:
    """With no change feed (the log-in screen): on_idle once the thread had no work for
    idle_after, not again until more work came; the work itself runs in order."""
    released, done = [], []
    thread = DatabaseThread(on_idle=lambda: released.append(time.monotonic()), idle_after=0.2)
    try:
        for number in range(3):
            thread.submit(lambda number=number: done.append(number))
        wait_until(lambda: len(released) == 1, "released after the idle limit")
        assert done == [0, 1, 2]
        idle_from = released[0]
        wait_until(lambda: time.monotonic() - idle_from > 0.5, "a while longer, idle")
        assert len(released) == 1  # once
        thread.submit(lambda: done.append(3))
        wait_until(lambda: len(released) == 2, "released again after more work")
        assert done == [0, 1, 2, 3]
    finally:
        thread.stop()
        assert thread.join(5)
