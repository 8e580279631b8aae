"""An import shows in a terminal that is open on the list, like any change made elsewhere,
on both databases: every todo of a batched, single-transaction import, with its tags."""

from __future__ import annotations

from pathlib import Path

from tests.feeds import LATENCY, logged_in, table_of
from tests.pilot import eventually, register
from todo_tui import todos
from todo_tui.db import Database
from todo_tui.transfer import read_import
from todo_tui.transfer.service import BATCH, import_plan


async def test_an_import_elsewhere_shows_in_an_open_list(database: Database, tmp_path: Path):
    alice = register(database)
    size = BATCH + 200  # two batches
    text = "".join(f"(B) Imported todo {n} +moved +batch{n % 3}\n" for n in range(size))
    plan = read_import(text.encode())
    async with logged_in(database.settings, tmp_path) as pilot:
        table = table_of(pilot)
        result = database.run(lambda s: import_plan(s, owner_id=alice.id, plan=plan))
        assert len(result.added) == size
        ids = [t.id for t in database.run(lambda s: todos.list_todos(s, owner_id=alice.id))]
        await eventually(
            pilot,
            lambda: all(table.get(i) is not None for i in ids),
            "every imported todo",
            timeout=LATENCY * 5,  # 1,200 todos arriving at once: in a few batches
        )
        last = table.get(ids[-1])
        assert (last.title, last.priority) == (f"Imported todo {size - 1}", 2)
        assert last.tags == (f"batch{(size - 1) % 3}", "moved")
