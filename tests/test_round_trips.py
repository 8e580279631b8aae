"""Round trips per action, counted on the wire, the way the benchmarks count them.

Every action of the app is one SQL statement on an AUTOCOMMIT connection, so it must cost
exactly one round trip to PostgreSQL. These tests put todo_tui.testing.wire (a loopback proxy that
counts the query messages psycopg2 sends) between the app and the server, so BEGIN, COMMIT
and liveness pings count too: a cursor listener would miss all three. A change that adds a
round trip to an action fails here.

PostgreSQL only by nature: SQLite has no wire and no round trips.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from textual.pilot import Pilot

import todo_tui.db
from tests.pilot import create_account, fill, log_in, make_app, screen_name, settle, wait_until
from todo_tui import auth, sessions, tokens
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.schema import SchemaState, schema_status
from todo_tui.testing.wire import WireProxy
from todo_tui.widgets.todo_table import TodoTable

pytestmark = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)

EMAIL = "alice@example.com"
PASSWORD = "correct horse"
VERSION_QUERY = "SELECT version_num FROM todo_tui_alembic_version"
# What SQLAlchemy sends on an engine's first connection (its dialect set-up), at most:
# the hstore probe (BEGIN, SELECT, ROLLBACK) and four queries of the PostgreSQL dialect.
MAX_ENGINE_SETUP = 7


@pytest.fixture(scope="module")
def wire(databases) -> Iterator[WireProxy]:
    server = sa.make_url(databases.server_url)
    with WireProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def through(wire: WireProxy) -> Iterator[Callable[[Database], Database]]:
    """`through(database)`: a new Database (own engine and pool) on the same data, whose
    connections go through the proxy."""
    made: list[Database] = []

    def make(database: Database) -> Database:
        url = wire.url(database.settings.database.url)
        settings = replace(
            database.settings, database=load_settings(database_url=url, environ={}).database
        )
        made.append(Database(settings))
        return made[-1]

    yield make
    for database in made:
        database.dispose()


def split_setup(queries: list[str]) -> tuple[list[str], list[str]]:
    """(the engine's set-up queries, the rest): set-up is everything before our first query."""
    first = queries.index(VERSION_QUERY)
    return queries[:first], queries[first:]


# ---------------------------------------------------------------------------------------
# The proxy sees what a cursor listener cannot


def test_wire_counts_begin_commit_and_pings_that_a_cursor_listener_misses(
    database: Database, wire: WireProxy
) -> None:
    url = wire.url(database.settings.database.url)
    engine = sa.create_engine(url, pool_pre_ping=True)  # psycopg2's defaults: transactions
    seen_by_listener: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen_by_listener.append(args[2]))
    try:
        with engine.connect() as connection:  # a new connection: set-up, not counted below
            connection.exec_driver_sql("SELECT 1").all()
        wire.reset()
        seen_by_listener.clear()
        with engine.connect() as connection:  # pooled: pre-pinged on checkout
            connection.exec_driver_sql("SELECT 2").all()
            connection.commit()
    finally:
        engine.dispose()
    assert seen_by_listener == ["SELECT 2"]
    assert wire.queries == ["SELECT 1", "BEGIN", "SELECT 2", "COMMIT"]
    assert wire.count == 4
    assert wire.connections == 0


def test_cut_drops_connections_and_refuses_new_ones_until_restored(
    database: Database, wire: WireProxy
) -> None:
    url = wire.url(database.settings.database.url).replace("+psycopg2", "")
    connection = psycopg2.connect(url, connect_timeout=5)
    connection.autocommit = True
    try:
        wire.cut()
        with pytest.raises(psycopg2.OperationalError), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(url, connect_timeout=5)
    finally:
        wire.restore()
        connection.close()
    again = psycopg2.connect(url, connect_timeout=5)
    try:
        with again.cursor() as cursor:
            cursor.execute("SELECT 42")
            assert cursor.fetchone() == (42,)
    finally:
        again.close()


