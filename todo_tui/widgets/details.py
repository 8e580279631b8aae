"""The selected todo, whole: its title and description as typed (literal, every line) and
its times. A side pane on a wide terminal; the same widget inside a panel on a narrow one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from todo_tui.records import PRIORITY_NAMES, TodoRecord
from todo_tui.widgets.todo_table import relative_time, sanitize

SETTLE = 0.06  # seconds the cursor rests before the pane follows it


def when(moment: datetime, now: datetime) -> str:
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp} ({relative_time(moment, now)})"


def describe(todo: TodoRecord | None, now: datetime) -> tuple[Text, Text]:
    """The title line, and the rest: user text as Text objects, never markup."""
    if todo is None:
        return Text("No todo selected."), Text("")
    title = Text(sanitize(todo.title), style="bold")
    body = Text()
    lines = (todo.description or "").splitlines() or [""]
    body.append("\n".join(sanitize(line) for line in lines) if todo.description else "—")
    body.append("\n\n")
    facts = [("State", "done" if todo.is_completed else "open")]
    if (due := getattr(todo, "due", None)) is not None:
        facts.append(("Due", due.iso()))
    if priority := getattr(todo, "priority", 0):
        facts.append(("Priority", PRIORITY_NAMES[priority]))
    if tags := getattr(todo, "tags", ()):
        facts.append(("Tags", sanitize(" ".join(f"#{tag}" for tag in tags))))
    facts += [("Created", when(todo.created_at, now)), ("Updated", when(todo.updated_at, now))]
    if (completed := getattr(todo, "completed_at", None)) is not None:
        facts.append(("Completed", when(completed, now)))
    for label, value in facts:
        body.append(f"{label}: ", style="dim")
        body.append(f"{value}\n")
    return title, body


class TodoDetails(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    TodoDetails {
        padding: 0 1;
        background: $surface;
    }
    """

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self._todo: TodoRecord | None = None
        self._composed = False
        self._pending: Timer | None = None
        self._shown: TodoRecord | None = None
        self._shown_at = 0.0

    def compose(self) -> ComposeResult:
        yield Static("", id="details-text", markup=False)  # one update, one layout

    def on_mount(self) -> None:
        self._composed = True
        self._show()
        self._shown_at = 0.0  # the first todo the list selects shows at once

    def show_todo(self, todo: TodoRecord | None) -> None:
        """Show `todo`: at once after a pause, else once the cursor rests (re-laying out
        the pane costs a few tens of ms, too much for every step of a held-down key)."""
        if todo == self._todo:
            return
        self._todo = todo
        if not self._composed:
            return
        if self._pending is None and time.monotonic() - self._shown_at >= SETTLE:
            self._show()
            return
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(SETTLE, self._show)

    @property
    def shown(self) -> TodoRecord | None:
        """The todo on screen now (the one asked for, once the cursor rested)."""
        return self._shown

    def _show(self) -> None:
        self._pending = None
        self._shown_at = time.monotonic()
        self._shown = self._todo
        title, body = describe(self._todo, self._now())
        self.query_one("#details-text", Static).update(Text.assemble(title, "\n\n", body))
