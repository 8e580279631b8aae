"""Due dates, tags and quick add, measured: 10,000 todos with 3 tags each loaded (statements
counted) and painted, and each view switched to (filtered and painted); the quick-add
preview's work per key on the UI thread; dateparser's import and first reading (done in a
worker by the app).

    python -m benchmarks.tags_and_dates [POSTGRES_ADMIN_URL]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks import scaled

SIZE = scaled(10_000, 500)
TAGS_EACH = 3
LINE = "Pay rent due:tomorrow@9am #home !high"


def seed(url: str) -> int:
    """One user with SIZE todos, each with TAGS_EACH of 30 tags and most with a due date."""
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.schema import upgrade_to_head

    database = Database(load_settings(database_url=url, environ={}))
    upgrade_to_head(database)
    database.dispose()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://"))
    today = date.today()
    with engine.begin() as connection:
        run = connection.execute
        user_id = run(
            sa.text(
                "INSERT INTO \"user\" (email, hashed_password) VALUES ('b@example.com', 'x') "
                "RETURNING id"
            )
        ).scalar_one()
        run(
            sa.text("INSERT INTO tag (user_id, name) VALUES (:u, :n)"),
            [{"u": user_id, "n": f"tag{n}"} for n in range(30)],
        )
        tag_ids = [r[0] for r in run(sa.text("SELECT id FROM tag ORDER BY id"))]
        run(
            sa.text(
                "INSERT INTO todo (title, user_id, is_completed, priority, due_date, version) "
                "VALUES (:t, :u, :d, :p, :due, 1)"
            ),
            [
                {
                    "t": f"Todo number {i}: water the plants and call the plumber",
                    "u": user_id,
                    "d": i % 3 == 0,
                    "p": i % 4,
                    "due": today + timedelta(days=i % 40 - 10) if i % 5 else None,
                }
                for i in range(SIZE)
            ],
        )
        todo_ids = [r[0] for r in run(sa.text("SELECT id FROM todo ORDER BY id"))]
        run(
            sa.text("INSERT INTO todo_tag (todo_id, tag_id) VALUES (:a, :b)"),
            [
                {"a": todo_id, "b": tag_ids[(n + k * 7) % 30]}
                for n, todo_id in enumerate(todo_ids)
                for k in range(TAGS_EACH)
            ],
        )
    engine.dispose()
    return user_id


def load(url: str, user_id: int) -> tuple[list, float, int]:
    from todo_tui import todos
    from todo_tui.config import load_settings
    from todo_tui.db import Database

    database = Database(load_settings(database_url=url, environ={}))
    statements: list[str] = []
    sa.event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    database.run(lambda s: todos.list_todos(s, owner_id=user_id))  # warm the connection
    timings = []
    for _ in range(5):
        statements.clear()
        start = time.perf_counter()
        records = database.run(lambda s: todos.list_todos(s, owner_id=user_id))
        timings.append(time.perf_counter() - start)
    database.dispose()
    return records, statistics.median(timings), len([s for s in statements if s != "BEGIN"])


async def paint(records: list) -> tuple[float, dict[str, float]]:
    """Seconds to show `records`, and to switch to each view (the tag's last) from All."""
    from textual.app import App

    from todo_tui import views
    from todo_tui.widgets.todo_table import TodoTable

    class One(App[None]):
        def compose(self):
            yield TodoTable(id="t")

    app = One()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(TodoTable)
        start = time.perf_counter()
        table.set_todos(records)
        await pilot.pause()
        painted = time.perf_counter() - start
        switches = {}
        for view in [*(v for v in views.VIEWS if v != "all"), views.tag_view("tag7")]:
            table.view = "all"
            await pilot.pause()
            start = time.perf_counter()
            table.view = view
            await pilot.pause()
            switches[view] = time.perf_counter() - start
        return painted, switches


def preview_per_key() -> tuple[float, float]:
    """The UI thread's work per key of LINE (split, fast date path, describe): median and
    worst, in ms, after dateparser was loaded (as the app has it, in a worker)."""
    from todo_tui.dates import Due, read_fast
    from todo_tui.quickadd import read_quick_add

    def fast(text: str, today: date) -> Due | None:
        reading = read_fast(text, today)
        return reading if isinstance(reading, Due) else None  # the rest: a worker's

    today = date.today()
    costs = []
    for end in range(1, len(LINE) + 1):
        start = time.perf_counter()
        read_quick_add(LINE[:end], today, fast).describe(today)
        costs.append((time.perf_counter() - start) * 1000)
    return statistics.median(costs), max(costs)


def parser_cost() -> tuple[float, float]:
    start = time.perf_counter()
    import dateparser  # noqa: F401

    imported = time.perf_counter()
    from todo_tui.dates import read_due

    read_due("5 days from now", date.today())
    return (imported - start) * 1000, (time.perf_counter() - imported) * 1000


def main() -> None:
    importing, first = parser_cost()
    print(f"dateparser: import {importing:.0f} ms, first reading {first:.0f} ms (in a worker)")
    median, worst = preview_per_key()
    print(f"quick-add preview per key (UI thread): median {median:.3f} ms, worst {worst:.3f} ms")
    urls = [f"sqlite:///{Path(tempfile.mkdtemp()) / 'tags.db'}"]
    if len(sys.argv) > 1:
        admin_url = sys.argv[1].replace("postgresql://", "postgresql+psycopg2://", 1)
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"todo_tui_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.make_url(sys.argv[1]).set(database=name).render_as_string(hide_password=False)
        urls.append(url)
    try:
        for url in urls:
            user_id = seed(url)
            records, seconds, statements = load(url, user_id)
            painted, switches = asyncio.run(paint(records))
            kind = url.split(":")[0]
            print(
                f"{kind}: {len(records):,} todos x {TAGS_EACH} tags: load {seconds * 1000:.0f} ms "
                f"in {statements} statement(s), paint {painted * 1000:.0f} ms, "
                f"together {(seconds + painted) * 1000:.0f} ms (budget 500)"
            )
            print("  view switch, filtered and painted (no round trip):")
            for view, took in switches.items():
                print(f"    {view:<10} {took * 1000:6.1f} ms")
    finally:
        if len(urls) > 1:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
