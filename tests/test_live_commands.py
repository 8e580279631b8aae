"""A todo added, completed or deleted by the command line shows in a terminal that is open
on the list, like any change made elsewhere, on both databases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.feeds import LATENCY, logged_in, table_of
from tests.pilot import eventually, register
from todo_tui import sessions, todos, tokens
from todo_tui.db import Database

TIMEOUT = 60


def command_line(database: Database, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "todo_tui", *args],
        env={**environ, "DATABASE_URL": database.settings.database.url},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


async def test_the_command_lines_changes_show_in_an_open_list(
    database: Database, tmp_path: Path
) -> None:
    alice = register(database)
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        # The command line's own session on this computer, beside the app's.
        started = database.run(lambda s: sessions.create(s, user=alice))
        tokens.save(database.settings.database, started.token)
        added = await asyncio.to_thread(
            command_line, database, "add", "From", "the", "shell", "#cli", "!high"
        )
        assert (added.returncode, added.stderr) == (0, ""), added.stderr
        (todo,) = database.run(lambda s: todos.list_todos(s, owner_id=alice.id))
        assert added.stdout.startswith(f"Added {todo.id}: From the shell")
        await eventually(
            pilot, lambda: table.get(todo.id) is not None, "the added todo", timeout=LATENCY * 3
        )
        shown = table.get(todo.id)
        assert (shown.title, shown.tags, shown.priority) == ("From the shell", ("cli",), 3)
        done = await asyncio.to_thread(command_line, database, "done", str(todo.id))
        assert done.returncode == 0, done.stderr
        await eventually(
            pilot, lambda: table.get(todo.id).is_completed, "done", timeout=LATENCY * 3
        )
        removed = await asyncio.to_thread(command_line, database, "rm", str(todo.id))
        assert removed.returncode == 0, removed.stderr
        await eventually(pilot, lambda: table.get(todo.id) is None, "deleted", timeout=LATENCY * 3)
