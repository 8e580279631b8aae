"""Markdown: a checklist, grouped by tag (a todo with several tags is under each; those
without one last) or by due date (soonest first; those without one last). Export only.

    ## home
    - [ ] Pay rent (due 2026-12-04 09:30, high priority)
    - [x] Water the plants

The todos' text is escaped, so a title is never read as Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from todo_tui.records import PRIORITY_NAMES, TodoRecord
from todo_tui.validation import tag_key

GROUPINGS = ("tag", "due")
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def line_of(todo: TodoRecord) -> str:
    notes = []
    if todo.due is not None:
        notes.append(f"due {todo.due.iso()}")
    if todo.priority:
        notes.append(f"{PRIORITY_NAMES[todo.priority]} priority")
    box = "x" if todo.is_completed else " "
    line = f"- [{box}] {escape(todo.title)}"
    if notes:
        line += f" ({', '.join(notes)})"
    if todo.description:
        for text in todo.description.splitlines():
            line += f"\n  {escape(text)}" if text.strip() else "\n"
    return line


def _sections(todos: list[TodoRecord], group_by: str) -> list[tuple[str, list[TodoRecord]]]:
    if group_by == "tag":
        by_tag: dict[str, list[TodoRecord]] = {}
        for todo in todos:
            for tag in todo.tags:
                by_tag.setdefault(tag, []).append(todo)
        sections = [(escape(tag), by_tag[tag]) for tag in sorted(by_tag, key=tag_key)]
        return [*sections, ("No tag", [t for t in todos if not t.tags])]
    if group_by == "due":
        by_day: dict[date, list[TodoRecord]] = {}
        for todo in todos:
            if todo.due_date is not None:
                by_day.setdefault(todo.due_date, []).append(todo)
        sections = [
            (
                day.isoformat(),
                sorted(by_day[day], key=lambda t: (t.due_time is not None, t.due_time)),
            )
            for day in sorted(by_day)
        ]
        return [*sections, ("No due date", [t for t in todos if t.due_date is None])]
    raise ValueError(f"group_by is one of {', '.join(GROUPINGS)}, not {group_by!r}")


def export(todos: Iterable[TodoRecord], *, group_by: str = "tag") -> str:
    todos = list(todos)
    blocks = ["# Todos"]
    for heading, members in _sections(todos, group_by):
        if members:
            blocks.append(f"## {heading}\n\n" + "\n".join(line_of(todo) for todo in members))
    return "\n\n".join(blocks) + "\n"
