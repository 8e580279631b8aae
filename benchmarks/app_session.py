"""One measured run of todo-tui, headless, in a process of its own (the child).

`python -m benchmarks.app_session '<json>'` is started by benchmarks/__main__.py, which keeps
the wire proxy in its own process (so the proxy's threads never compete with the app for
this process's GIL) and answers this process's requests over two pipes: `reset` and `read`
the proxy's counters, set its `delay`. The result goes back over the same pipe.

Scenarios:
- session: start-up on an empty database, the upgrade, create an account, log out and in
  (bcrypt at the real cost), then add, edit, toggle, delete and reload a few times; with
  `distance`, the actions again with the proxy delaying each direction. Measures round trips
  (or SQLite statements), action latency, and the longest gap of a 10 ms heartbeat on the UI
  loop in each phase.
- biglist: a user who already has N todos opens the list; load and paint time, cursor steps,
  memory.
- history: a user with a long history (most todos done) opens the list on the open view,
  then the Done view: the time to each, the rows held, cursor steps there, memory.

Keys go in as the driver's would (posted to the app), without the Pilot's waits, and the
clock stops when the app has the result: when the database thread's answer has reached the
UI loop (`app.result_signal`), or for a paint, when the app handed a frame to the driver
(Textual's `post_display_hook`). Only public members of the app and of Textual are used,
and todo_tui.testing's helpers, shared with the tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual import events

from todo_tui.app import TodoApp
from todo_tui.config import load_settings
from todo_tui.testing import notices, pending_calls

HEARTBEAT = 0.010
STEP_INTERVAL = 0.040
# The live feed's own queries on the app's one connection, counted as background: its
# LISTEN (and the LISTEN that checks a silent connection), the catch-up after it, UNLISTEN.
LIVE_FEED = ("LISTEN", "UNLISTEN", "SELECT id, version FROM todo WHERE user_id = ")
TIMEOUT = 20.0
KEY_CHARACTERS = {"enter": "\r", "space": " ", "ctrl+s": "\x13", "escape": "\x1b"}


# ---------------------------------------------------------------------------------------
# Talking to the parent


class Control:
    """Line-delimited JSON requests to the parent; one answer line each."""

    def __init__(self, fd_in: int, fd_out: int) -> None:
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.buffer = b""

    def request(self, command: str, **args: Any) -> dict[str, Any]:
        self.send({"command": command, **args})
        while b"\n" not in self.buffer:
            chunk = os.read(self.fd_in, 65536)
            if not chunk:
                raise RuntimeError("the benchmark parent went away")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.fd_out, data) :]


class WireCounter:
    """Round trips counted by the parent's proxy."""

    def __init__(self, control: Control) -> None:
        self.control = control

    def reset(self) -> None:
        self.control.request("reset")

    def read(self) -> dict[str, Any]:
        """The queries of the window but the live feed's (counted as background)."""
        seen = self.control.request("read")
        ours = [q for n, q in seen["sent"] if not q.startswith(LIVE_FEED)]
        return {
            "count": len(ours),
            "queries": ours,
            "connections": len(set(seen["new"])),
            "background": len(seen["sent"]) - len(ours),
        }

    def delay(self, seconds: float) -> None:
        self.control.request("delay", seconds=seconds)


class SqliteCounter:
    """SQLite statements (BEGIN, COMMIT and ROLLBACK included), seen by sqlite3 itself.

    Those run by the app's database thread are the actions', but for those the live feed
    runs there between actions (its polling, while the thread is the feed's:
    `tenant_waiting`), which are counted apart, as `background`.
    """

    def __init__(self) -> None:
        self.statements: list[tuple[str, str]] = []

    def attach(self, app: TodoApp) -> None:
        """Trace the app's connections from now on (its pool is emptied so they are new)."""
        from sqlalchemy import event

        assert app.database is not None
        engine = app.database.engine
        engine.dispose()
        database_thread = app.database_thread

        def trace(statement: str) -> None:
            if threading.current_thread() is not database_thread.thread:
                by = "other"
            else:
                by = "feed" if database_thread.tenant_waiting else "action"
            self.statements.append((by, statement))

        event.listen(
            engine,
            "connect",
            lambda dbapi_connection, record: dbapi_connection.set_trace_callback(trace),
        )

    def reset(self) -> None:
        self.statements.clear()

    def read(self) -> dict[str, Any]:
        ours = [s for by, s in self.statements if by == "action"]
        return {
            "count": len(ours),
            "queries": ours,
            "connections": 0,
            "background": len(self.statements) - len(ours),
        }


