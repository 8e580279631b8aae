"""The selected todo, whole: its title and description as typed (literal, every line) and
its times. A side pane on a wide terminal; the same widget inside a panel on a narrow one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from todo_tui.records import TodoRecord
from todo_tui.widgets.todo_table import relative_time, sanitize


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
    facts = [
        ("State", "done" if todo.is_completed else "open"),
        ("Created", when(todo.created_at, now)),
        ("Updated", when(todo.updated_at, now)),
    ]
    for label, value in facts:
        body.append(f"{label}: ", style="dim")
        body.append(f"{value}\n")
    return title, body


class TodoDetails(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    TodoDetails {
        padding: 0 1;
        background: $surface;
        & > #details-title { margin-bottom: 1; }
    }
    """

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self._todo: TodoRecord | None = None
        self._composed = False

    def compose(self) -> ComposeResult:
        yield Static("", id="details-title", markup=False)
        yield Static("", id="details-body", markup=False)

    def on_mount(self) -> None:
        self._composed = True
        self._show()

    def show_todo(self, todo: TodoRecord | None) -> None:
        if todo == self._todo:
            return
        self._todo = todo
        if self._composed:
            self._show()

    def _show(self) -> None:
        title, body = describe(self._todo, self._now())
        self.query_one("#details-title", Static).update(title)
        self.query_one("#details-body", Static).update(body)
