"""`python -m benchmarks`: todo-tui's performance budget, measured on this machine.

Prints one table per goal of the budget, for SQLite and for PostgreSQL on loopback, with the
machine it ran on, and writes everything (every sample) as JSON to benchmarks/results/.

- first frame and ready to log in: `python -m todo_tui` in a real pseudo-terminal, timed from
  process start to the first screen's text and to the login screen's, interleaved with a
  bare Textual app that shows one line; medians.
- round trips per action: counted on the wire by tests/wire.py's proxy (the query messages
  psycopg2 sends, BEGIN, COMMIT and pings included); for SQLite, the statements sqlite3 runs.
- action latency at distance: the same proxy delaying each direction by 25 ms.
- big lists: one user with 100, 1,000 and 10,000 todos; load and paint, cursor steps, memory.
- no stalls: the longest gap of a 10 ms heartbeat on the UI loop in each phase.

Only 127.0.0.1 is contacted. PostgreSQL: TODO_TUI_BENCH_DATABASE_URL (a loopback server's
admin URL), else postgresql://postgres@127.0.0.1:5432/postgres; the benchmark creates its own
databases there and drops them. Without a server the PostgreSQL columns say so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import machine
from benchmarks.bare_app import TEXT as BARE_TEXT
from benchmarks.terminal import run_in_terminal
from tests.wire import WireProxy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
FIRST_FRAME_TEXT = "Opening your todo list"
LOGIN_TEXT = "No account yet"
DISTANCE = 0.025  # seconds added in each direction
EMAIL = "bench@example.com"
PASSWORD = "benchmark password"
DEFAULT_ROUNDS = 12  # the app's default bcrypt cost: what users feel

GOALS = {
    "first_frame_ratio": 1.2,
    "ready_after_first_frame_ms": 300,
    "latency_over_rtt_ms": 10,
    "list_paint_ms": 500,
    "cursor_step_ms": 16,
    "peak_rss_mb": 200,
    "max_gap_ms": 50,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Databases


class Postgres:
    """Creates benchmark databases on a loopback server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        from todo_tui.config import load_settings

        self.admin_url = load_settings(database_url=admin_url, environ={}).database.url
        host = sa.make_url(self.admin_url).host or ""
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"benchmarks talk to 127.0.0.1 only, not {host}")
        self.engine = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        self.created: list[str] = []

    def version(self) -> str:
        with self.engine.connect() as connection:
            return connection.exec_driver_sql("SHOW server_version").scalar_one()

    def new_database(self) -> str:
        name = f"todo_tui_bench_{uuid.uuid4().hex[:10]}"
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return sa.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with self.engine.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.engine.dispose()


def migrate(url: str) -> None:
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.schema import upgrade_to_head

    database = Database(load_settings(database_url=url, environ={}))
    try:
        upgrade_to_head(database)
    finally:
        database.dispose()


def seed(url: str, size: int) -> int:
    """One user with `size` todos (a third done, some with descriptions); the user's id."""
    import bcrypt

    engine = sa.create_engine(url)
    user = sa.table("user", sa.column("id"), sa.column("email"), sa.column("hashed_password"))
    todo = sa.table(
        "todo",
        sa.column("title"),
        sa.column("description"),
        sa.column("is_completed"),
        sa.column("user_id"),
    )
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                sa.insert(user).values(email=EMAIL, hashed_password=hashed).returning(user.c.id)
            ).scalar_one()
            rows = [
                {
                    "title": f"Todo number {i}: water the plants and call the plumber",
                    "description": "Some details\non two lines" if i % 4 == 0 else None,
                    "is_completed": i % 3 == 0,
                    "user_id": user_id,
                }
                for i in range(size)
            ]
            for start in range(0, size, 2000):
                connection.execute(sa.insert(todo), rows[start : start + 2000])
    finally:
        engine.dispose()
    return user_id


# ---------------------------------------------------------------------------------------
# Children


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "DATABASE_URL"))}
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
    )
    env.pop("TODO_TUI_BCRYPT_ROUNDS", None)
    return env