# ---------------------------------------------------------------------------------------
# Watching the app


class Heartbeat:
    """A task on the UI loop that wakes every 10 ms; a late wake-up is a stall.

    A watchdog thread notes where the UI thread is when a tick is over 30 ms late (the
    innermost frames of its stack), so a stall in the results says what caused it.
    """

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.task: asyncio.Task | None = None
        self.stalls: list[dict[str, Any]] = []
        self._ui_thread = threading.get_ident()

    def start(self) -> None:
        self._ui_thread = threading.get_ident()
        self.task = asyncio.create_task(self._run())
        threading.Thread(target=self._watch, name="bench-watchdog", daemon=True).start()

    def _watch(self) -> None:
        noted_for = 0.0
        while True:
            time.sleep(0.005)
            if not self.ticks:
                continue
            last = self.ticks[-1]
            late = time.perf_counter() - last
            if late > 0.030 and noted_for != last and len(self.stalls) < 200:
                noted_for = last
                frame = sys._current_frames().get(self._ui_thread)
                stack = []
                while frame is not None and len(stack) < 12:
                    code = frame.f_code
                    stack.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
                    frame = frame.f_back
                self.stalls.append({"at": last, "stack": stack})

    async def _run(self) -> None:
        while True:
            self.ticks.append(time.perf_counter())
            await asyncio.sleep(HEARTBEAT)

    def max_gap(self, start: float, end: float) -> float:
        """The longest time between two ticks, among the ticks around [start, end]."""
        ticks = [t for t in self.ticks if start - 1 <= t <= end + 1]
        gaps = [b - a for a, b in itertools.pairwise(ticks) if b >= start and a <= end]
        return max(gaps, default=0.0)


class Probe:
    """Counts deliveries of database results (the app's `result_signal`) and frames
    (Textual's `post_display_hook`, its hook for tests), with when the last one happened:
    on the clock, and on the UI thread's CPU clock for frames."""

    def __init__(self, app: TodoApp) -> None:
        self.deliveries = 0
        self.delivered_at = 0.0
        self.frames = 0
        self.frame_at = 0.0
        self.frame_cpu = 0.0
        self._frame = asyncio.Event()
        app.result_signal.subscribe(app, self._delivered, immediate=True)
        app.post_display_hook = self._displayed  # type: ignore[method-assign]

    def _delivered(self, _: None) -> None:
        self.delivered_at = time.perf_counter()
        self.deliveries += 1

    def _displayed(self) -> None:
        self.frame_at = time.perf_counter()
        self.frame_cpu = time.thread_time()
        self.frames += 1
        self._frame.set()

    async def frame_when(self, condition: Callable[[], bool], what: str) -> None:
        """Until a frame after which `condition` holds; woken by frames, not polling, so
        the UI thread's CPU time meanwhile is the app's."""
        deadline = time.perf_counter() + TIMEOUT
        while not condition():
            self._frame.clear()
            try:
                await asyncio.wait_for(self._frame.wait(), deadline - time.perf_counter())
            except TimeoutError:
                raise TimeoutError(f"timed out waiting for {what}: {_state()}") from None


async def until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}: {_state()}")
        await asyncio.sleep(0.0002)


_APP: list[TodoApp] = []


def _state() -> str:
    """What the app shows, for a timeout's message."""
    if not _APP:
        return "no app"
    app = _APP[0]
    try:
        focused = app.focused
        return (
            f"screen {screen_name(app)}, focused {focused!r}, pending {pending_calls(app)}, "
            f"notifications {notices(app)}"
        )
    except Exception as exc:
        return f"({exc!r})"


def send_key(app: TodoApp, key: str) -> None:
    """A key as the driver hands it on: posted to the app, which routes it to the focus."""
    character = KEY_CHARACTERS.get(key, key if len(key) == 1 else None)
    event = events.Key(key, character)
    event.set_sender(app)
    app.post_message(event)


def screen_name(app: TodoApp) -> str:
    return type(app.screen).__name__


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_app(config: dict[str, Any]) -> TodoApp:
    settings = load_settings(database_url=config["url"], environ={})
    settings = replace(
        settings, bcrypt_rounds=config["rounds"], config_dir=Path(config["config_dir"])
    )
    app = TodoApp(settings=settings)
    _APP[:] = [app]
    return app


