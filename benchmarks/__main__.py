"""`python -m benchmarks`: todo-tui's performance budget, measured on this machine.

Prints one table per goal of the budget, for SQLite and for PostgreSQL on loopback, with the
machine it ran on, and writes everything (every sample) as JSON to benchmarks/results/.

- first frame and ready to log in: `python -m todo_tui` in a real pseudo-terminal, timed from
  process start to the first screen's text and to the login screen's, interleaved with a
  bare Textual app that shows one line; medians.
- round trips per action: counted on the wire by the proxy of todo_tui.testing.wire (the queries
  psycopg2 sends, BEGIN, COMMIT and pings included); for SQLite, the statements sqlite3 runs.
- action latency at distance: the same proxy delaying each direction by 25 ms.
- big lists: one user with 100, 1,000 and 10,000 todos; load and paint, cursor steps, memory.
- a long history: 100,000 todos of which 99,000 done, opened on the open view, beside 100
  open todos; then the Done view: its time, cursor steps there, memory.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import QUICK, machine, scaled
from benchmarks.bare_app import TEXT as BARE_TEXT
from benchmarks.databases import EMAIL, PASSWORD, maybe_postgres, migrate, seed, seed_history
from benchmarks.report import GOALS, log, median, render
from benchmarks.terminal import run_in_terminal
from todo_tui.testing.wire import WireProxy

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIRST_FRAME_TEXT = "Opening your todo list"
LOGIN_TEXT = "No account yet"
DISTANCE = 0.025  # seconds added in each direction
DEFAULT_ROUNDS = 12  # the app's default bcrypt cost: what users feel
HISTORY = (scaled(100_000, 2_000), scaled(1_000, 100))  # todos, of which open
HISTORY_BASE = (100, 100)  # the launch it is compared with


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
    # An installed todo-tui has its .pyc files: the warm-up round writes them (and no
    # launch compiles todo-tui's modules again).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
# The run


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


def measure_history(postgres: Any, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Per dialect, the 100-todo list and the long history, each opened on the open view:
    returning launches (a saved session) in a real pty, interleaved, from process start to
    the list's header; then in a process of its own each, the Done view and its cursor."""
    from todo_tui import sessions, tokens
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.records import UserRecord

    history_home = home / "history"
    config = history_home / "config" / "todo-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[defaults]\nview = "open"\n')
    env = child_env(history_home)
    results: dict[str, Any] = {}
    for dialect in ["sqlite"] + (["postgresql"] if postgres else []):
        lists = {}
        for size, open_ in (HISTORY_BASE, HISTORY):
            log(f"history: {dialect}, {size:,} todos of which {open_:,} open…")
            if dialect == "sqlite":
                url = f"sqlite:///{home / f'history{size}.db'}"
            else:
                url = postgres.new_database()
            migrate(url)
            user_id = seed_history(url, size, open_)
            database = Database(load_settings(database_url=url, environ={}))
            try:
                user = UserRecord(user_id, EMAIL)
                started = database.run(lambda s, user=user: sessions.create(s, user=user))
                os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]  # the child's token file
                tokens.save(database.settings.database, started.token)
            finally:
                del os.environ["XDG_DATA_HOME"]
                database.dispose()
            lists[size] = (url, user_id, open_)
        launches: dict[int, list[float]] = {size: [] for size in lists}
        for run in range(args.history_runs + 1):
            for size, (url, _, open_) in lists.items():
                marker = f"All open: {open_} shown, {size - open_} hidden"
                launched = run_in_terminal(
                    [sys.executable, "-m", "todo_tui"],
                    [marker],
                    env=dict(env, DATABASE_URL=url),
                    cwd=history_home,
                )
                if run > 0:  # the first round warms the file cache and .pyc files
                    launches[size].append(launched.at(marker) * 1000)
        done_views = []
        url, user_id, open_ = lists[HISTORY[0]]
        for run in range(args.history_runs):
            scenario = {
                "scenario": "history",
                "url": url,
                "email": EMAIL,
                "user_id": user_id,
                "size": HISTORY[0],
                "open": open_,
                "steps": args.steps,
                "rounds": DEFAULT_ROUNDS,
                "config_dir": str(home / f"history-config-{dialect}-{run}"),
            }
            done_views.append(run_child(scenario, home, None))
        results[dialect] = {"launch_ms": launches, "done_view": done_views}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument(
        "--runs", type=int, default=scaled(7, 1), help="pty launches of each app (7)"
    )
    parser.add_argument(
        "--repeat", type=int, default=scaled(5, 1), help="repetitions of each action (5)"
    )
    parser.add_argument(
        "--sizes",
        default="100" if QUICK else "100,1000,10000",
        help="list sizes (100,1000,10000)",
    )
    parser.add_argument(
        "--steps", type=int, default=scaled(60, 5), help="cursor steps per list (60)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--only",
        default="startup,actions,lists,history",
        help="comma-separated sections: startup, actions, lists, history",
    )
    parser.add_argument(
        "--history-runs", type=int, default=scaled(5, 1), help="launches of each history list (5)"
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
            if "history" in sections:
                results["history"] = measure_history(postgres, home, args)
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
