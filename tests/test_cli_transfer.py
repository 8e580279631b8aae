"""`todo-tui export` and `todo-tui import` on both databases: what they print where, their
exit statuses, and a list moved from the SQLite default to another database through a pipe,
as the README shows it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from todo_tui import sessions, todos, tokens
from todo_tui.auth import register
from todo_tui.cli import main
from todo_tui.db import Database
from todo_tui.records import TodoDraft

SAMPLES = Path(__file__).parent / "samples"
TIMEOUT = 60


@pytest.fixture
def owner(database: Database) -> int:
    """Ann, logged in on this computer: export and import act for her."""
    with database.session() as session:
        ann = register(session, email="ann@example.com", password="password1", rounds=4)
    started = database.run(lambda s: sessions.create(s, user=ann))
    tokens.save(database.settings.database, started.token)
    return ann.id


@pytest.fixture
def run(database: Database, monkeypatch, tmp_path, capsys):
    """`run(*args, stdin=b"")`: cli.main in-process on `database` -> (code, out, err)."""
    monkeypatch.chdir(tmp_path)
    url = database.settings.database.url

    def call(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["--database-url", url, *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return call


def test_import_then_export_from_the_command_line(run, owner, database, tmp_path) -> None:
    sample = str(SAMPLES / "taskwarrior-2.6.json")
    code, out, err = run("import", sample, "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith("Would add 6 todos;") and "Field mapping:\n  uuid -> " in out
    assert "  task 8: Old thing (deleted in taskwarrior)" in out
    with database.session() as session:
        assert todos.list_todos(session, owner_id=owner) == []
    code, out, err = run("import", sample)
    assert (code, err) == (0, "")
    assert out.startswith("Added 6 todos;")
    code, out, _ = run("import", sample)
    assert (code, out.splitlines()[0]) == (
        0,
        "Added 0 todos; skipped 1 a recurring template, whose instances are imported; "
        "1 deleted in taskwarrior; 6 imported before.",
    )
    code, out, err = run("export")
    assert (code, err) == (0, "")
    assert [item["title"] for item in json.loads(out)["todos"]][:2] == [
        "Pay rent",
        "Café with Zoë ☕",
    ]
    code, out, _ = run("export", "--format", "todotxt", "-o", str(tmp_path / "todo.txt"))
    assert (code, out) == (0, "")
    written = tmp_path / "todo.txt"
    assert written.stat().st_mode & 0o077 == 0
    assert written.read_text().splitlines()[0].startswith("(A) ")


def test_bad_input_is_one_sentence_and_exit_status_2(run, owner, database, tmp_path) -> None:
    code, out, err = run("import", "-", stdin=b"ok\nbad due:2026-02-30\n")
    assert (code, out) == (2, "")
    assert err == (
        "todo-tui: Line 2: its due date '2026-02-30' cannot be read as a date; "
        "nothing was imported.\n"
    )
    code, _, err = run("import", str(tmp_path / "missing.txt"))
    assert (code, err) == (2, f"todo-tui: There is no file {tmp_path / 'missing.txt'}.\n")
    code, _, err = run("import", "-", "--format", "todotxt", stdin=b'[{"title": "a"}]')
    assert code == 2 and err.startswith("todo-tui: This file is todo-tui JSON, not todo.txt")
    big = tmp_path / "big.txt"
    with big.open("wb") as file:
        file.truncate(100 * 1024 * 1024)
    code, _, err = run("import", str(big))
    assert code == 2 and err.startswith(f"todo-tui: {big} is 104.9 MB; todo-tui imports files")
    with database.session() as session:
        assert todos.list_todos(session, owner_id=owner) == []


def test_without_a_session_the_commands_say_so(run, database) -> None:
    tokens.discard(database.settings.database)
    for args in (("export",), ("import", "-")):
        code, out, err = run(*args, stdin=b"A todo\n")
        assert (code, out) == (2, "")
        assert err == (
            "todo-tui: You are not logged in on this computer: run `todo-tui login` first.\n"
        )


def test_a_list_moves_from_the_sqlite_default_to_another_database(
    database, owner, tmp_path
) -> None:
    """`todo-tui export | DATABASE_URL=… todo-tui import -`, as two real processes."""
    home = tmp_path / "home"
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    todo_tui = [sys.executable, "-m", "todo_tui"]

    def cli(*args: str, env=None, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*todo_tui, *args],
            env={**environ, **(env or {})},
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
            cwd=tmp_path,
        )

    assert cli("db", "upgrade").returncode == 0  # the default SQLite file
    default = Database(_default_settings(environ))
    try:
        with default.session() as session:
            mine = register(session, email="ann@example.com", password="password1", rounds=4)
            todos.add_todo(
                session,
                owner_id=mine.id,
                draft=TodoDraft(title="Pay rent", due="2026-12-04 09:30", tags="home"),
            )
            todos.add_todo(session, owner_id=mine.id, title="Café ☕", description="two\nlines")
    finally:
        default.dispose()
    assert cli("login", "ann@example.com", stdin=b"password1\n").returncode == 0
    there = {"DATABASE_URL": database.settings.database.url}
    assert cli("login", "ann@example.com", env=there, stdin=b"password1\n").returncode == 0
    exported = cli("export")
    assert exported.returncode == 0 and exported.stderr == b""
    moved = cli(
        "import", "-", env={"DATABASE_URL": database.settings.database.url}, stdin=exported.stdout
    )
    assert (moved.returncode, moved.stderr) == (0, b"")
    assert moved.stdout.decode().startswith("Added 2 todos.")
    with database.session() as session:
        there = todos.list_todos(session, owner_id=owner)
    assert [(t.title, t.tags, t.description) for t in there] == [
        ("Pay rent", ("home",), None),
        ("Café ☕", (), "two\nlines"),
    ]
    again = cli("export", env={"DATABASE_URL": database.settings.database.url})
    strip = lambda text: [  # noqa: E731
        {k: v for k, v in item.items() if k != "id"} for item in json.loads(text)["todos"]
    ]
    assert strip(again.stdout) == strip(exported.stdout)


def _default_settings(environ: dict[str, str]):
    from todo_tui.config import load_settings

    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME")}
    os.environ.update({k: environ[k] for k in saved})
    try:
        return load_settings(environ={})
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_the_parser_of_every_launch_loads_no_format() -> None:
    """`todo-tui` (the app) builds the same parser: export and import cost it nothing."""
    code = (
        "import sys, todo_tui.cli; todo_tui.cli.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith('todo_tui.transfer')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    assert result.stdout.strip() == "['todo_tui.transfer', 'todo_tui.transfer.command']"