# ---------------------------------------------------------------------------------------
# Scenarios


class Recorder:
    def __init__(
        self,
        app: TodoApp,
        settle: Callable[[], Any],
        counter: Any,
        heartbeat: Heartbeat,
        probe: Probe,
    ) -> None:
        self.app = app
        self.settle = settle
        self.counter = counter
        self.heartbeat = heartbeat
        self.probe = probe
        self.phases: dict[str, list[dict[str, Any]]] = {}

    async def phase(
        self,
        name: str,
        run: Callable[[], Any],
        *,
        prepare: Callable[[], Any] | None = None,
    ) -> dict[str, Any]:
        """Prepare (not timed, not counted), then run the timed part: `run` sends the
        keys and returns a condition for the end."""
        if prepare is not None:
            await prepare()
        await self.settle()
        self.counter.reset()
        started = time.perf_counter()
        done = await run()
        await until(done, name)
        ended = time.perf_counter()
        await self.settle()
        counted = self.counter.read()
        record = {
            "ms": (ended - started) * 1000,
            "max_gap_ms": self.heartbeat.max_gap(started, ended) * 1000,
            "stalls": [
                s["stack"] for s in self.heartbeat.stalls if started - 0.05 <= s["at"] <= ended
            ],
            "round_trips": counted["count"],
            "queries": counted["queries"][:40],
            "new_connections": counted.get("connections", 0),
            "background": counted.get("background", 0),
        }
        self.phases.setdefault(name, []).append(record)
        return record


async def session(config: dict[str, Any], counter: Any) -> dict[str, Any]:
    from todo_tui.testing import fill, settle
    from todo_tui.widgets.todo_table import TodoTable

    app = make_app(config)
    heartbeat = Heartbeat()
    result: dict[str, Any] = {}
    async with app.run_test(size=(100, 30)) as pilot:
        heartbeat.start()
        probe = Probe(app)
        recorder = Recorder(app, lambda: settle(pilot), counter, heartbeat, probe)
        started = time.perf_counter()
        # Start-up: the worker imports what the check needs, connects, checks.
        await until(lambda: screen_name(app) in {"SchemaDialog", "LoginScreen"}, "start-up")
        await until(lambda: not pending_calls(app), "start-up")
        ended = time.perf_counter()
        await settle(pilot)
        result["startup"] = {
            "ms": (ended - started) * 1000,
            "max_gap_ms": heartbeat.max_gap(started, ended) * 1000,
            **counter.read(),
        }
        if screen_name(app) == "SchemaDialog":

            async def upgrade():
                send_key(app, "enter")  # the focused "Create tables"
                return lambda: screen_name(app) == "LoginScreen"

            await recorder.phase("upgrade", upgrade)
        if isinstance(counter, SqliteCounter):
            counter.attach(app)

        async def fill_account(confirm: bool) -> None:
            await fill(pilot, "#email", config["email"])
            await fill(pilot, "#password", config["password"])
            if confirm:
                await fill(pilot, "#confirm", config["password"])
            await pilot.pause()

        async def open_register() -> None:
            await pilot.press("ctrl+n")
            await pilot.pause()
            await fill_account(confirm=True)

        async def submit_to_list():
            deliveries = probe.deliveries
            send_key(app, "enter")
            return lambda: (
                screen_name(app) == "TodoListScreen"
                and probe.deliveries >= deliveries + 2  # the account, then the list
            )

        await recorder.phase("create account", submit_to_list, prepare=open_register)

        async def log_out_and_fill() -> None:
            await pilot.press("ctrl+l")
            await pilot.pause()
            await fill_account(confirm=False)

        await recorder.phase("log in + load list", submit_to_list, prepare=log_out_and_fill)
        table = app.screen.query_one(TodoTable)

        async def round_of_actions(label: str, title: str) -> None:
            edited = title + " (edited)"

            async def open_form() -> None:
                await pilot.press("a")
                await pilot.pause()
                await fill(pilot, "#title", title)

            async def open_edit() -> None:
                await pilot.press("e")
                await pilot.pause()
                await fill(pilot, "#title", edited)

            async def open_delete() -> None:
                await pilot.press("d")
                await pilot.pause()

            async def save(key: str, expect: str):
                deliveries = probe.deliveries
                send_key(app, key)
                return lambda: (
                    probe.deliveries > deliveries
                    and table.cursor_todo is not None
                    and table.cursor_todo.title == expect
                )

            async def press(key: str):
                deliveries = probe.deliveries
                send_key(app, key)
                return lambda: probe.deliveries > deliveries

            await recorder.phase(f"add{label}", lambda: save("enter", title), prepare=open_form)
            await recorder.phase(f"edit{label}", lambda: save("ctrl+s", edited), prepare=open_edit)
            await recorder.phase(f"toggle{label}", lambda: press("space"))
            await recorder.phase(f"reload{label}", lambda: press("r"))
            await recorder.phase(f"delete{label}", lambda: press("enter"), prepare=open_delete)

        async def actions(label: str, repeat: int) -> None:
            for index in range(repeat):
                await round_of_actions(label, f"{label.strip() or 'local'} todo {index}")

        await actions("", config["repeat"])
        if config.get("distance"):
            counter.delay(config["distance"])
            result["rtt_ms"] = round_trip_time(config["url"])
            await actions(" @distance", config["repeat"])
            counter.delay(0.0)
            result["rtt_local_ms"] = round_trip_time(config["url"])
        result["phases"] = recorder.phases
        result["peak_rss_mb"] = peak_rss_mb()
    return result


