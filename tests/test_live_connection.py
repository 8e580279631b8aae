"""The change feed's connection: what PostgreSQL's NOTIFY carries, listening again after
the connection is killed without missing a change, polling behind Neon's pooler, the idle
connection closed, and a lost connection logged as one sentence without the password.
"""

from __future__ import annotations

import logging
import re
import select
import socket
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from tests.feeds import (
    LATENCY,
    app_backends,
    logged_in,
    named,
    shown,
    table_of,
)
from tests.pilot import (
    add,
    eventually,
    register,
    wait_until,
)
from todo_tui import live, todos
from todo_tui.config import load_settings
from todo_tui.database_thread import DatabaseThread
from todo_tui.db import Database
from todo_tui.live import ChangeFeed

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
            for todo_id in set(view) - set(snapshot.versions):
                del view[todo_id]
            for todo_id, version in snapshot.versions.items():
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
        return database.run(lambda s: todos.list_versions(s, owner_id=alice.id)).versions

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
