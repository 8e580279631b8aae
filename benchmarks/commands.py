"""`python -m benchmarks.commands`: wall time of `todo-tui add`, `list` and `done` on a
local SQLite file with 100 todos, beside `python -c pass` and taskwarrior's `task add`,
`task list`, `task done` (when `task` is installed), interleaved, medians of --repeat runs.

Goal (the performance budget): each todo-tui command ≤ 6 times `python -c pass`. Each process
is timed from its start to its exit; a fresh home (XDG folders, TASKRC, TASKDATA) keeps
the user's own data out of it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import machine, scaled
from benchmarks.databases import EMAIL, PASSWORD, migrate, seed

GOAL = 6.0
TODOS = 100


def timed(command: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        command, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=120
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TASK"))}
    # An installed todo-tui has its .pyc files: the first runs write them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        TASKRC=str(home / "taskrc"),
        TASKDATA=str(home / "task"),
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=scaled(9, 1))
    args = parser.parse_args()
    todo_tui = [sys.executable, "-m", "todo_tui"]
    task = shutil.which("task")
    samples: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        env = environment(home)
        (home / "taskrc").write_text("confirmation=off\nverbose=nothing\nnews.version=99\n")
        database = home / "data" / "todo-tui" / "todo.db"
        database.parent.mkdir(parents=True)
        url = f"sqlite:///{database}"
        migrate(url)
        seed(url, TODOS)
        timed([*todo_tui, "login", EMAIL], env, stdin=f"{PASSWORD}\n")
        for n in range(args.repeat):
            runs: list[tuple[str, list[str], str | None]] = [
                ("python -c pass", [sys.executable, "-c", "pass"], None)
            ]
            for name, command, _ in runs:
                samples.setdefault(name, []).append(timed(command, env)[0])
            elapsed, out = timed([*todo_tui, "add", f"Benchmark {n}", "#bench", "due:fri"], env)
            samples.setdefault("todo-tui add", []).append(elapsed)
            todo_id = out.split()[1].rstrip(":")
            samples.setdefault("todo-tui list", []).append(timed([*todo_tui, "list"], env)[0])
            samples.setdefault("todo-tui done", []).append(
                timed([*todo_tui, "done", todo_id], env)[0]
            )
            if task is not None:
                elapsed, _ = timed([task, "add", f"Benchmark {n}", "+bench", "due:friday"], env)
                samples.setdefault("task add", []).append(elapsed)
                samples.setdefault("task list", []).append(timed([task, "list"], env)[0])
                samples.setdefault("task done", []).append(timed([task, "1", "done"], env)[0])
    print(render(samples, task is not None))


def render(samples: dict[str, list[float]], with_task: bool) -> str:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["python -c pass"]
    about = machine.describe(None)
    lines = [
        f"{len(samples['python -c pass'])} runs each, interleaved; SQLite, {TODOS} todos; "
        f"{about['cpu']}, {about['cores']} cores, load {about['load_average']}",
        "",
        f"| command | median ms | / python -c pass | goal ≤ {GOAL:g} | / task |",
        "|---|---:|---:|---|---:|",
    ]
    for name, median in medians.items():
        ratio = median / base
        verdict = "" if not name.startswith("todo-tui") else ("met" if ratio <= GOAL else "missed")
        peer = ""
        if with_task and name.startswith("todo-tui"):
            peer = f"{median / medians['task ' + name.split()[1]]:.1f}"
        lines.append(f"| {name} | {median * 1000:.0f} | {ratio:.1f} | {verdict} | {peer} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