def round_trip_time(url: str, samples: int = 15) -> float:
    """The median of `SELECT 1` on a warm psycopg2 connection, in ms: one round trip."""
    import psycopg2
    import sqlalchemy as sa

    raw = sa.make_url(url).set(drivername="postgresql")
    connection = psycopg2.connect(raw.render_as_string(hide_password=False))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            times = []
            for _ in range(samples):
                started = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                times.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return statistics.median(times)


async def cursor_steps(app: TodoApp, probe: Probe, table: Any, count: int) -> dict[str, Any]:
    """`count` steps down the list, then to its end and back home: the time from each key
    to its frame, and the UI thread's CPU time for it (ms)."""

    async def step(key: str, target: Callable[[], bool]) -> tuple[float, float]:
        frames = probe.frames
        begun, cpu = time.perf_counter(), time.thread_time()
        send_key(app, key)
        await probe.frame_when(lambda: target() and probe.frames > frames, f"cursor {key}")
        # The UI thread's CPU time for the step: the key, the cursor, the screen update.
        return (probe.frame_at - begun) * 1000, (probe.frame_cpu - cpu) * 1000

    # The todo on each row, read once: the cursor is at a row when its todo is there.
    order = [todo.id for todo in table.visible_todos]

    def cursor_at(row: int) -> bool:
        return table.cursor_todo is not None and table.cursor_todo.id == order[row]

    steps, work = [], []
    row = order.index(table.cursor_todo.id) if table.cursor_todo is not None else 0
    for _ in range(count):
        # Keys 40 ms apart, as a held arrow key repeats: a key that comes sooner than
        # 1/60 s after the last frame waits for Textual's next frame (60 fps at most).
        await asyncio.sleep(STEP_INTERVAL)
        row += 1
        took, cost = await step("down", lambda row=row: cursor_at(row))
        steps.append(took)
        work.append(cost)
    await asyncio.sleep(STEP_INTERVAL)
    end_ms, end_work = await step("end", lambda: cursor_at(len(order) - 1))
    await asyncio.sleep(STEP_INTERVAL)
    home_ms, home_work = await step("home", lambda: cursor_at(0))
    return {
        "step_ms": steps,
        "step_work_ms": work,
        "end_ms": end_ms,
        "end_work_ms": end_work,
        "home_ms": home_ms,
        "home_work_ms": home_work,
    }


