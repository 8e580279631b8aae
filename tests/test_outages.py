"""An unavailable server (PostgreSQL only; see tests/outage.py): a clear notice, the list
still readable, reconnects on a capped schedule that catch up, and start-up and log in
that try again by themselves.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from textual.pilot import Pilot
from textual.widgets import Static

from tests.outage import (
    Server,
    by_id,
    logged_in,
    severe,
    status,
    table_of,
    titles,
)
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
    stored,
    wait_until,
)
from todo_tui import live, todos
from todo_tui.db import ANSWER_GRACE, Database
from todo_tui.testing.wire import WireProxy

# ---------------------------------------------------------------------------------------
# Server unreachable: a clear notice, still readable, reconnects and catches up


@pytest.mark.parametrize("hang", [False, True], ids=["reset", "hang"])
async def test_unreachable_server_notice_reading_and_recovery(
    server: Server, tmp_path: Path, hang: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeout = 2
    monkeypatch.setattr(live, "LISTEN_CHECK", 1.0)  # a hang is silent until the feed asks
    alice = register(server.other)
    for title in ("alpha", "beta", "gamma"):
        add(server.other, alice, title)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        settings = server.settings_for(wire.url(server.url), connect_timeout=timeout)
        async with logged_in(settings, tmp_path) as (pilot, notes):
            table = table_of(pilot)
            assert titles(pilot) == ["gamma", "beta", "alpha"]
            gamma, beta, _ = table.visible_todos
            cut_at = time.monotonic()
            wire.cut(hang=hang)

            # An action: a clear notice within the deadlines the connect timeout sets.
            pressed_at = time.monotonic()
            await pilot.press("space")  # toggle gamma
            # Still usable for reading while the call waits: the list, cursor, search.
            lines = [table.render_line(y).text for y in range(3)]
            assert all(t in line for t, line in zip(titles(pilot), lines, strict=True)), lines
            # (gamma, shown done while its toggle waits, sits below the open todos)
            await pilot.press("home", "down")
            assert table.cursor_todo.title == titles(pilot)[1]
            await pilot.press("slash")
            await pilot.press(*"alp")
            await pilot.pause()
            assert titles(pilot) == ["alpha"]
            await pilot.press("escape")
            await pilot.pause()
            assert sorted(titles(pilot)) == ["alpha", "beta", "gamma"]
            await eventually(
                pilot,
                lambda: severe(notes, ("error",)),
                "a notice that the database cannot be reached",
                timeout=timeout + ANSWER_GRACE + 3,
            )
            ((message, noticed_at),) = [(m, at) for level, m, at in notes if level == "error"]
            assert message in CONNECTION_SENTENCES
            assert noticed_at - pressed_at <= timeout + ANSWER_GRACE + 0.5
            assert not table.get(gamma.id).is_completed  # the toggle undone

            # The change feed notices too: the list says it is offline once a reconnect
            # has failed as well (a connection dropped while idle is usually back at the
            # first retry, and then the user is not bothered). A reset is seen at once; a
            # hang when the feed's check of its silent connection gets no answer in time.
            await eventually(
                pilot, lambda: "offline" in status(pilot), "the offline indicator", timeout=15
            )
            (lost_at,) = [at for _, m, at in notes if m.startswith("Lost the connection")]
            retry = live.BACKOFF[0] + timeout  # the first reconnect, failing
            if hang:
                limit = live.LISTEN_CHECK + live.LISTEN_WAKEUP + timeout + ANSWER_GRACE + retry
            else:
                limit = retry
            assert lost_at - cut_at <= limit
            assert titles(pilot) == ["gamma", "beta", "alpha"]  # still shown

            # Meanwhile, another terminal changes things; then the network is back.
            add(server.other, alice, "delta")
            server.other.run(
                lambda s: todos.delete_todo(
                    s, owner_id=alice.id, todo_id=beta.id, version=beta.version
                )
            )
            wire.restore()
            await eventually(
                pilot,
                lambda: "offline" not in status(pilot) and "delta" in titles(pilot),
                "back online with the change made meanwhile",
                timeout=sum(live.BACKOFF[:4]) + 2 * timeout + 2,
            )
            assert "beta" not in titles(pilot)
            assert any(m == "Reconnected to the database." for _, m, _ in notes)
            # Everything as the database holds it (a hang's held toggle may land late).
            await eventually(
                pilot,
                lambda: sorted(table.all_todos, key=by_id) == stored(server.other, alice),
                "the list as the database holds it",
            )


CONNECTION_SENTENCES = {
    "The connection to the database was lost.",
    "Cannot reach the database at 127.0.0.1: check that it is running and that "
    "DATABASE_URL is right.",
    "127.0.0.1 did not answer in time: check that the server is up, and try again.",
}


def count_connects(database: Database, record: Callable[[], None]) -> None:
    """`record()` before every attempt to open a connection of `database`'s engine: first
    of its do_connect handlers, since the one that drops refused start-up options connects
    by itself and the handlers after it are not called."""
    engine = database.engine
    others = list(engine.dialect.dispatch.do_connect)
    for handler in others:
        event.remove(engine, "do_connect", handler)
    event.listen(engine, "do_connect", lambda *args: record())
    for handler in others:
        event.listen(engine, "do_connect", handler)


def test_change_feed_reconnects_on_a_capped_schedule_and_catches_up(
    server: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A long outage: the waits between attempts grow to the cap (BACKOFF[-1], 2 s, jittered
    down by at most JITTER) and stay there, so the server gets one attempt every 1.6-2 s and
    the feed is back at the first attempt after the server is."""
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        database = Database(server.settings_for(wire.url(server.url)))
        attempts: list[float] = []
        count_connects(database, lambda: attempts.append(time.monotonic()))
        reports: list[object] = []
        feed = live.ChangeFeed(
            database,
            alice.id,
            on_changes=lambda changes: reports.append(changes),
            on_snapshot=lambda snapshot, taken_at: reports.append("snapshot"),
            on_online=lambda online: reports.append(online),
            idle_for=lambda: 0.0,
        )
        delays: list[float] = []
        delay = feed._delay

        def chosen(attempt: int) -> float:
            delays.append(delay(attempt))
            return delays[-1]

        monkeypatch.setattr(feed, "_delay", chosen)
        feed.start()
        try:
            # The first connection is no news: only the catch-up is reported.
            wait_until(lambda: reports == ["snapshot"], "a catch-up")
            wire.cut()
            wait_until(lambda: len(attempts) >= 6, "five reconnect attempts")
            assert reports == ["snapshot", False]  # offline once, not once per attempt
            add(server.other, alice, "made while offline")
            failed = len(attempts)
            wire.restore()
            wait_until(lambda: reports[2:] == [True, "snapshot"], "back online, then a catch-up")
            assert len(attempts) == failed + 1  # back at the first attempt after the server
        finally:
            feed.stop()
            database.dispose()
    cap = live.BACKOFF[-1]
    assert cap <= 2.0
    for attempt, chosen_delay in enumerate(delays):
        base = live.BACKOFF[min(attempt, len(live.BACKOFF) - 1)]
        assert base * (1 - live.JITTER) <= chosen_delay <= base, (attempt, delays)
    # Each attempt waited its chosen delay (no hammering), however slow the host is.
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts[1:])]
    assert all(gap >= wait for gap, wait in zip(gaps, delays[1:], strict=False)), (gaps, delays)
    # A lost connection is routine here, not an error with a traceback: one warning per
    # failure, in the classified sentence, never the password.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    warnings = [r.getMessage() for r in caplog.records if r.name == "todo_tui.live"]
    assert warnings, caplog.text
    assert all(
        m.removeprefix("change feed: ").removesuffix(" Reconnecting.") in CONNECTION_SENTENCES
        or m == "change feed: reconnected to the database."
        for m in warnings
    ), warnings


