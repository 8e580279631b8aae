"""Every command the README gives to type is run, here or by .ci/run, so none goes stale.

The README's ```sh blocks are read line by line; a `# comment` at the end is not part of
the command, except `or: COMMAND` in it, one more command. Each command is:

- run by .ci/run (the installs, the test command, the benchmarks): a line of .ci/run must
  end with it;
- an app launch (`todo-tui` alone, maybe after `NAME=value`): run here on a real pty in a
  throwaway home until the log-in screen shows, then ctrl+q, exit status 0. Where the
  README then says to create the account in the app (`ctrl+n`, Stay logged in), the test
  makes it through the services the app calls (auth.register, sessions.create,
  tokens.save); the app does the same in tests/test_journey.py and test_stay_logged_in.py;
- else run here by bash, the lines of a block in order, in a throwaway home: HOME, its
  ~/.local/share, ~/.config and ~/.local/state as the XDG folders, the venv's `todo-tui`
  and `alembic` first on PATH, a copy of alembic.ini and migrations/ in the working
  directory, a taskwarrior task to export, ann@example.com ($PASSWORD) logged in on a
  fresh migrated database: on SQLite the default file, on PostgreSQL DATABASE_URL. A line
  `NAME=value` or `export NAME=value` holds for the lines after it.

A comment `# → TEXT` is a line the command prints (`…` stands for anything; spaces are
compared as one; dates as on Tuesday 1 December 2026, so `Wed 2 Dec` is tomorrow, moved to
the day the test runs); `exit status N` in a comment is the status expected, else 0.
The README's Neon URL (quoted, a host under neon.tech) is replaced by the URL of a fresh
database on the TLS + SCRAM-only server of tests/servers.py, shaped like Neon's
(`?sslmode=require&channel_binding=require`, a password that needs percent-encoding).
Inline code in the prose that starts like a command (`todo-tui`, `python -m`, `alembic`,
`task`, …: COMMAND_WORDS) must be part of a block's command.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import string
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.test_readme_keys import SHOWN_AS
from tests.test_signals import Terminal
from todo_tui import bindings, sessions, tokens
from todo_tui.auth import register
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.schema import upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
BIN = Path(sys.executable).parent
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
TIMEOUT = 120
SHOWN_ON = date(2026, 12, 1)  # the day the README's printed dates were made on
NEON_URL = re.compile(r"'postgresql://[^']*\.neon\.tech/[^']*'")
DAY = re.compile(
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
# Inline code that starts so is a command to type.
COMMAND_WORDS = r"(todo-tui( |$)|python -m |alembic |\.venv/|task |sqlite3 |pipx |uv |bash )"
APP = ("todo-tui", ".venv/bin/todo-tui", ".venv/bin/python -m todo_tui")
# Programs a block may run here; anything else must be in .ci/run.
RUN_HERE = {"todo-tui", "alembic", "printf", "task", "jq", "sqlite3", "cp", "chmod", "export"}
# Every other section's blocks run on both databases (test_the_reference_commands_run).
SQLITE_ONLY = {"Troubleshooting"}
RUN_ELSEWHERE = {"Install, run, test", "A 60-second tour", "Performance"}  # tests of their own
# The keys the tour names, and the binding each is (bindings.py).
TOUR_KEYS = {
    "ctrl+n": "login.create_account",
    "a": "list.add",
    "1": "list.view_today",
    "2": "list.view_upcoming",
    "3": "list.view_open",
    "4": "list.view_nodate",
    "5": "list.view_done",
    "6": "list.view_all",
    "f": "list.next_view",
    "#": "list.view_tag",
    "/": "list.search",
    "space": "list.toggle",
    "u": "list.undo",
    "?": "list.help",
}


@dataclass(frozen=True)
class Command:
    section: str
    line: str
    prints: str | None
    status: int


def readme() -> str:
    return README.read_text(encoding="utf-8")


def blocks(text: str) -> list[tuple[str, list[Command]]]:
    """Each ```sh block of the README, with the `## ` section it is in, as commands."""
    found, section, block = [], "", None
    for line in text.splitlines():
        if block is None and line.startswith("## "):
            section = line[3:].strip()
        elif block is None and line.strip() == "```sh":
            block = []
        elif block is not None and line.strip() == "```":
            found.append((section, block))
            block = None
        elif block is not None and line.strip():
            block.extend(commands_of(section, line.strip()))
    return found