def run_child(
    config: dict[str, Any], home: Path, wire: WireProxy | None, timeout: float = 240
) -> dict[str, Any]:
    """Run benchmarks.app_session with `config`, answering its requests about `wire`."""
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    config = {**config, "ctrl_in": to_child_r, "ctrl_out": from_child_w}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.app_session", json.dumps(config)],
            cwd=ROOT,
            env=child_env(home),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            pass_fds=(to_child_r, from_child_w),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        answer: dict[str, Any] | None = None
        buffer = b""
        deadline = time.monotonic() + timeout
        try:
            while answer is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{config['scenario']} took over {timeout} s")
                ready, _, _ = select.select([from_child_r], [], [], remaining)
                if not ready:
                    continue
                chunk = os.read(from_child_r, 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer and answer is None:
                    line, _, buffer = buffer.partition(b"\n")
                    message = json.loads(line)
                    if "result" in message or "error" in message:
                        answer = message
                    else:
                        reply = _control(wire, message)
                        os.write(to_child_w, (json.dumps(reply) + "\n").encode())
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            os.close(from_child_r)
            os.close(to_child_w)
        if answer is None or "error" in answer:
            output.seek(0)
            tail = output.read().decode("utf-8", "replace")[-3000:]
            problem = answer["error"] if answer else f"exit code {process.returncode}"
            raise RuntimeError(f"{config['scenario']} failed: {problem}\n{tail}")
        return answer["result"]


def _control(wire: WireProxy | None, message: dict[str, Any]) -> dict[str, Any]:
    assert wire is not None, message
    command = message["command"]
    if command == "reset":
        wire.reset()
        return {}
    if command == "read":
        return {
            "count": wire.count,
            "sent": wire.sent,
            "connections": wire.connections,
            "new": sorted(wire.new_connections),
            "startups": wire.startups,
        }
    if command == "delay":
        wire.delay = float(message["seconds"])
        return {}
    raise ValueError(f"unknown request {command!r}")


# ---------------------------------------------------------------------------------------
# Measurements


def measure_startup(
    targets: dict[str, str | None], home: Path, runs: int
) -> dict[str, dict[str, Any]]:
    """Real-pty launches, interleaved: the bare app, then todo-tui on each target (a
    DATABASE_URL, or None for the default SQLite file), rotating the order every run."""
    env = child_env(home)
    python = sys.executable
    launches: dict[str, Callable[[], dict[str, float]]] = {}

    def bare() -> dict[str, float]:
        run = run_in_terminal(
            [python, str(ROOT / "benchmarks" / "bare_app.py")], [BARE_TEXT], env=env, cwd=home
        )
        return {"first_frame": run.at(BARE_TEXT)}

    launches["bare Textual app"] = bare
    for name, url in targets.items():

        def app(url: str | None = url) -> dict[str, float]:
            run_env = dict(env, **({"DATABASE_URL": url} if url else {}))
            run = run_in_terminal(
                [python, "-m", "todo_tui"],
                [FIRST_FRAME_TEXT, LOGIN_TEXT],
                env=run_env,
                cwd=home,
            )
            return {"first_frame": run.at(FIRST_FRAME_TEXT), "ready": run.at(LOGIN_TEXT)}

        launches[name] = app
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in launches}
    names = list(launches)
    for index in range(runs + 1):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            sample = launches[name]()
            if index > 0:  # the first round warms the file cache and .pyc files
                samples[name].append(sample)
    results: dict[str, dict[str, Any]] = {}
    bare_median = statistics.median(s["first_frame"] for s in samples["bare Textual app"])
    for name, runs_ in samples.items():
        first = [s["first_frame"] * 1000 for s in runs_]
        entry: dict[str, Any] = {
            "first_frame_ms": statistics.median(first),
            "first_frame_samples_ms": first,
            "ratio_to_bare": statistics.median(first) / (bare_median * 1000),
        }
        if "ready" in runs_[0]:
            ready = [s["ready"] * 1000 for s in runs_]
            gaps = [(s["ready"] - s["first_frame"]) * 1000 for s in runs_]
            entry |= {
                "ready_ms": statistics.median(ready),
                "ready_samples_ms": ready,
                "ready_after_first_frame_ms": statistics.median(gaps),
            }
        results[name] = entry
    return results


