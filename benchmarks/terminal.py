"""Run a program in a real pseudo-terminal and time when texts first appear on its screen."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

COLUMNS, ROWS = 100, 30
# CSI (with private and intermediate bytes), OSC (ended by BEL or ST), other two-byte escapes.
ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Textual sends terminal queries; answering some of them the way a terminal would keeps
# the run close to a real one (it does not wait for the answers).
QUIT = b"\x11"  # ctrl+q


@dataclass
class Run:
    """When each marker first appeared, in seconds since just before the process started."""

    seen: dict[str, float]
    exit_code: int | None
    output_tail: str

    def at(self, marker: str) -> float:
        if marker not in self.seen:
            raise RuntimeError(
                f"{marker!r} never appeared on the terminal; last output: {self.output_tail!r}"
            )
        return self.seen[marker]


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def visible_text(raw: bytes) -> str:
    """The printable text of terminal output, escape sequences removed."""
    return ANSI.sub(b"", raw).decode("utf-8", "replace")


def run_in_terminal(
    argv: Sequence[str],
    markers: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: str | None = None,
    timeout: float = 30.0,
    linger: float = 0.0,
) -> Run:
    """Start `argv` on a new pty, read its output until every marker has shown (or
    `timeout`), stay `linger` seconds more, then quit it with ctrl+q (killing it if it does
    not go within 5 s)."""
    master, slave = os.openpty()
    _set_size(slave, COLUMNS, ROWS)
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    raw = bytearray()
    seen: dict[str, float] = {}
    pending = list(markers)
    deadline = started + timeout
    linger_until: float | None = None
    try:
        while True:
            now = time.perf_counter()
            if linger_until is not None and now >= linger_until:
                break
            if now >= deadline:
                break
            end = linger_until if linger_until is not None else deadline
            ready, _, _ = select.select([master], [], [], max(0.0, end - now))
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            at = time.perf_counter() - started
            raw += chunk
            if pending:
                text = visible_text(bytes(raw))
                for marker in list(pending):
                    if marker in text:
                        seen[marker] = at
                        pending.remove(marker)
                if not pending:
                    linger_until = time.perf_counter() + linger
        with contextlib.suppress(OSError):
            os.write(master, QUIT)
        exit_code = _wait_draining(process, master, 5.0)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        os.close(master)
    return Run(seen, exit_code, visible_text(bytes(raw[-2000:])))


def _wait_draining(process: subprocess.Popen, master: int, timeout: float) -> int | None:
    """Wait for the process while reading (and dropping) its output, so it never blocks."""
    deadline = time.perf_counter() + timeout
    while process.poll() is None and time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                break
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(max(0.0, deadline - time.perf_counter()))
    return process.poll()