def commands_of(section: str, line: str) -> list[Command]:
    command, comment = split_comment(line)
    prints = comment.split("→", 1)[1].strip() if "→" in comment else None
    status = re.search(r"exit status (\d)", comment)
    found = [Command(section, command, prints, int(status.group(1)) if status else 0)]
    alternative = re.search(r"or: ([^)]+)", comment)
    if alternative:
        found.append(Command(section, alternative.group(1).strip(), None, 0))
    return found


def split_comment(line: str) -> tuple[str, str]:
    """The command and its comment: the first ` #` outside quotes."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and i > 0 and line[i - 1] == " ":
            return line[:i].strip(), line[i + 1 :].strip()
    return line.strip(), ""


def all_commands() -> list[Command]:
    return [command for _, block in blocks(readme()) for command in block]


def run_by_ci(command: str) -> bool:
    pattern = re.compile(rf"(^|[\s/]){re.escape(command)}$")
    return any(pattern.search(line.strip()) for line in CI_RUN.read_text().splitlines())


def without_assignments(command: str) -> str:
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
        words.pop(0)
    return " ".join(words)


def is_app(command: str) -> bool:
    return without_assignments(command) in APP


def programs(command: str) -> list[str]:
    """The first word of each part of a pipeline or list, after `NAME=value`s."""
    return [
        (without_assignments(part).split() or ["export"])[0]
        for part in re.split(r"\|\||&&|[|;]", command)
    ]


def why_not_covered(command: Command) -> str | None:
    if run_by_ci(command.line) or is_app(command.line):
        return None
    if command.section in RUN_ELSEWHERE - {"A 60-second tour"}:
        return f"{command.section}: `{command.line}` is not run: add it to .ci/run as it is"
    strangers = [p for p in programs(command.line) if p not in RUN_HERE]
    if strangers:
        return (
            f"`{command.line}` runs {', '.join(strangers)}, which this test does not: add the "
            "line to .ci/run as it is, or to RUN_HERE in tests/test_readme_commands.py with "
            "what its throwaway home needs"
        )
    return None


def test_every_command_of_the_readme_is_run_by_ci_or_here() -> None:
    other_shells = re.findall(r"(?m)^\s*```(bash|shell|console|zsh)\s*$", readme())
    assert not other_shells, "write the README's shell commands in ```sh blocks, which are run"
    commands = all_commands()
    assert len(commands) > 30, "the README's ```sh blocks were not found"
    problems = [why for why in map(why_not_covered, commands) if why]
    assert not problems, "\n".join(problems)


def test_the_commands_named_in_the_prose_are_in_the_blocks() -> None:
    text = re.sub(r"```.*?```", "", readme(), flags=re.S)
    named = {span for span in re.findall(r"`([^`\n]+)`", text)}
    typed = [command.line for command in all_commands()]
    missing = [
        span
        for span in sorted(named)
        if re.match(COMMAND_WORDS, span) and not any(span in line for line in typed)
    ]
    assert not missing, (
        f"the README names {missing} as commands but no ```sh block has them: put each in a "
        "block (then this test runs it) or write it as it is in one"
    )


def test_the_tour_names_the_keys_of_the_bindings() -> None:
    tour = readme().split("## A 60-second tour", 1)[1].split("\n## ", 1)[0]
    keys = {
        b.id: [SHOWN_AS.get(k, k) for k in b.key.split(",")] for _, b in bindings.all_bindings()
    }
    for key, binding_id in TOUR_KEYS.items():
        assert f"`{key}`" in tour, f"the tour no longer names `{key}`: update TOUR_KEYS"
        assert key in keys[binding_id], f"the tour says `{key}`, {binding_id} is {keys[binding_id]}"


# -- running them ----------------------------------------------------------------------------


class Home:
    """A throwaway home: its folders, the environment its commands get, its working folder."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = tmp_path / "home"
        self.cwd = tmp_path / "work"
        self.cwd.mkdir(parents=True)
        shutil.copy(ROOT / "alembic.ini", self.cwd)
        shutil.copytree(
            ROOT / "migrations",
            self.cwd / "migrations",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        folders = {
            "XDG_DATA_HOME": self.home / ".local" / "share",
            "XDG_CONFIG_HOME": self.home / ".config",
            "XDG_STATE_HOME": self.home / ".local" / "state",
        }
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env |= {k: str(v) for k, v in folders.items()}
        self.env |= {
            "HOME": str(self.home),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "PASSWORD": PASSWORD,
            "TODO_TUI_BCRYPT_ROUNDS": "4",
        }
        for name, value in folders.items():
            monkeypatch.setenv(name, str(value))  # tokens.save writes where the commands read
        monkeypatch.delenv("DATABASE_URL", raising=False)
        self.neon_url: str | None = None
        self.in_the_app: list[Callable[[dict[str, str]], None]] = []  # what each launch does
        (self.home / ".taskrc").parent.mkdir(parents=True, exist_ok=True)
        (self.home / ".taskrc").write_text(f"data.location={self.home / '.task'}\n")

    def settings(self, env: dict[str, str]):
        """The settings the commands get here: DATABASE_URL, else the home's SQLite file."""
        environ = {k: v for k, v in env.items() if k == "DATABASE_URL"}
        return load_settings(environ=environ, cwd=self.cwd)

    def log_in(self, env: dict[str, str]) -> None:
        """What the app does on `ctrl+n` with Stay logged in ticked: an account, its session."""
        database = Database(self.settings(env))
        try:
            user = database.run(lambda s: register(s, email=EMAIL, password=PASSWORD, rounds=4))
            started = database.run(lambda s: sessions.create(s, user=user))
            tokens.save(database.settings.database, started.token)
        finally:
            database.dispose()

    def line_env(self, command: str) -> dict[str, str]:
        """The environment with the command's own `NAME=value`s, as bash would give it."""
        env = dict(self.env)
        for word in shlex.split(command):
            name, sep, value = word.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
                break
            env[name] = string.Template(value).safe_substitute(env)
        return env

    def run(self, command: Command) -> None:
        line = command.line
        if self.neon_url:
            line = NEON_URL.sub(shlex.quote(self.neon_url), line)
        line = re.sub(r"(^|[\s|])\.venv/bin/", rf"\g<1>{BIN}/", line)
        where = f"the README's `{command.line}` ({command.section})"
        assignment = shlex.split(line)
        if assignment and assignment[0] == "export":
            assignment = assignment[1:]
        if len(assignment) == 1 and re.fullmatch(r"[A-Za-z_]\w*=.*", assignment[0]):
            self.env = self.line_env(assignment[0])
            return
        if is_app(command.line):
            self.launch(line, where)
            return
        done = subprocess.run(
            ["bash", "-c", line],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        assert "Traceback" not in done.stdout + done.stderr, f"{where}: {done.stderr}"
        assert done.returncode == command.status, (
            f"{where} exited {done.returncode}, not {command.status}: {done.stderr.strip()}"
        )
        if command.prints is not None:
            expected = printed_as_of_today(command.prints)
            lines = [" ".join(out.split()) for out in done.stdout.splitlines()]
            assert any(expected.fullmatch(out) for out in lines), (
                f"{where} printed {done.stdout!r}, not the line {command.prints!r}"
            )

    def launch(self, line: str, where: str) -> None:
        terminal = Terminal(["bash", "-c", line], self.line_env(line), self.cwd)
        try:
            terminal.wait_for("Log in")
            terminal.settle()
            terminal.type("\x11")  # ctrl+q
            assert terminal.wait_exit() == 0, f"{where}: the app did not end well"
        finally:
            terminal.close()
        self.log_in(self.line_env(line))
        if self.in_the_app:
            self.in_the_app.pop(0)(self.line_env(line))


def printed_as_of_today(shown: str, today: date | None = None) -> re.Pattern[str]:
    """What the README shows as printed on SHOWN_ON, as printed `today`: each `Wed 2 Dec`
    moved by as many days, with its year when that is not today's (as todo-tui writes it)."""
    today = today or date.today()

    def moved(match: re.Match[str]) -> str:
        day = datetime.strptime(
            f"{match.group(2)} {match.group(3)} {SHOWN_ON.year}", "%d %b %Y"
        ).date()
        day += today - SHOWN_ON
        year = "" if day.year == today.year else f" {day.year}"
        return f"{day:%a} {day.day} {day:%b}{year}"

    text = " ".join(DAY.sub(moved, shown).split())
    return re.compile(".*".join(re.escape(part) for part in text.split("…")))


def section_blocks(*sections: str) -> list[list[Command]]:
    return [block for section, block in blocks(readme()) if section in sections]


def run_blocks(home: Home, found: list[list[Command]]) -> None:
    for block in found:
        for command in block:
            if not run_by_ci(command.line):
                home.run(command)


def test_the_install_sections_app_launches_open_the_app(tmp_path, monkeypatch) -> None:
    found = section_blocks("Install, run, test")
    launches = [c for block in found for c in block if is_app(c.line)]
    assert len(launches) >= 2
    for i, command in enumerate(launches):
        Home(tmp_path / f"launch{i}", monkeypatch).run(command)


def test_the_tour_runs_from_sqlite_to_neon(tmp_path, monkeypatch, tls_databases) -> None:
    """After the first launch, the tour's quick-add line is typed into `todo-tui add`, which
    reads it as the form does (both quickadd.read_quick_add), and must read as it shows."""
    tour = readme().split("## A 60-second tour", 1)[1]
    typed, shown = re.search(r"```\n(.+?) +→ +(.+?)\n```", tour).groups()

    def quick_add(env: dict[str, str]) -> None:
        added = subprocess.run(
            ["todo-tui", "add", *typed.split()],
            env=env,
            cwd=home.cwd,
            capture_output=True,
            text=True,
        )
        assert printed_as_of_today(f"Added 1: {shown}").fullmatch(added.stdout.strip()), added

    home = Home(tmp_path, monkeypatch)
    home.in_the_app = [quick_add]
    home.neon_url = tls_databases.new_url()  # empty: the tour's `db upgrade` makes the tables
    run_blocks(home, section_blocks("A 60-second tour"))
    made = home.home / ".local" / "share" / "todo-tui" / "todo.db"
    assert made.stat().st_mode & 0o777 == 0o600, "the first launch made no private SQLite file"
    env = dict(home.env, DATABASE_URL=home.neon_url)
    shown = subprocess.run(
        ["todo-tui", "list", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert '"title": "Pay rent"' in shown.stdout, "the tour's todo did not reach Neon"


def test_the_reference_commands_run(databases, tls_databases, tmp_path, monkeypatch) -> None:
    sections = {s for s, _ in blocks(readme())} - RUN_ELSEWHERE
    if databases.dialect == "postgresql":
        sections -= SQLITE_ONLY
    for section in sorted(sections):
        home = Home(tmp_path / section.replace(" ", "-"), monkeypatch)
        if databases.dialect == "postgresql":
            home.env["DATABASE_URL"] = databases.migrated().settings.database.url
        else:
            database = Database(home.settings(home.env))
            upgrade_to_head(database)
            database.dispose()
        home.log_in(home.env)
        home.neon_url = tls_databases.migrated().settings.database.url
        home.log_in({"DATABASE_URL": home.neon_url})
        subprocess.run(
            ["task", "add", "Water", "the", "plants"],
            env=home.env,
            cwd=home.cwd,
            capture_output=True,
            check=True,
        )
        run_blocks(home, section_blocks(section))


def test_tomorrow_in_the_readme_moves_with_the_day() -> None:
    shown = "Added 1: Pay rent · due Wed 2 Dec · high"
    pattern = printed_as_of_today(shown, date(2027, 3, 9))
    assert pattern.fullmatch("Added 1: Pay rent · due Wed 10 Mar · high")
    assert not pattern.fullmatch("Added 1: Pay rent · due Wed 2 Dec · high")
    new_year = printed_as_of_today(shown, date(2026, 12, 31))
    assert new_year.fullmatch("Added 1: Pay rent · due Fri 1 Jan 2027 · high")