def test_a_hang_holds_traffic_until_restored(database: Database, wire: WireProxy) -> None:
    url = wire.url(database.settings.database.url).replace("+psycopg2", "")
    connection = psycopg2.connect(url, connect_timeout=5)
    connection.autocommit = True
    result: list[object] = []

    def query() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 'held'")
            result.append(cursor.fetchone())

    try:
        wire.reset()
        wire.cut(hang=True)
        worker = threading.Thread(target=query, daemon=True)
        worker.start()
        wait_until(lambda: wire.count == 1, "the query to reach the proxy")
        assert worker.is_alive()  # held: neither the query nor an answer was delivered
        assert result == []
        wire.restore()
        worker.join(10)
        assert result == [("held",)]
        assert wire.open_connections >= 1  # the same connection survived the hang
    finally:
        wire.restore()
        connection.close()


# ---------------------------------------------------------------------------------------
# The schema check and the pool


def test_schema_check_is_one_round_trip_and_set_up_is_apart(
    database: Database, through, wire: WireProxy
) -> None:
    db = through(database)
    wire.reset()
    assert schema_status(db).state is SchemaState.UP_TO_DATE  # the engine's first connection
    setup, rest = split_setup(wire.queries)
    assert wire.connections == 1
    assert rest == [VERSION_QUERY]
    assert len(setup) <= MAX_ENGINE_SETUP, setup
    assert not any("todo" in query or "user" in query for query in setup)

    wire.reset()
    assert schema_status(db).state is SchemaState.UP_TO_DATE  # warm
    assert wire.queries == [VERSION_QUERY]
    assert wire.count == 1
    assert wire.connections == 0


def test_a_second_connection_of_an_engine_sends_no_set_up_queries(
    database: Database, through, wire: WireProxy
) -> None:
    db = through(database)
    with db.engine.connect():
        pass
    wire.reset()
    with db.engine.connect() as first, db.engine.connect() as second:
        second.exec_driver_sql("SELECT 1")
        assert first is not second
    assert wire.connections == 1
    assert wire.queries == ["SELECT 1"]


@pytest.mark.parametrize(
    ("idle", "expected"),
    [(0, []), (29, []), (31, ["SELECT 1"])],
    ids=["just-used", "29s-idle", "31s-idle"],
)
def test_liveness_check_only_after_30_s_idle(
    database: Database, through, wire: WireProxy, idle: float, expected: list[str]
) -> None:
    assert todo_tui.db.PING_AFTER_IDLE == 30.0
    db = through(database)
    aging = {"seconds": 0.0}

    @event.listens_for(db.engine, "checkin")  # after the app's own checkin listener
    def _age(dbapi_connection, record) -> None:
        record.info["idle_since"] -= aging["seconds"]

    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 'used'")
        aging["seconds"] = idle  # the connection goes back to the pool `idle` seconds ago
    aging["seconds"] = 0.0
    wire.reset()
    with db.engine.connect():  # the checkout under test
        pass
    assert wire.queries == expected
    assert wire.connections == 0


def test_a_connection_idle_past_the_suspend_timeout_is_replaced_without_set_up(
    database: Database, through, wire: WireProxy
) -> None:
    db = through(database)

    @event.listens_for(db.engine, "checkin")
    def _age(dbapi_connection, record) -> None:
        record.info["idle_since"] -= todo_tui.db.RECONNECT_AFTER_IDLE + 1

    with db.engine.connect():
        pass
    wire.reset()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert wire.connections == 1  # a new connection: the server's start-up, counted apart
    assert wire.startups >= 1
    assert wire.queries == ["SELECT 1"]


# ---------------------------------------------------------------------------------------
# Every action of the app, through its screens


# The live feed's own queries on the app's one connection, counted apart: its LISTEN (and
# the LISTEN that checks a silent connection), the catch-up after it, its UNLISTEN.
LIVE_FEED = ("LISTEN", "UNLISTEN", "SELECT id, version FROM todo WHERE user_id = ")


async def one_action(pilot, wire: WireProxy, action: Callable[[], Awaitable[None]]) -> list[str]:
    """The queries one action costs, in order: every query in the window, from any thread,
    except the live feed's own (its LISTEN and the catch-up that goes with it). Fails if
    one of them needed a new connection: actions run on the warm connection."""
    await settle(pilot)
    wire.reset()
    await action()
    await settle(pilot)
    sent = [(n, q) for n, q in wire.sent if not q.startswith(LIVE_FEED)]
    new = wire.new_connections
    cold = [q for n, q in sent if n in new]
    assert not cold, f"new connection for {cold}; everything sent: {wire.sent}"
    assert wire.count == len(wire.queries), wire.messages  # simple queries only
    return [q for _, q in sent]