def sqlite_statements(url: str) -> dict[str, Any]:
    """What SQLite runs for the schema check on a warm connection (statements)."""
    from sqlalchemy import event

    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.schema import schema_status

    database = Database(load_settings(database_url=url, environ={}))
    seen: list[str] = []
    event.listen(
        database.engine,
        "connect",
        lambda dbapi_connection, record: dbapi_connection.set_trace_callback(seen.append),
    )
    try:
        schema_status(database)
        seen.clear()
        schema_status(database)
        return {"schema check": {"count": len(seen), "queries": list(seen)}}
    finally:
        database.dispose()


def postgres_wire_counts(url: str, wire: WireProxy) -> dict[str, Any]:
    """The schema check on a new engine (its set-up apart) and warm; the liveness check."""
    from sqlalchemy import event

    from todo_tui import db as todo_db
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.schema import schema_status

    settings = load_settings(database_url=wire.url(url), environ={})
    database = Database(settings)
    counts: dict[str, Any] = {}
    try:
        wire.reset()
        schema_status(database)
        queries = wire.queries
        first = queries.index("SELECT version_num FROM todo_tui_alembic_version")
        counts["new connection set-up"] = {
            "count": first,
            "queries": queries[:first],
            "startup_messages": wire.startups,
            "connections": wire.connections,
        }
        counts["schema check (first)"] = {"count": len(queries) - first}
        wire.reset()
        schema_status(database)
        counts["schema check"] = {"count": wire.count, "queries": wire.queries}

        aging = {"seconds": 0.0}

        @event.listens_for(database.engine, "checkin")
        def _age(dbapi_connection, record) -> None:
            record.info["idle_since"] -= aging["seconds"]

        for idle in (5.0, todo_db.PING_AFTER_IDLE + 1):
            with database.engine.connect():
                aging["seconds"] = idle
            aging["seconds"] = 0.0
            wire.reset()
            with database.engine.connect():
                pass
            counts[f"checkout after {idle:.0f} s idle"] = {
                "count": wire.count,
                "queries": wire.queries,
            }
    finally:
        database.dispose()
    return counts


