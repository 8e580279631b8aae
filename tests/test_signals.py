"""`kill`, a closed terminal and an outside ctrl+c end the app as ctrl+q does: a real
`python -m todo_tui` on a real pty, logged in, a todo form open with text typed, then the
signal. The terminal is given back (alternate screen left, mouse off, cursor shown, tty
modes restored), the exit status says which signal, and the text is kept as a draft that
the next launch offers back — straight from launch, without typing: it stays logged in.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from benchmarks.terminal import visible_text
from todo_tui import auth, drafts
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.records import TodoDraft
from todo_tui.schema import upgrade_to_head

EMAIL = "sig@example.com"
PASSWORD = "signal-pw-1"
TITLE = "Buy milk before the shop shuts"
TIMEOUT = 30.0
LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
MOUSE_OFF = b"\x1b[?1000l"


class Terminal:
    """A process on a pty of 100x30; the slave end stays open here to read its modes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            # Its controlling terminal, as in a terminal window: closing it sends SIGHUP.
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        self.output = bytearray()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.output += chunk
        return bool(chunk)

    def wait_for(self, text: str, since: int = 0) -> int:
        """Until `text` shows in the output after byte `since`; where the output ends now."""
        deadline = time.monotonic() + TIMEOUT
        while text not in visible_text(bytes(self.output[since:])):
            if time.monotonic() > deadline or self.process.poll() is not None:
                tail = visible_text(bytes(self.output[-1500:]))
                pytest.fail(f"{text!r} never showed; the screen ended with {tail!r}")
            self._read(0.1)
        return len(self.output)

    def settle(self, quiet: float = 0.3) -> None:
        """Until the app has drawn what the last keys changed and gone quiet."""
        deadline = time.monotonic() + TIMEOUT
        while self._read(quiet):
            if time.monotonic() > deadline:
                pytest.fail("the app never went quiet")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait_exit(self) -> int:
        deadline = time.monotonic() + TIMEOUT
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail("the app did not end")
            self._read(0.05)
        while self._read(0.05):
            pass
        return self.process.returncode

    def local_modes(self) -> int:
        return termios.tcgetattr(self.slave)[3]

    def hang_up(self) -> int:
        """Close the terminal, as closing its window does; the process's exit status."""
        os.close(self.slave)
        os.close(self.master)
        self.master = self.slave = -1
        try:
            return self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail("the app did not end when its terminal closed")

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
        for fd in (self.master, self.slave):
            if fd >= 0:
                os.close(fd)


@pytest.fixture
def launch(tmp_path: Path):
    path = tmp_path / "todo.db"
    settings = load_settings(database_url=f"sqlite:///{path}", environ={})
    database = Database(settings)
    upgrade_to_head(database)
    user = database.run(lambda s: auth.register(s, email=EMAIL, password=PASSWORD, rounds=4))
    database.dispose()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TODO_TUI_BCRYPT_ROUNDS"] = "4"
    terminals: list[Terminal] = []

    def start() -> Terminal:
        terminal = Terminal(
            [sys.executable, "-m", "todo_tui", "--database-url", f"sqlite:///{path}"],
            env,
            tmp_path,
        )
        terminals.append(terminal)
        return terminal

    start.draft_file = drafts.draft_path(settings.database, user.id)  # type: ignore[attr-defined]
    start.settings = settings  # type: ignore[attr-defined]
    yield start
    for terminal in terminals:
        terminal.close()


def log_in(terminal: Terminal, then: str = "All:") -> None:
    terminal.wait_for("Log in")
    terminal.settle()
    terminal.type(EMAIL)
    terminal.wait_for(EMAIL)
    terminal.type("\r")
    terminal.settle()  # the password field has the focus
    terminal.type(PASSWORD + "\r")
    terminal.wait_for(then)
    terminal.settle()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=str)
def test_a_signal_gives_the_terminal_back_and_keeps_the_draft(launch, signum: int) -> None:
    terminal = launch()
    cooked = terminal.local_modes()
    assert cooked & (termios.ICANON | termios.ECHO) == termios.ICANON | termios.ECHO
    log_in(terminal)
    assert terminal.local_modes() & (termios.ICANON | termios.ECHO) == 0  # raw while it runs
    terminal.type("a")
    mark = terminal.wait_for("New todo")
    terminal.settle()
    terminal.type(TITLE)
    terminal.wait_for(TITLE, since=mark)
    sent_at = len(terminal.output)
    terminal.process.send_signal(signum)

    assert terminal.wait_exit() == 128 + signum
    ending = bytes(terminal.output[sent_at:])
    for sequence in (MOUSE_OFF, LEAVE_ALTERNATE_SCREEN, SHOW_CURSOR):
        assert sequence in ending, (sequence, ending[-300:])
    assert ending.rindex(LEAVE_ALTERNATE_SCREEN) > ending.rfind(b"\x1b[?1049h")
    assert terminal.local_modes() == cooked  # ICANON and ECHO back, as before the launch
    assert b"Traceback" not in terminal.output

    draft_file: Path = launch.draft_file
    assert stat.S_IMODE(draft_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(draft_file.parent.stat().st_mode) == 0o700
    kept = drafts.load(launch.settings.database, 1)
    assert kept is not None and (kept.text, kept.todo_id) == (TodoDraft(TITLE, ""), None)
    assert kept.client_key is not None and len(kept.client_key) == 32  # the form's own key
    assert str(launch.settings.database.sqlite_path) not in draft_file.read_text()

    again = launch()  # stays logged in: straight to the list, nothing typed
    again.wait_for("Restore the todo you were writing?")
    again.settle()
    assert "Password" not in visible_text(bytes(again.output))  # no log-in screen shown
    mark = len(again.output)
    again.type("\r")  # Restore
    mark = again.wait_for("New todo", since=mark)
    again.wait_for(f"{len(TITLE)}/200")  # the form counts the restored title
    assert not draft_file.exists()  # offered once
    again.type("\x11")  # ctrl+q
    assert again.wait_exit() == 0


def test_closing_the_terminal_keeps_the_draft(launch) -> None:
    """A real hang-up: the terminal itself goes, so only the draft and the exit can be seen."""
    terminal = launch()
    log_in(terminal)
    terminal.type("a")
    mark = terminal.wait_for("New todo")
    terminal.settle()
    terminal.type(TITLE)
    terminal.wait_for(TITLE, since=mark)
    assert terminal.hang_up() == 128 + signal.SIGHUP
    kept = drafts.load(launch.settings.database, 1)
    assert kept is not None and (kept.text, kept.todo_id) == (TodoDraft(TITLE, ""), None)
    assert kept.client_key is not None and len(kept.client_key) == 32  # the form's own key
