"""`todo-tui list`: which todos a view shows (the app's views, views.py), in the app's
default order, as an aligned table (colour only on a terminal; user text made safe for it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.cells import cell_len

from todo_tui import views
from todo_tui.dates import relative
from todo_tui.display import PRIORITY_MARKS, due_order, haystack, sanitize
from todo_tui.records import PRIORITY_NAMES, TodoRecord

BOLD, DIM, RED, YELLOW, RESET = "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[33m", "\x1b[0m"
HEADINGS = ("ID", "DUE", "PRI", "TITLE", "TAGS")


def select(
    todos: Iterable[TodoRecord],
    *,
    view: str,
    tags: list[str],
    search: str | None,
    today: date,
) -> list[TodoRecord]:
    """The todos the view shows, having every tag of `tags` and holding `search`."""
    shows = views.shows(view)
    wanted = {tag.lstrip("#").casefold() for tag in tags}
    query = (search or "").strip().casefold()
    shown = [
        todo
        for todo in todos
        if shows(todo, today)
        and wanted <= {tag.casefold() for tag in todo.tags}
        and query in haystack(todo)
    ]
    return sorted(shown, key=due_order)


def _due(todo: TodoRecord, today: date) -> str:
    if todo.due_date is None:
        return ""
    words = relative(todo.due_date, today)
    return words if todo.due_time is None else f"{words} {todo.due_time:%H:%M}"


def describe(todo: TodoRecord, today: date) -> str:
    """`Pay rent · due tomorrow · high · #home`: one todo on one line."""
    parts = [sanitize(todo.title)]
    if todo.due_date is not None:
        parts.append(f"due {_due(todo, today)}")
    if todo.priority:
        parts.append(PRIORITY_NAMES[todo.priority])
    parts += [f"#{sanitize(tag)}" for tag in todo.tags]
    return " · ".join(parts)


def table(todos: list[TodoRecord], *, today: date, colour: bool) -> str:
    """One line per todo, the columns aligned (by terminal cells: wide letters count two)."""
    rows = [
        (
            str(todo.id),
            _due(todo, today),
            PRIORITY_MARKS[todo.priority],
            ("[x] " if todo.is_completed else "") + sanitize(todo.title),
            " ".join(f"#{sanitize(tag)}" for tag in todo.tags),
        )
        for todo in todos
    ]
    widths = [max(cell_len(row[n]) for row in [HEADINGS, *rows]) for n in range(len(HEADINGS))]

    def line(cells: tuple[str, ...], styles: tuple[str, ...] = ("",) * 5) -> str:
        parts = []
        for n, (cell, style) in enumerate(zip(cells, styles, strict=True)):
            padded = cell if n == len(cells) - 1 else cell + " " * (widths[n] - cell_len(cell))
            parts.append(f"{style}{padded}{RESET}" if colour and style and cell else padded)
        return "  ".join(parts).rstrip()

    lines = [line(HEADINGS, (BOLD,) * 5)]
    for todo, row in zip(todos, rows, strict=True):
        due_style = ""
        if not todo.is_completed and todo.due_date is not None and todo.due_date <= today:
            due_style = YELLOW + BOLD if todo.due_date == today else RED + BOLD
        done = DIM if todo.is_completed else ""
        lines.append(line(row, (DIM, due_style, YELLOW, done, DIM)))
    return "\n".join(lines)