def test_every_outage_is_retried_once_before_it_is_reported(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a connection works again the backoff starts afresh: a second outage, like the
    first, is retried after BACKOFF[0] before the user is told, and is told once."""
    monkeypatch.setattr(live, "BACKOFF", (0.1, 0.2, 0.3))
    monkeypatch.setattr(live, "JITTER", 0.0)
    alice = register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        database = Database(server.settings_for(wire.url(server.url)))
        events: list[object] = []  # appended on the feed's thread only: in order
        count_connects(database, lambda: events.append("connect"))
        feed = live.ChangeFeed(
            database,
            alice.id,
            on_changes=lambda changes: None,
            on_snapshot=lambda snapshot, taken_at: events.append("snapshot"),
            on_online=lambda online: events.append(online),
            idle_for=lambda: 0.0,
        )
        delay = feed._delay

        def backoff(attempt: int) -> float:  # the feed's backoff waits: which ones it chose
            events.append(("backoff", delay(attempt)))
            return events[-1][1]

        monkeypatch.setattr(feed, "_delay", backoff)
        feed.start()
        outages: list[list[object]] = []
        try:
            wait_until(lambda: events == ["connect", "snapshot"], "connected, caught up")
            for _ in range(2):
                start = len(events)
                wire.cut()
                wait_until(
                    lambda: events[start:].count("connect") >= 2,  # noqa: B023
                    "a reconnect failed after the first retry",
                )
                wire.restore()
                wait_until(
                    lambda: events[-3:] == ["connect", True, "snapshot"],
                    "back online, caught up",
                )
                outages.append(events[start:])
        finally:
            feed.stop()
            database.dispose()
    for outage in outages:
        # The drop; BACKOFF[0]; a retry, failing: now reported; BACKOFF[1]...
        assert outage[:4] == [("backoff", 0.1), "connect", False, ("backoff", 0.2)], outage
        assert outage.count(False) == 1, outage
        assert outage.count(True) == 1, outage


# ---------------------------------------------------------------------------------------
# Start-up and log in try again by themselves while the server cannot be reached


def error_text(pilot: Pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_start_up_goes_on_by_itself_once_the_server_answers(
    server: Server, tmp_path: Path
) -> None:
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        wire.cut()
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "StartupScreen"
            assert error_text(pilot, "#startup-message") in CONNECTION_SENTENCES
            refused = wire.connections
            wire.restore()
            took = await eventually(
                pilot, lambda: screen_name(pilot) == "LoginScreen", "on to log in", timeout=6
            )
            assert took <= 2.0 + 2  # the next attempt, every 2 s, and its answer
            await settle(pilot)
        assert refused == 0  # nothing got through while cut: the move on is the retry's


async def test_start_up_tries_again_every_2_s_one_attempt_at_a_time(
    server: Server, tmp_path: Path
) -> None:
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        wire.cut()
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        attempts: list[float] = []
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            screen = pilot.app.screen
            check = screen.check

            def counted(**options) -> None:
                attempts.append(time.monotonic())
                check(**options)

            screen.check = counted
            await eventually(pilot, lambda: len(attempts) >= 3, "three attempts", timeout=10)
            assert screen_name(pilot) == "StartupScreen"
            assert screen.has_class("-failed")  # the sentence stays between attempts
            screen.check = lambda **options: None  # no attempt left in flight at the exit
            await settle(pilot)
        gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
        assert all(gap >= 2.0 for gap in gaps), gaps


async def test_log_in_proceeds_by_itself_once_the_server_answers(
    server: Server, tmp_path: Path
) -> None:
    """Enter pressed while the network is down: the sentence says so; once it is back, the
    log in the user asked for goes through without another key press."""
    register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "LoginScreen"
            wire.cut()
            await log_in(pilot, EMAIL, PASSWORD)
            assert screen_name(pilot) == "LoginScreen"
            assert error_text(pilot, "#password-error") in CONNECTION_SENTENCES
            wire.restore()
            await eventually(
                pilot, lambda: screen_name(pilot) == "TodoListScreen", "logged in", timeout=6
            )
            assert pilot.app.screen.user.email == EMAIL
            await settle(pilot)


async def test_log_in_changed_meanwhile_is_not_sent_by_itself_the_sentence_clears(
    server: Server, tmp_path: Path
) -> None:
    register(server.other)
    host = sa.make_url(server.url)
    with WireProxy(host.host, host.port) as wire:
        app = make_app(server.settings_for(wire.url(server.url), connect_timeout=2), tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            wire.cut()
            await log_in(pilot, EMAIL, "not the password")
            assert error_text(pilot, "#password-error") in CONNECTION_SENTENCES
            await fill(pilot, "#password", PASSWORD)  # typed on, not sent
            wire.restore()
            await eventually(
                pilot, lambda: error_text(pilot, "#password-error") == "", "the sentence cleared"
            )
            assert screen_name(pilot) == "LoginScreen"
            assert not [q for q in wire.queries if 'FROM "user"' in q]  # no log in sent
            await pilot.press("enter")
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