async def biglist(config: dict[str, Any]) -> dict[str, Any]:
    from todo_tui.messages import LoggedIn
    from todo_tui.records import UserRecord
    from todo_tui.testing import settle
    from todo_tui.widgets.todo_table import TodoTable

    app = make_app(config)
    heartbeat = Heartbeat()
    async with app.run_test(size=(100, 30)) as pilot:
        heartbeat.start()
        probe = Probe(app)
        await until(lambda: screen_name(app) == "LoginScreen", "the login screen")
        await settle(pilot)  # the check, and the imports after the login screen
        rss_before = rss_mb()
        started = time.perf_counter()
        # In the app's own context, as after a log in (the user's hashed password is not
        # what is measured here).
        app.post_message(LoggedIn(UserRecord(config["user_id"], config["email"])))

        def listed() -> bool:
            tables = app.screen.query(TodoTable)
            return bool(tables) and sum(tables.first().counts) == config["size"]

        await until(listed, "the list")
        loaded = probe.delivered_at
        await until(lambda: probe.frame_at > loaded, "the painted list")
        painted = probe.frame_at
        table = app.screen.query_one(TodoTable)
        load_gap = heartbeat.max_gap(started, painted)
        rss_loaded = rss_mb()

        moves = await cursor_steps(app, probe, table, config["steps"])
        return {
            "size": config["size"],
            "load_ms": (loaded - started) * 1000,
            "paint_ms": (painted - loaded) * 1000,
            "load_and_paint_ms": (painted - started) * 1000,
            "load_max_gap_ms": load_gap * 1000,
            **moves,
            "rss_before_list_mb": rss_before,
            "rss_with_list_mb": rss_loaded,
            "peak_rss_mb": peak_rss_mb(),
        }


async def history(config: dict[str, Any]) -> dict[str, Any]:
    """A user with `size` todos of which `open` are open opens the list on the open view
    (config.toml's default), then switches to the Done view and moves its cursor there."""
    from todo_tui.messages import LoggedIn
    from todo_tui.records import UserRecord
    from todo_tui.testing import settle
    from todo_tui.widgets.todo_table import TodoTable

    Path(config["config_dir"]).mkdir(parents=True, exist_ok=True)
    (Path(config["config_dir"]) / "config.toml").write_text('[defaults]\nview = "open"\n')
    app = make_app(config)
    heartbeat = Heartbeat()
    size, open_ = config["size"], config["open"]
    async with app.run_test(size=(100, 30)) as pilot:
        heartbeat.start()
        probe = Probe(app)
        await until(lambda: screen_name(app) == "LoginScreen", "the login screen")
        await settle(pilot)
        started = time.perf_counter()
        app.post_message(LoggedIn(UserRecord(config["user_id"], config["email"])))

        def listed() -> bool:
            tables = app.screen.query(TodoTable)
            return bool(tables) and tables.first().visible_count == open_

        await until(listed, "the open todos")
        loaded = probe.delivered_at
        await until(lambda: probe.frame_at > loaded, "the painted list")
        visible = probe.frame_at
        table = app.screen.query_one(TodoTable)
        held_at_launch = len(table.all_todos)
        counted = sum(table.counts)
        await settle(pilot)
        await asyncio.sleep(0.5)  # the feed's first catch-up done

        result = {
            "size": size,
            "open": open_,
            "visible_ms": (visible - started) * 1000,
            "launch_max_gap_ms": heartbeat.max_gap(started, visible) * 1000,
            "held_at_launch": held_at_launch,
            "counted_at_launch": counted,
        }
        switched, cpu = time.perf_counter(), time.process_time()
        send_key(app, "5")  # the Done view
        await probe.frame_when(
            lambda: table.holds_done and table.visible_count == size - open_, "the Done view"
        )
        shown, switch_cpu = probe.frame_at, time.process_time() - cpu
        switch_gap = heartbeat.max_gap(switched, shown)
        moves = await cursor_steps(app, probe, table, config["steps"])
        return {
            **result,
            "done_view_ms": (shown - switched) * 1000,
            "done_view_cpu_ms": switch_cpu * 1000,  # every thread's, the database's too
            "done_view_max_gap_ms": switch_gap * 1000,
            "held_after": len(table.all_todos),
            **moves,
            "peak_rss_mb": peak_rss_mb(),
        }


def main() -> None:
    config = json.loads(sys.argv[1])
    control = Control(config["ctrl_in"], config["ctrl_out"])
    try:
        if config["scenario"] == "session":
            counter = (
                SqliteCounter() if config["url"].startswith("sqlite") else WireCounter(control)
            )
            result = asyncio.run(session(config, counter))
        elif config["scenario"] == "history":
            result = asyncio.run(history(config))
        else:
            result = asyncio.run(biglist(config))
        control.send({"result": result})
    except Exception as exc:
        control.send({"error": f"{type(exc).__name__}: {exc}"})
        raise


if __name__ == "__main__":
    main()
