"""The app's one database thread: all database work, in the order the user asked for it,
and while there is none, the change feed's wait for the server on the same connection.

Standard library only: the app's first frame imports this.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


_NOTHING = object()  # what get_nowait() found in an empty queue


class Tenant(Protocol):
    """What runs on the database thread between jobs (the change feed)."""

    def wait(self, wakeup: int) -> None:
        """Do a bounded piece of waiting; return early once `wakeup` is readable (work)."""

    def after_work(self) -> None:
        """A job has just run: pick up what it read on the way (notifications)."""


class DatabaseThread:
    """One daemon thread runs all database work, in the order it was submitted.

    In order: two quick toggles of one todo reach the database as pressed. A daemon: a call
    stuck on a dead network never keeps the app from quitting. While the queue is empty it
    lends the thread to its tenant, which waits on the server's socket and on `wakeup`, a
    socket that every submit writes to. With no tenant, `on_idle` runs once after
    `idle_after` seconds without work (the app closes its idle connection there).
    """

    def __init__(
        self,
        *,
        name: str = "todo-tui-database",
        on_idle: Callable[[], None] | None = None,
        idle_after: float | None = None,
    ) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._tenant: Tenant | None = None
        self._tenant_waiting = False
        self.on_idle = on_idle
        self.idle_after = idle_after
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def tenant_waiting(self) -> bool:
        """The tenant has the thread (between jobs): what runs on it now is the tenant's
        (the change feed's polling), not a job's. For the benchmarks' statement counts."""
        return self._tenant_waiting

    def submit(self, work: Callable[[], None]) -> None:
        self._queue.put(work)
        self.wake()

    def wake(self) -> None:
        """Interrupt the tenant's wait: there is something to look at."""
        with contextlib.suppress(OSError):  # full (already woken) or closed (stopped)
            self._wake_write.send(b"\0")

    def attach(self, tenant: Tenant) -> None:
        self.submit(lambda: setattr(self, "_tenant", tenant))

    def detach(self, tenant: Tenant) -> None:
        """On the database thread only (a tenant leaving from its own wait)."""
        if self._tenant is tenant:
            self._tenant = None

    def stop(self) -> None:
        """Finish the queued work, then end."""
        self._queue.put(None)
        self.wake()

    def join(self, timeout: float) -> bool:
        """Wait (at most `timeout`) for the queued work to finish; False if it did not."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        with self._wake_read, self._wake_write, selectors.DefaultSelector() as selector:
            selector.register(self._wake_read, selectors.EVENT_READ)
            idle_done = False
            while True:
                work: object
                try:
                    work = self._queue.get_nowait()
                except queue.Empty:
                    work = _NOTHING
                if work is _NOTHING:
                    idle_done = self._idle(selector, idle_done)
                    continue
                if work is None:
                    return
                idle_done = False
                work()  # type: ignore[operator]
                if (tenant := self._tenant) is not None:
                    self._guarded(tenant.after_work)

    def _idle(self, selector: selectors.BaseSelector, idle_done: bool) -> bool:
        if (tenant := self._tenant) is not None:
            self._tenant_waiting = True
            try:
                self._guarded(lambda: tenant.wait(self._wake_read.fileno()))
            finally:
                self._tenant_waiting = False
            idle_done = False
        else:
            timeout = None if idle_done or self.on_idle is None else self.idle_after
            if not selector.select(timeout) and self.on_idle is not None:
                self._guarded(self.on_idle)
                idle_done = True
        self._drain_wakeups()
        return idle_done

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while self._wake_read.recv(4096):
                pass

    @staticmethod
    def _guarded(call: Callable[[], None]) -> None:
        try:
            call()
        except Exception:  # the thread must live on: the app's work depends on it
            log.exception("unexpected failure on the database thread")
