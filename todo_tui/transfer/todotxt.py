"""todo.txt (github.com/todotxt/todo.txt): one todo a line.

    x 2026-12-02 2026-12-01 Call the bank +money @phone due:2026-12-05 pri:A
    (A) 2026-12-01 Pay rent +home due:2026-12-04

`x` is done, followed by the date it was done and then the date it was made; `(A)` `(B)`
`(C)` are high, medium and low priority (`(D)` to `(Z)` low too); a done todo keeps its
priority as `pri:A`. `+project` and `@context` become tags (without their sign); `due:` is
the due date. Other `key:value` words stay in the title. todo.txt has no descriptions and
no times: an export leaves them out, and its dates are local dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, tzinfo

from todo_tui.records import TodoRecord
from todo_tui.transfer.items import (
    ImportItem,
    ImportPlan,
    ImportRefused,
    Occurrences,
    item_key,
    make_item,
    start_of,
)

SOURCE = "todo.txt"
LETTER_OF = {3: "A", 2: "B", 1: "C"}
_DATE = r"\d{4}-\d{2}-\d{2}"
_LINE = re.compile(
    rf"^(?:(?P<done>x) (?:(?P<completed>{_DATE}) (?:(?P<created_done>{_DATE}) )?)?)?"
    rf"(?:\((?P<priority>[A-Z])\) )?(?:(?P<created>{_DATE}) )?(?P<text>.*)$"
)
MAPPING = (
    ("x", "done"),
    ("the date after x", "completed_at (the start of that day, local)"),
    ("the creation date", "created_at (the start of that day, local)"),
    ("(A) / (B) / (C), pri:A…", "priority high / medium / low ((D)-(Z): low)"),
    ("+project, @context", "tags"),
    ("due:YYYY-MM-DD", "due_date"),
    ("the rest of the line", "title"),
)


def _priority(letter: str | None) -> int:
    if not letter:
        return 0
    return {"A": 3, "B": 2}.get(letter.upper(), 1)


def _day(text: str, what: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ImportRefused(f"its {what} {text!r} cannot be read as a date.", where) from None


def parse(text: str, *, zone: tzinfo) -> ImportPlan:
    occurrences = Occurrences()
    items: list[ImportItem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line:
            where = f"line {number}"
            key = item_key(SOURCE, occurrences.identity(line))
            items.append(_item(line, where, key, zone))
    return ImportPlan(format="todotxt", items=tuple(items), mapping=MAPPING)


def _item(line: str, where: str, key: str, zone: tzinfo) -> ImportItem:
    match = _LINE.match(line)
    assert match is not None  # every part is optional
    done = match["done"] is not None
    created = match["created_done"] or match["created"]
    letter = match["priority"]
    words, tags, due = [], [], None
    for word in match["text"].split():
        if len(word) > 1 and word[0] in "+@":
            tags.append(word[1:])
        elif word.startswith("due:") and len(word) > 4:
            due = _day(word[4:], "due date", where)
        elif word.startswith("pri:") and len(word) == 5 and word[4].isalpha():
            letter = word[4]
        else:
            words.append(word)
    title = " ".join(words)
    if not title and tags:
        title = " ".join(tags)  # a line of only +project words: say which
    completed = _day(match["completed"], "completion date", where) if match["completed"] else None
    created_at = start_of(_day(created, "creation date", where), zone) if created else None
    return make_item(
        where,
        key,
        title=title,
        done=done,
        due_date=due,
        priority=_priority(letter),
        tags=tags,
        created_at=created_at,
        completed_at=None if completed is None else start_of(completed, zone),
    )


def line_of(todo: TodoRecord, zone: tzinfo) -> str:
    parts = []
    created = todo.created_at.astimezone(zone).date().isoformat()
    letter = LETTER_OF.get(todo.priority)
    if todo.is_completed:
        completed = todo.completed_at or todo.updated_at
        parts += ["x", completed.astimezone(zone).date().isoformat(), created]
    else:
        if letter:
            parts.append(f"({letter})")
        parts.append(created)
    parts.append(todo.title)
    parts += [f"+{tag}" for tag in todo.tags]
    if todo.due_date is not None:
        parts.append(f"due:{todo.due_date.isoformat()}")
    if todo.is_completed and letter:
        parts.append(f"pri:{letter}")
    return " ".join(parts)


def export(todos: Iterable[TodoRecord], *, zone: tzinfo) -> str:
    return "".join(line_of(todo, zone) + "\n" for todo in todos)