# ---------------------------------------------------------------------------------------
# Tables


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(title: str, header: list[str], rows: list[list[Any]], note: str = "") -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [title, "-" * len(title)]
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if note:
        lines.append(note)
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def render(results: dict[str, Any]) -> str:
    out = []
    m = results["machine"]
    out.append(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, load {m['load_average']}; "
        f"{m['platform']}\nPython {m['python']}, Textual {m['textual']}, SQLAlchemy "
        f"{m['sqlalchemy']}, psycopg2 {m['psycopg2']}, bcrypt {m['bcrypt']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {m['postgresql']}; run {results['started']}"
    )

    startup = results.get("startup")
    if startup:
        rows = []
        for name, entry in startup.items():
            ratio = entry["ratio_to_bare"]
            ready_gap = entry.get("ready_after_first_frame_ms")
            rows.append(
                [
                    name,
                    fmt(entry["first_frame_ms"]),
                    f"{ratio:.2f}",
                    "" if name.startswith("bare") else verdict(ratio <= GOALS["first_frame_ratio"]),
                    fmt(entry.get("ready_ms")),
                    fmt(ready_gap),
                    ""
                    if ready_gap is None or "@" in name
                    else verdict(ready_gap <= GOALS["ready_after_first_frame_ms"]),
                ]
            )
        out.append(
            table(
                f"Start-up in a real pty (median of {results['runs']} interleaved runs, ms)",
                [
                    "",
                    "first frame",
                    "x bare",
                    "<=1.2x",
                    "ready to log in",
                    "ready - first",
                    "<=300",
                ],
                rows,
                "ready = the login screen painted, on an up-to-date database; "
                "@25 ms: through the proxy, 25 ms each way (not a goal: shows the set-up's cost)",
            )
        )

    counts = results.get("round_trips")
    if counts:
        rows = []
        for action, goal in [
            ("new connection set-up", "apart"),
            ("schema check", "1"),
            ("log in + load list", "2"),
            ("add", "1"),
            ("edit", "1"),
            ("toggle", "1"),
            ("delete", "1"),
            ("reload", "1"),
            ("create account + load list", "2"),
            ("upgrade empty -> head", "-"),
            ("checkout after 5 s idle", "0"),
            ("checkout after 31 s idle", "1"),
        ]:
            pg = counts.get("postgresql", {}).get(action)
            lite = counts.get("sqlite", {}).get(action)
            ok = "" if goal in {"-", "apart"} or pg is None else verdict(str(pg) == goal)
            rows.append([action, fmt(pg), goal, ok, fmt(lite)])
        out.append(
            table(
                "Round trips per action (PostgreSQL: query messages on the wire, warm connection)",
                ["action", "PostgreSQL", "goal", "", "SQLite statements"],
                rows,
                "SQLite: statements sqlite3 ran, BEGIN/COMMIT/ROLLBACK included (no wire). "
                "New connection set-up: queries before the first statement of the app"
                + (
                    f" (+{counts['postgresql'].get('startup messages')} start-up messages)"
                    if "postgresql" in counts
                    else ""
                ),
            )
        )

    latency = results.get("latency")
    if latency:
        rows = []
        for action in ("add", "edit", "toggle", "delete", "reload", "log in + load list"):
            row = [action]
            for column in ("sqlite", "postgresql", "postgresql @25ms"):
                row.append(fmt(latency.get(column, {}).get(action)))
            far = latency.get("postgresql @25ms", {}).get(action)
            rtt = latency.get("rtt_ms")
            over = None if far is None or rtt is None else far - rtt
            row.append(fmt(over))
            row.append(
                verdict(over <= GOALS["latency_over_rtt_ms"])
                if over is not None and action in {"add", "toggle"}
                else ""
            )
            rows.append(row)
        out.append(
            table(
                "Action latency, key to result on screen (median, ms)",
                ["action", "SQLite", "PostgreSQL", "PG @25ms each way", "- 1 RTT", "RTT+10"],
                rows,
                f"1 RTT at 25 ms each way, measured: {fmt(latency.get('rtt_ms'), 1)} ms "
                f"(loopback: {fmt(latency.get('rtt_local_ms'), 2)} ms). "
                "log in + load list: bcrypt cost 12 and two round trips.",
            )
        )

    lists = results.get("big_lists")
    if lists:
        rows = []
        for dialect, by_size in lists.items():
            base = by_size[0]["peak_rss_mb"] if by_size else None
            for entry in by_size:
                steps = entry["step_ms"]
                rows.append(
                    [
                        dialect,
                        f"{entry['size']:,}",
                        fmt(entry["load_ms"]),
                        fmt(entry["paint_ms"]),
                        fmt(entry["load_and_paint_ms"]),
                        verdict(entry["load_and_paint_ms"] <= GOALS["list_paint_ms"]),
                        f"{fmt(median(steps), 1)}/{fmt(p95(steps), 1)}/{fmt(max(steps), 1)}",
                        fmt(median(entry["step_work_ms"]), 1),
                        verdict(p95(steps) <= GOALS["cursor_step_ms"]),
                        fmt(entry["end_ms"], 1),
                        fmt(entry["peak_rss_mb"]),
                        f"+{entry['peak_rss_mb'] - base:.0f}" if base is not None else "-",
                        verdict(entry["peak_rss_mb"] <= GOALS["peak_rss_mb"]),
                        fmt(entry["load_max_gap_ms"]),
                    ]
                )
        out.append(
            table(
                "Big lists (one user; ms unless said)",
                [
                    "db",
                    "todos",
                    "load",
                    "paint",
                    "total",
                    "<=500",
                    "step med/p95/max",
                    "step work",
                    "p95<=16",
                    "to end",
                    "peak MB",
                    "vs 100",
                    "<200MB",
                    "max gap",
                ],
                rows,
                "load: opening the list until the rows reach the screen object (query, records, "
                "sort); paint: until the frame is handed to the terminal driver. step: key to "
                "frame; step work: the screen update's own CPU time. peak: the process's max RSS.",
            )
        )

    stalls = results.get("stalls")
    if stalls:
        phases = []
        for per_db in stalls.values():
            phases += [p for p in per_db if p not in phases]
        rows = []
        for phase in phases:
            row = [phase]
            for dialect in stalls:
                row.append(fmt(stalls[dialect].get(phase)))
            worst = max((v for d in stalls.values() if (v := d.get(phase)) is not None), default=0)
            row.append(verdict(worst < GOALS["max_gap_ms"]))
            rows.append(row)
        out.append(
            table(
                "No stalls: longest gap between ticks of a 10 ms heartbeat on the UI loop (ms)",
                ["phase", *stalls.keys(), "<50"],
                rows,
                "actions: the worst of all repetitions; log in at bcrypt cost 12.",
            )
        )
    return "\n\n".join(out)


