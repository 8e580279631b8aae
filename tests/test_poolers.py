"""Through a real PgBouncer in transaction mode, with TLS and SCRAM (tests/servers.py): a
pooler that is not Neon's, whose host name says nothing, and which refuses start-up options.

The app connects without them (found out once per engine), every service works, upgrades
run under their transaction-level lock, answers still have a client-side deadline, and the
change feed polls instead of listening.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa

from tests.pilot import wait_until
from tests.servers import PASSWORD, PgBouncer, ServerDatabases, TLSServer
from todo_tui import auth, todos
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.live import ChangeFeed
from todo_tui.schema import SchemaState, schema_status, upgrade_to_head

EMAIL = "alice@example.com"
USER_PASSWORD = "correct horse"


def refusals(bouncer: PgBouncer) -> int:
    """How many times PgBouncer has refused the `options` start-up parameter."""
    log = bouncer.folder / "pgbouncer.log"
    return log.read_text(errors="replace").count("pooler error: unsupported startup parameter")


def test_a_neon_shaped_url_connects_through_pgbouncer(pooled_databases, pgbouncer) -> None:
    url = pooled_databases.new_url()
    assert url.startswith("postgresql://neon_user:p%40ss%3Aw%2Frd%3F%23%25@127.0.0.1:")
    assert url.endswith("?sslmode=require")
    before = refusals(pgbouncer)
    database = Database(pooled_databases.settings(url))
    try:
        assert schema_status(database).state is SchemaState.EMPTY
        assert database.behind_pooler
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW ssl").scalar() == "on"
            # In a transaction-mode pool the server-side settings of ours never arrive.
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
        database.engine.dispose()  # new connections from here on: none is refused again
        for _ in range(3):
            with database.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            database.engine.dispose()
        assert refusals(pgbouncer) == before + 1
    finally:
        database.dispose()


def test_the_services_work_through_pgbouncer(pooled_databases) -> None:
    database = pooled_databases.migrated()
    rounds = database.settings.bcrypt_rounds

    def as_alice(work):
        return database.run(work)

    alice = as_alice(lambda s: auth.register(s, email=EMAIL, password=USER_PASSWORD, rounds=rounds))
    assert (
        as_alice(lambda s: auth.authenticate(s, email=EMAIL, password=USER_PASSWORD, rounds=rounds))
        == alice
    )
    todo = as_alice(lambda s: todos.add_todo(s, owner_id=alice.id, title="Through a pooler"))
    edited = as_alice(
        lambda s: todos.update_todo(
            s, owner_id=alice.id, todo_id=todo.id, version=todo.version,
            title="Edited", description="via PgBouncer",
        )
    )  # fmt: skip
    done = as_alice(
        lambda s: todos.set_completed(
            s, owner_id=alice.id, todo_id=todo.id, version=edited.version, completed=True
        )
    )
    # A stale version is a conflict that names the current one, as on a direct connection.
    with pytest.raises(todos.TodoConflict) as conflict:
        as_alice(
            lambda s: todos.set_completed(
                s, owner_id=alice.id, todo_id=todo.id, version=todo.version, completed=False
            )
        )
    assert conflict.value.current == done
    assert as_alice(lambda s: todos.list_todos(s, owner_id=alice.id)) == [done]
    as_alice(
        lambda s: todos.delete_todo(s, owner_id=alice.id, todo_id=todo.id, version=done.version)
    )
    assert as_alice(lambda s: todos.list_todos(s, owner_id=alice.id)) == []


def test_upgrades_through_pgbouncer_wait_for_each_other(pooled_databases) -> None:
    """pg_advisory_xact_lock holds in a transaction, which a transaction-mode pool keeps on
    one server connection: two upgrades at once, one applies, the other finds it done."""
    url = pooled_databases.new_url()
    first, second = (Database(pooled_databases.settings(url)) for _ in range(2))
    applied: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def upgrade(database: Database, into: list[str]) -> None:
        try:
            upgrade_to_head(database, lambda revision: into.append(revision.id))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=upgrade, args=pair)
        for pair in zip((first, second), applied, strict=True)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert sorted(map(len, applied))[0] == 0  # one of them had nothing left to do
        assert schema_status(first).state is SchemaState.UP_TO_DATE
    finally:
        first.dispose()
        second.dispose()


def test_answers_have_a_deadline_through_pgbouncer(pooled_databases) -> None:
    """No statement_timeout reaches the server through the pool: the client's own limit
    (connect timeout + 2 s) ends a call the server does not answer."""
    database = pooled_databases.migrated()
    quick = Database(replace(database.settings, connect_timeout=1))
    try:
        with pytest.raises(DatabaseFault) as caught, quick.session() as session:
            session.exec(sa.text("SELECT pg_sleep(30)"))
        assert caught.value.kind is FaultKind.TIMED_OUT
        assert "Neon" not in caught.value.sentence  # not a Neon host
    finally:
        quick.dispose()


def test_the_change_feed_polls_through_pgbouncer(pooled_databases) -> None:
    database = pooled_databases.migrated()
    other = Database(database.settings)  # another terminal, through the same pooler
    alice = database.run(lambda s: auth.register(s, email=EMAIL, password=USER_PASSWORD, rounds=4))
    changes: list[dict] = []
    snapshots: list[todos.Snapshot] = []
    feed = ChangeFeed(
        database,
        alice.id,
        on_changes=changes.append,
        on_snapshot=lambda snapshot, taken_at: snapshots.append(snapshot),
        on_online=lambda online: None,
        idle_for=lambda: 0.0,
    )
    assert database.behind_pooler and feed.listens is False
    feed.start()
    try:
        wait_until(lambda: snapshots, "the feed's first snapshot")
        added = other.run(lambda s: todos.add_todo(s, owner_id=alice.id, title="Elsewhere"))
        wait_until(
            lambda: (
                any(added.id in batch for batch in changes)
                or any(added.id in snapshot.versions for snapshot in snapshots[1:])
            ),
            "the other terminal's todo in this feed",
        )
    finally:
        feed.stop()
        other.dispose()


def test_db_upgrade_and_status_through_pgbouncer(pooled_databases) -> None:
    url = pooled_databases.new_url()
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "todo_tui", *args],
            env={**environ, "DATABASE_URL": url},
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    upgraded = cli("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Applied 0001" in upgraded.stdout
    status = cli("db", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("Database: postgresql://neon_user:***@127.0.0.1:")
    for result in (upgraded, status):
        output = result.stdout + result.stderr
        assert "Traceback" not in output
        assert PASSWORD not in output and "p%40ss" not in output


def test_the_urls_own_options_through_pgbouncer_get_their_own_sentence(
    tls_server: TLSServer, pgbouncer: PgBouncer
) -> None:
    """Before, any refusal of start-up options read "Cannot reach the database … check that
    it is running". Ours are dropped; the URL's own cannot be, and the sentence says so."""
    factory = ServerDatabases(tls_server, bouncer=pgbouncer)
    try:
        url = factory.new_url() + "&options=-c%20search_path%3Dpublic"
        database = Database(factory.settings(url))
        status = schema_status(database)
        database.dispose()
    finally:
        factory.close()
    assert status.state is SchemaState.UNREACHABLE
    assert "Cannot reach" not in status.summary
    assert "refuses the options parameter of DATABASE_URL" in status.summary


def test_a_pgbouncer_that_ignores_the_options_is_found_out_too(
    tls_server: TLSServer, pgbouncer_ignoring_options: PgBouncer
) -> None:
    """`ignore_startup_parameters = options` takes them without a word and drops them: the
    engine's first connection sees that its statement_timeout did not arrive."""
    factory = ServerDatabases(tls_server, bouncer=pgbouncer_ignoring_options)
    try:
        database = factory.migrated()
        assert database.behind_pooler
        assert refusals(pgbouncer_ignoring_options) == 0
        alice = database.run(
            lambda s: auth.register(s, email=EMAIL, password=USER_PASSWORD, rounds=4)
        )
        feed = ChangeFeed(
            database,
            alice.id,
            on_changes=print,
            on_snapshot=print,
            on_online=print,
            idle_for=lambda: 0.0,
        )
        assert feed.listens is False
    finally:
        factory.close()


def test_a_direct_connection_is_not_taken_for_a_pooler(tls_databases) -> None:
    database = tls_databases.migrated()
    assert schema_status(database).state is SchemaState.UP_TO_DATE
    assert not database.behind_pooler
