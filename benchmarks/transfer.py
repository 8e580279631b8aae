"""`python -m benchmarks.transfer`: import of 10,000 taskwarrior tasks (in one transaction)
and export of 10,000 todos in each format, on SQLite and on PostgreSQL on loopback.

Goals (the performance budget): import ≤ 3 s on PostgreSQL, export ≤ 1 s. An import is
timed from the file's bytes to the commit (reading and checking included), split into its
reading and its writing; medians of --repeat runs, each into a fresh account.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC
from pathlib import Path

from benchmarks import scaled
from benchmarks.databases import maybe_postgres, migrate

SIZE = scaled(10_000, 500)
IMPORT_GOAL = 3.0
EXPORT_GOAL = 1.0


def taskwarrior_export(size: int) -> bytes:
    """`task export` of `size` tasks: a third done, tags, projects, priorities, due dates,
    an annotation on every fifth."""
    tasks = []
    for n in range(size):
        task = {
            "id": n + 1,
            "description": f"Task number {n}: water the plants and call the plumber",
            "entry": "20261101T090000Z",
            "modified": "20261102T090000Z",
            "status": "completed" if n % 3 == 0 else "pending",
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "tags": [f"tag{n % 40}", f"area{n % 7}"],
            "project": f"project{n % 12}",
            "urgency": 1.8,
        }
        if n % 3 == 0:
            task["end"] = "20261103T090000Z"
        if n % 2 == 0:
            task["priority"] = "HML"[n % 3]
            task["due"] = f"202612{1 + n % 28:02d}T000000Z"
        if n % 5 == 0:
            task["annotations"] = [{"entry": "20261101T100000Z", "description": "a note"}]
        tasks.append(task)
    return json.dumps(tasks).encode()


def _owner(database, email: str) -> int:
    from todo_tui.auth import register

    with database.session() as session:
        return register(session, email=email, password="benchmark password", rounds=4).id


def measure(url: str, repeat: int, size: int = SIZE) -> dict[str, float]:
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.transfer import EXPORT_FORMATS, read_import
    from todo_tui.transfer.service import export_todos, import_plan

    migrate(url)
    database = Database(load_settings(database_url=url, environ={}))
    data = taskwarrior_export(size)
    samples: dict[str, list[float]] = {"read": [], "write": [], "import": []}
    owner = 0
    try:
        for run in range(repeat):
            owner = _owner(database, f"bench{run}@example.com")
            started = time.perf_counter()
            plan = read_import(data, zone=UTC)
            read = time.perf_counter()
            with database.session() as session:
                result = import_plan(session, owner_id=owner, plan=plan)
            written = time.perf_counter()
            assert len(result.added) == size, result.summary
            samples["read"].append(read - started)
            samples["write"].append(written - read)
            samples["import"].append(written - started)
        for format in EXPORT_FORMATS:
            samples[f"export {format}"] = []
            for _ in range(repeat):
                started = time.perf_counter()
                with database.session() as session:
                    export_todos(session, owner_id=owner, format=format, zone=UTC)
                samples[f"export {format}"].append(time.perf_counter() - started)
    finally:
        database.dispose()
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=scaled(3, 1))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--size", type=int, default=SIZE, help="todos (the goals are for 10,000)")
    args = parser.parse_args()
    columns: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        columns["SQLite"] = measure(sqlite_url, args.repeat, args.size)
    with maybe_postgres(not args.no_postgres) as server:
        if server is not None:
            columns["PostgreSQL"] = measure(server.new_database(), args.repeat, args.size)
    names = list(next(iter(columns.values())))
    print(f"{args.size:,} todos, median of {args.repeat} (seconds)")
    print(f"{'':<18}" + "".join(f"{name:>12}" for name in columns) + f"{'goal':>8}")
    for name in names:
        goal = {"import": IMPORT_GOAL}.get(name, EXPORT_GOAL if "export" in name else None)
        cells = "".join(f"{column[name]:>12.3f}" for column in columns.values())
        print(f"{name:<18}{cells}{'' if goal is None else f'≤ {goal:g}':>8}")


if __name__ == "__main__":
    main()