# ---------------------------------------------------------------------------------------
# The run


@contextlib.contextmanager
def maybe_postgres(enabled: bool) -> Iterator[Postgres | None]:
    if not enabled:
        yield None
        return
    try:
        server = Postgres(os.environ.get("TODO_TUI_BENCH_DATABASE_URL", DEFAULT_SERVER))
        server.version()
    except sa.exc.OperationalError as exc:
        log(f"PostgreSQL is not reachable ({exc.orig}); SQLite only.")
        yield None
        return
    try:
        yield server
    finally:
        server.close()


def summarize_session(name: str, session: dict[str, Any], results: dict[str, Any]) -> None:
    phases = session["phases"]
    counts = results["round_trips"].setdefault(name, {})
    latency = results["latency"].setdefault(name, {})
    stalls = results["stalls"].setdefault(name, {})
    stalls["start-up check"] = session["startup"]["max_gap_ms"]

    def worst(phase: str) -> float | None:
        records = phases.get(phase)
        return max(r["max_gap_ms"] for r in records) if records else None

    def counted(phase: str) -> str | None:
        """Round trips of the phase ("1", or "1-2" when repetitions differ), and the new
        connections it opened, if any."""
        records = phases.get(phase)
        if not records:
            return None
        values = sorted({r["round_trips"] for r in records})
        text = str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"
        opened = sum(r["new_connections"] for r in records)
        return text + (f" (+{opened} new conn.)" if opened else "")

    if "upgrade" in phases:
        counts["upgrade empty -> head"] = counted("upgrade")
        stalls["upgrade"] = worst("upgrade")
    counts["create account + load list"] = counted("create account")
    stalls["create account (bcrypt 12)"] = worst("create account")
    login = phases["log in + load list"][0]
    stalls["log in (bcrypt 12) + load list"] = worst("log in + load list")
    latency["log in + load list"] = login["ms"]
    counts["log in + load list"] = counted("log in + load list")
    for action in ("add", "edit", "toggle", "delete", "reload"):
        counts[action] = counted(action)
        latency[action] = median([r["ms"] for r in phases[action]])
        stalls[action] = worst(action)
        far = phases.get(f"{action} @distance")
        if far:
            results["latency"].setdefault(f"{name} @25ms", {})[action] = median(
                [r["ms"] for r in far]
            )
            stalls[f"{action} @25ms"] = worst(f"{action} @distance")
    if "rtt_ms" in session:
        results["latency"]["rtt_ms"] = session["rtt_ms"]
        results["latency"]["rtt_local_ms"] = session["rtt_local_ms"]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=7, help="pty launches of each app (7)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each action (5)")
    parser.add_argument("--sizes", default="100,1000,10000", help="list sizes (100,1000,10000)")
    parser.add_argument("--steps", type=int, default=60, help="cursor steps per list (60)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--only",
        default="startup,actions,lists",
        help="comma-separated sections: startup, actions, lists",
    )
    args = parser.parse_args()
    sections = set(args.only.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "runs": args.runs,
        "goals": GOALS,
        "round_trips": {},
        "latency": {},
        "stalls": {},
    }
    with (
        maybe_postgres(not args.no_postgres) as postgres,
        tempfile.TemporaryDirectory(prefix="todo-tui-bench-") as tmp,
    ):
        home = Path(tmp)
        results["machine"] = machine.describe(postgres.version() if postgres else None)
        wire = (
            WireProxy("127.0.0.1", sa.make_url(postgres.admin_url).port or 5432)
            if postgres
            else None
        )
        try:
            if "startup" in sections:
                log("start-up: real-pty launches…")
                default_sqlite = home / "data" / "todo-tui" / "todo.db"
                default_sqlite.parent.mkdir(parents=True)
                migrate(f"sqlite:///{default_sqlite}")
                targets: dict[str, str | None] = {"todo-tui SQLite": None}
                with contextlib.ExitStack() as stack:
                    if postgres:
                        url = postgres.new_database()
                        migrate(url)
                        targets["todo-tui PostgreSQL"] = url
                        port = sa.make_url(url).port or 5432
                        far = stack.enter_context(WireProxy("127.0.0.1", port, delay=DISTANCE))
                        targets["todo-tui PostgreSQL @25 ms"] = far.url(url)
                    results["startup"] = measure_startup(targets, home, args.runs)

            if "actions" in sections:
                log("actions: SQLite session…")
                sqlite_url = f"sqlite:///{home / 'session.db'}"
                config = {
                    "scenario": "session",
                    "email": EMAIL,
                    "password": PASSWORD,
                    "rounds": DEFAULT_ROUNDS,
                    "repeat": args.repeat,
                    "config_dir": str(home / "config"),
                }
                session = run_child({**config, "url": sqlite_url}, home, None)
                results["sessions"] = {"sqlite": session}
                summarize_session("sqlite", session, results)
                migrated = f"sqlite:///{home / 'counted.db'}"
                migrate(migrated)
                results["round_trips"]["sqlite"]["schema check"] = sqlite_statements(migrated)[
                    "schema check"
                ]["count"]
                if postgres and wire:
                    log("actions: PostgreSQL session (and at 25 ms each way)…")
                    url = postgres.new_database()
                    wire.reset()
                    session = run_child(
                        {**config, "url": wire.url(url), "distance": DISTANCE}, home, wire
                    )
                    results["sessions"]["postgresql"] = session
                    summarize_session("postgresql", session, results)
                    extra = postgres_wire_counts(url, wire)
                    results["wire_counts"] = extra
                    pg = results["round_trips"]["postgresql"]
                    pg["new connection set-up"] = extra["new connection set-up"]["count"]
                    pg["startup messages"] = extra["new connection set-up"]["startup_messages"]
                    pg["schema check"] = extra["schema check"]["count"]
                    pg["checkout after 5 s idle"] = extra["checkout after 5 s idle"]["count"]
                    pg["checkout after 31 s idle"] = extra["checkout after 31 s idle"]["count"]

            if "lists" in sections:
                results["big_lists"] = {}
                dialects = ["sqlite"] + (["postgresql"] if postgres else [])
                for dialect in dialects:
                    for size in sizes:
                        log(f"big list: {dialect}, {size:,} todos…")
                        if dialect == "sqlite":
                            url = f"sqlite:///{home / f'list{size}.db'}"
                        else:
                            assert postgres is not None
                            url = postgres.new_database()
                        migrate(url)
                        user_id = seed(url, size)
                        entry = run_child(
                            {
                                "scenario": "biglist",
                                "url": url,
                                "email": EMAIL,
                                "user_id": user_id,
                                "size": size,
                                "steps": args.steps,
                                "rounds": DEFAULT_ROUNDS,
                                "config_dir": str(home / "config"),
                            },
                            home,
                            None,
                        )
                        results["big_lists"].setdefault(dialect, []).append(entry)
        finally:
            if wire:
                wire.close()
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = render(results)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    payload = json.dumps({**results, "table": text}, indent=2, default=str)
    (RESULTS / f"{stamp}.json").write_text(payload)
    (RESULTS / "latest.json").write_text(payload)
    log(f"\nwritten: {RESULTS / (stamp + '.json')} (and latest.json)")


if __name__ == "__main__":
    main()
