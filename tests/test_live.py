"""Live updates on the list screen, on both databases: changes made in another terminal
show within 2 seconds, the feed goes quiet while the user is away, survives failures and
a screen gone, keeps this terminal's own adds, and rebuilds a big list a few times only.

Another terminal is simulated with the services (todo_tui.todos) on an engine of its own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from tests.feeds import (
    LATENCY,
    app_backends,
    logged_in,
    shown,
    table_of,
    throughout,
)
from tests.pilot import (
    add,
    eventually,
    fill,
    register,
    screen_name,
    settle,
    wait_until,
)
from todo_tui import live, todos
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.live import ChangeFeed
from todo_tui.models import Todo
from todo_tui.testing.wire import WireProxy

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
        arrived, go_on, delivered = threading.Event(), threading.Event(), threading.Event()
        failures: list[Exception] = []
        on_ui = app.on_ui

        def held(callback: Callable, *arguments: object) -> object:
            """The feed's deliveries wait, on their way to the screen, until told."""
            if not callback.__qualname__.startswith("TodoListScreen._from_feed"):
                return on_ui(callback, *arguments)
            arrived.set()
            go_on.wait(10)

            def guarded(*arguments: object) -> None:
                try:
                    callback(*arguments)
                except Exception as exc:
                    failures.append(exc)
                    raise
                finally:
                    delivered.set()

            return on_ui(guarded, *arguments)

        app.on_ui = held  # type: ignore[method-assign]
        add(database, alice, "added elsewhere")  # a poll's snapshot, or a NOTIFY
        await eventually(pilot, arrived.is_set, "the change on its way to the screen")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        go_on.set()  # delivered now, the list screen gone
        await eventually(pilot, delivered.is_set, "the change delivered")
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
        screen._catch_up(*before_add)  # delivered late
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
        screen._catch_up(*before_undo)  # delivered late
        assert shown(pilot) == {"added here": False, "keep": False}

        # A snapshot taken after the add is believed: the todo is gone.
        gone = (before_undo[0], time.monotonic())
        screen._catch_up(*gone)
        assert shown(pilot) == {"added here": False}


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
    ids = sorted(database.run(lambda s: todos.list_versions(s, owner_id=alice.id)).versions)
    doomed, kept = ids[:: BIG_LIST // DELETED_ELSEWHERE], set(ids)
    kept.difference_update(doomed)
    other = Database(database.settings)
    try:
        async with logged_in(database.settings, tmp_path) as pilot:
            table = table_of(pilot)
            await eventually(pilot, lambda: sum(table.counts) == BIG_LIST, "the list loaded")
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
                lambda: not deleting.is_alive() and sum(table.counts) == len(kept),
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