def assert_sent(queries: list[str], *expected: str) -> None:
    """The action sent exactly these statements ('INSERT todo'…), in this order."""
    assert kinds(queries) == list(expected), "\n".join(["the action sent:", *queries])


def kinds(queries: list[str]) -> list[str]:
    """'SELECT FROM "user"', 'INSERT todo'…: the statement and its table, for messages."""
    named = []
    for query in queries:
        words = query.split()
        table = next(
            (
                w.strip('"')
                for w in words
                if w.strip('"') in {"user", "todo", "todo_tui_alembic_version", "login_session"}
            ),
            "?",
        )
        named.append(f"{words[0].upper()} {table}")
    return named


@contextlib.asynccontextmanager
async def running(db: Database, wire: WireProxy, tmp_path: Path) -> AsyncIterator[Pilot]:
    """The app on `db`, started (schema checked) and at the login screen."""
    app = make_app(db.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        yield pilot


async def live_feed_started(pilot: Pilot, wire: WireProxy) -> None:
    """After a log in: until the list screen's live feed (if it LISTENs) has sent its LISTEN,
    and the UI has settled, so its start-up stays out of the next action's count."""
    feed = getattr(pilot.app.screen, "feed", None)
    if feed is not None and getattr(feed, "listens", False):
        wait_until(
            lambda: any(q.startswith("LISTEN") for _, q in wire.sent), "the live feed's LISTEN"
        )
    await settle(pilot)


@contextlib.asynccontextmanager
async def logged_in(
    database: Database, db: Database, wire: WireProxy, tmp_path: Path, *titles: str
) -> AsyncIterator[Pilot]:
    """The app on `db` with Alice logged in, her todos `titles` added, the cursor on the
    last one."""
    with database.session() as session:
        auth.register(session, email=EMAIL, password=PASSWORD, rounds=4)
    async with running(db, wire, tmp_path) as pilot:
        wire.reset()
        await log_in(pilot, EMAIL, PASSWORD)
        await live_feed_started(pilot, wire)
        for title in titles:
            await add(pilot, title)
        await settle(pilot)
        yield pilot


async def add(pilot: Pilot, title: str) -> None:
    await pilot.press("a")
    await fill(pilot, "#title", title)
    await pilot.press("enter")


def table_of(pilot: Pilot) -> TodoTable:
    return pilot.app.screen.query_one(TodoTable)


async def test_start_up_is_one_new_connection_and_one_round_trip(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    db = through(database)
    wire.reset()
    async with running(db, wire, tmp_path):
        setup, rest = split_setup(wire.queries)
        assert wire.connections == 1
        assert rest == [VERSION_QUERY]
        assert len(setup) <= MAX_ENGINE_SETUP, setup


async def test_create_account_is_one_insert_then_the_list(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with running(through(database), wire, tmp_path) as pilot:

        async def register() -> None:
            await create_account(pilot, EMAIL, PASSWORD)
            await live_feed_started(pilot, wire)

        assert_sent(
            await one_action(pilot, wire, register),
            "INSERT user",
            "WITH login_session",  # the expired ones deleted, a new one inserted
            "SELECT todo",
        )
        assert screen_name(pilot) == "TodoListScreen"


async def test_log_in_is_one_select_one_session_and_loading_the_list_one_more(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    with database.session() as session:
        auth.register(session, email=EMAIL, password=PASSWORD, rounds=4)
    async with running(through(database), wire, tmp_path) as pilot:

        async def log_in_now() -> None:
            await log_in(pilot, EMAIL, PASSWORD)
            await live_feed_started(pilot, wire)

        assert_sent(
            await one_action(pilot, wire, log_in_now),
            "SELECT user",
            "WITH login_session",  # the expired ones deleted, a new one inserted
            "SELECT todo",
        )
        assert screen_name(pilot) == "TodoListScreen"


async def test_add_is_one_round_trip(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path) as pilot:
        assert_sent(await one_action(pilot, wire, lambda: add(pilot, "Buy milk")), "INSERT todo")
        assert [t.title for t in table_of(pilot).visible_todos] == ["Buy milk"]


async def test_edit_is_one_round_trip(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path, "Buy milk") as pilot:

        async def edit() -> None:
            await pilot.press("e")
            await fill(pilot, "#title", "Buy oat milk")
            await pilot.press("ctrl+s")

        assert_sent(await one_action(pilot, wire, edit), "UPDATE todo")
        assert table_of(pilot).cursor_todo.title == "Buy oat milk"


async def test_toggle_is_one_round_trip(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path, "Buy milk") as pilot:
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("space")), "UPDATE todo")
        assert table_of(pilot).cursor_todo.is_completed


async def test_delete_is_one_round_trip_and_undo_one_more(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path, "Buy milk") as pilot:

        async def delete() -> None:
            await pilot.press("d")
            await pilot.pause()
            assert screen_name(pilot) == "ConfirmDialog"
            await pilot.press("enter")

        assert_sent(await one_action(pilot, wire, delete), "DELETE todo")
        assert sum(table_of(pilot).counts) == 0
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("u")), "INSERT todo")
        assert sum(table_of(pilot).counts) == 1


