"""Keys typed in one burst go where the user meant them (auto-type, scripts, fast typists).

The keys are posted to the app all at once, before it runs again: what a terminal read of
the whole string produces.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input

from tests.pilot import (
    EMAIL,
    PASSWORD,
    eventually,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui import typeahead
from todo_tui.db import Database
from todo_tui.schema import upgrade_to_head
from todo_tui.typeahead import TypeAhead
from todo_tui.widgets.todo_table import TodoTable


def burst(app, *parts: str) -> None:
    """Post every key of `parts` (text, or key names in angle brackets) without yielding."""
    for part in parts:
        if part.startswith("<") and part.endswith(">"):
            app.post_message(events.Key(part[1:-1], "\r" if part == "<enter>" else None))
            continue
        for char in part:
            key = char if char.isalnum() else _character_to_key(char)
            app.post_message(events.Key(key, char))


async def typed(pilot) -> None:
    """Until every key of the burst has been handed on, and what they started has settled."""
    await eventually(pilot, lambda: pilot.app._type_ahead.idle, "the burst handed on")
    await settle(pilot)


async def test_password_typed_ahead_after_the_email_goes_to_the_password_field(database, tmp_path):
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        email = app.screen.query_one("#email", Input)
        burst(app, EMAIL, "<enter>", PASSWORD, "<enter>")
        await typed(pilot)
        assert email.value == EMAIL  # not EMAIL + PASSWORD, in plain text
        assert screen_name(pilot) == "TodoListScreen"


async def test_a_title_typed_ahead_after_a_goes_to_the_new_form(database, tmp_path):
    user = register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        table = app.screen.query_one(TodoTable)
        # Nearly every letter is also a key of the list (s sort, e edit, d delete, u undo…).
        title = "Send daily updates, fix the sort"
        burst(app, "a", title)
        await typed(pilot)
        assert screen_name(pilot) == "TodoForm"
        assert app.screen.query_one("#title", Input).value == title
        burst(app, "<enter>")
        await typed(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert [t.title for t in stored(database, user)] == [title]
        assert (table.sort_by, table.view) == ("due", "all")


async def test_todos_typed_ahead_while_a_save_is_on_its_way_are_each_added(database, tmp_path):
    # The keys after ⏎ arrive while the form is still saving: they wait for it to close.
    user = register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        burst(app, "a", "First one", "<enter>", "a", "Second one", "<enter>")
        await typed(pilot)
        await app.wait_for_database()
        assert screen_name(pilot) == "TodoListScreen"
        assert sorted(t.title for t in stored(database, user)) == ["First one", "Second one"]


async def test_keys_typed_after_a_save_that_hangs_reach_the_form_and_are_saved(
    database, tmp_path, monkeypatch
):
    # A save that does not answer must not swallow what was typed after it.
    user = register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        monkeypatch.setattr(typeahead, "BUSY_TIMEOUT", 1.0)
        hung = threading.Event()
        app.database_thread.submit(hung.wait)  # the save queues behind this
        burst(app, "a", "Pay", "<enter>", " rent")
        await eventually(pilot, lambda: app.screen.has_class("-busy"), "the form saving")
        form = app.screen
        assert form.query_one("#title", Input).value == "Pay"  # " rent" held meanwhile
        assert not app._type_ahead.idle
        await eventually(pilot, lambda: app._type_ahead.idle, "given up waiting", timeout=5)
        assert form.query_one("#title", Input).value == "Pay rent"
        hung.set()
        await eventually(pilot, lambda: screen_name(pilot) == "TodoListScreen", "saved")
        await app.wait_for_database()
        assert [t.title for t in stored(database, user)] == ["Pay rent"]


async def test_a_key_whose_answer_never_comes_holds_the_next_one_only_briefly(
    database, tmp_path, monkeypatch
):
    # A widget that closes before it answers (its screen went) must not stop the keyboard.
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        email = app.screen.query_one("#email", Input)
        monkeypatch.setattr(TypeAhead, "_round", lambda self, key, number: None)  # no answer
        burst(app, "ab")
        await eventually(pilot, lambda: email.value == "ab", "the held key handed on")
        assert app._type_ahead.idle is False  # still waiting for the answer about "b"
        await eventually(pilot, lambda: app._type_ahead.idle, "given up waiting", timeout=2)


@pytest.mark.parametrize("run", range(3))
async def test_a_new_account_typed_in_one_burst(database, tmp_path, run):
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        burst(
            app, "<ctrl+n>", f"n{run}{EMAIL}", "<enter>", PASSWORD, "<enter>", PASSWORD, "<enter>"
        )
        await typed(pilot)
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert app.screen.user.email == f"n{run}{EMAIL}"


# -- a real terminal: the whole string in one write, read by the app in one read -------------

ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """`python -m todo_tui` on a new pty of 100x30; what it shows, escapes removed."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.raw = bytearray()

    @property
    def text(self) -> str:
        return ANSI.sub(b"", bytes(self.raw)).decode("utf-8", "replace")

    def read(self, wait: float) -> None:
        ready, _, _ = select.select([self.master], [], [], wait)
        if ready:
            with contextlib.suppress(OSError):
                self.raw += os.read(self.master, 65536)

    def until(self, predicate, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"not within {timeout} s: {what}; the screen: {self.text[-1500:]!r}")
            self.read(0.05)

    def write(self, text: str) -> None:
        assert os.write(self.master, text.encode()) == len(text.encode())  # one write

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.write("\x11")  # ctrl+q
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        os.close(self.master)


def test_login_and_a_todo_typed_in_one_write_each_in_a_real_terminal(databases, tmp_path):
    url = databases.new_url()
    database = Database(databases.settings(url))
    upgrade_to_head(database)
    user = register(database)
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "TODO_TUI_BCRYPT_ROUNDS": "4",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    env.pop("DATABASE_URL", None)
    terminal = Terminal([sys.executable, "-m", "todo_tui", "--database-url", url], env)
    try:
        terminal.until(lambda: "No account yet?" in terminal.text, "the login screen")
        terminal.write(f"{EMAIL}\r{PASSWORD}\r")
        terminal.until(lambda: "No todos yet" in terminal.text, "logged in, the empty list")
        terminal.write("aSend daily updates\r")
        terminal.until(
            lambda: [t.title for t in stored(database, user)] == ["Send daily updates"],
            "the todo typed after a saved with its title",
        )
        assert PASSWORD not in terminal.text  # it never showed in the Email field
    finally:
        terminal.close()
        database.dispose()
