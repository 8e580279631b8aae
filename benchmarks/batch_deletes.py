"""`python -m benchmarks.batch_deletes`: 1,000 deletes from another connection on a list of
50,000 todos, as the list screen of a running app receives them.

Prints, for SQLite and for PostgreSQL on loopback: the longest gap of a 10 ms heartbeat on
the UI loop while the deletes arrive (the stall; goal < 50 ms), how many times the list
rebuilt, and the seconds from the first delete to the last one shown. PostgreSQL:
TODO_TUI_BENCH_DATABASE_URL (a loopback server's admin URL), else
postgresql://postgres@127.0.0.1:5432/postgres; a database is created there and dropped.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from benchmarks import scaled
from todo_tui import todos
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.models import Todo
from todo_tui.schema import upgrade_to_head
from todo_tui.testing import EMAIL, PASSWORD, feed_online, log_in, make_app, register, settle
from todo_tui.widgets.todo_table import TodoTable

SIZE = scaled(50_000, 2_000)
DELETES = scaled(1_000, 100)
GOAL_MS = 50
HEARTBEAT = 0.010
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DELETER = """
import json, sys
from todo_tui import todos
from todo_tui.config import load_settings
from todo_tui.db import Database

url, owner = sys.argv[1], int(sys.argv[2])
database = Database(load_settings(database_url=url, environ={}))
for todo_id in json.load(sys.stdin):
    database.run(
        lambda s, i=todo_id: todos.delete_todo(s, owner_id=owner, todo_id=i, version=1)
    )
database.dispose()
"""


async def measure(url: str, home: Path) -> dict[str, float]:
    settings = replace(load_settings(database_url=url, environ={}), bcrypt_rounds=4)
    database = Database(settings)
    upgrade_to_head(database)
    alice = register(database)
    with database.engine.begin() as connection:
        connection.execute(
            sa.insert(Todo), [{"title": f"todo {n}", "user_id": alice.id} for n in range(SIZE)]
        )
    ids = sorted(database.run(lambda s: todos.list_versions(s, owner_id=alice.id)).versions)
    doomed = ids[:: SIZE // DELETES][:DELETES]
    app = make_app(settings, home)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await log_in(pilot, EMAIL, PASSWORD)
            table = app.screen.query_one(TodoTable)
            while sum(table.counts) < SIZE or not feed_online(app.screen):
                await pilot.pause(0.05)
            await settle(pilot)
            rebuilds = table.rebuild_count
            gaps: list[float] = []
            beating = True

            async def beat() -> None:
                last = time.perf_counter()
                while beating:
                    await asyncio.sleep(HEARTBEAT)
                    now = time.perf_counter()
                    gaps.append(now - last - HEARTBEAT)
                    last = now

            heart = asyncio.create_task(beat())
            started = time.perf_counter()

            # Another terminal is another process: its work does not compete for this GIL.
            deleting = subprocess.Popen(
                [sys.executable, "-c", DELETER, url, str(alice.id)],
                stdin=subprocess.PIPE,
                text=True,
            )
            assert deleting.stdin is not None
            deleting.stdin.write(json.dumps(doomed))
            deleting.stdin.close()
            while deleting.poll() is None or sum(table.counts) > SIZE - DELETES:
                await asyncio.sleep(0.05)
            assert deleting.returncode == 0
            shown_after = time.perf_counter() - started
            beating = False
            await heart
            return {
                "stall_ms": max(gaps) * 1000,
                "rebuilds": table.rebuild_count - rebuilds,
                "shown_after_s": shown_after,
            }
    finally:
        database.dispose()


def postgres_url() -> tuple[str, str, sa.Engine] | None:
    server = os.environ.get("TODO_TUI_BENCH_DATABASE_URL", DEFAULT_SERVER)
    admin = sa.create_engine(
        load_settings(database_url=server, environ={}).database.url, isolation_level="AUTOCOMMIT"
    )
    name = f"todo_tui_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        admin.dispose()
        return None
    return f"{server.rsplit('/', 1)[0]}/{name}", name, admin


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="todo-tui-bench-") as tmp:
        home = Path(tmp)
        rows.append(("SQLite", asyncio.run(measure(f"sqlite:///{home}/big.db", home))))
        if (made := postgres_url()) is not None:
            url, name, admin = made
            try:
                rows.append(("PostgreSQL", asyncio.run(measure(url, home))))
            finally:
                with admin.connect() as connection:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()
    print(f"{DELETES:,} deletes elsewhere on a list of {SIZE:,} todos")
    print(f"{'database':<12}{'UI stall ms':>12}{'goal':>6}{'':>8}{'rebuilds':>10}{'shown s':>9}")
    for name, result in rows:
        met = "met" if result["stall_ms"] < GOAL_MS else "MISSED"
        print(
            f"{name:<12}{result['stall_ms']:>12.0f}{f'<{GOAL_MS}':>6}{met:>8}"
            f"{result['rebuilds']:>10.0f}{result['shown_after_s']:>9.1f}"
        )


if __name__ == "__main__":
    main()