async def test_reload_is_one_round_trip_and_log_out_one(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path, "Buy milk") as pilot:
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("r")), "SELECT todo")
        assert_sent(
            await one_action(pilot, wire, lambda: pilot.press("ctrl+l")), "DELETE login_session"
        )
        assert screen_name(pilot) == "LoginScreen"


OPEN_VIEW = '[defaults]\nview = "open"\n'


@pytest.mark.parametrize("open_view", [False, True], ids=["all", "open view"])
async def test_a_returning_launch_is_schema_check_session_and_list(
    database: Database, through, wire: WireProxy, tmp_path: Path, open_view: bool
) -> None:
    """Straight from launch to the list with a saved log in: one round trip each for the
    schema check, the session (an UPDATE … RETURNING, no bcrypt) and the list. On a view
    that shows no done todo, the list's one statement loads the open ones and counts the
    done ones."""
    db = through(database)
    with database.session() as session:
        user = auth.register(session, email=EMAIL, password=PASSWORD, rounds=4)
    started = database.run(lambda s: sessions.create(s, user=user))
    tokens.save(db.settings.database, started.token)  # the file for the database as reached
    if open_view:
        (tmp_path / "config.toml").write_text(OPEN_VIEW)
    try:
        wire.reset()
        app = make_app(db.settings, tmp_path)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen"
            await live_feed_started(pilot, wire)
            setup, rest = split_setup(wire.queries)
            assert len(setup) <= MAX_ENGINE_SETUP, setup
            rest = [q for q in rest if not q.startswith(LIVE_FEED)]
            assert kinds(rest) == [
                "SELECT todo_tui_alembic_version",
                "UPDATE login_session",
                "SELECT todo",
            ], rest
            assert wire.connections == 1
            assert ("count(" in rest[-1]) == open_view
            assert pilot.app.screen.table.holds_done != open_view
    finally:
        tokens.discard(db.settings.database)


async def test_the_session_check_of_an_open_terminal_is_one_select(
    database: Database, through, wire: WireProxy, tmp_path: Path
) -> None:
    async with logged_in(database, through(database), wire, tmp_path) as pilot:

        async def check() -> None:
            pilot.app.screen._check_session()

        assert_sent(await one_action(pilot, wire, check), "SELECT login_session")
        assert screen_name(pilot) == "TodoListScreen"  # it stands


async def test_the_done_view_first_shown_is_one_round_trip_then_none(
    database, through, wire, tmp_path
):
    """A long history: the done todos are loaded when the Done view is first shown, in one
    round trip, and held from then on."""
    (tmp_path / "config.toml").write_text(OPEN_VIEW)
    titles = [f"todo {n}" for n in range(3)]
    async with logged_in(database, through(database), wire, tmp_path, *titles) as pilot:
        table = table_of(pilot)
        await pilot.press("home", "space")
        await settle(pilot)
        assert (table.holds_done, table.counts) == (False, (2, 1))
        done_view = await one_action(pilot, wire, lambda: pilot.press("5"))
        assert_sent(done_view, "SELECT todo")
        assert (table.holds_done, table.visible_count) == (True, 1)
        # All open, All, Done again: held, nothing sent.
        assert_sent(await one_action(pilot, wire, lambda: pilot.press("3", "6", "5")))
