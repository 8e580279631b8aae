"""todo-tui's JSON: lossless, one documented schema.

    {"format": "todo-tui", "version": 1, "todos": [ITEM, …]}

ITEM is `items.todo_item`'s dict (the same `todo-tui list --json` prints). An import also
takes a bare list of items.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from todo_tui.records import TodoRecord
from todo_tui.transfer.items import (
    ITEM_FIELDS,
    ImportPlan,
    ImportRefused,
    Occurrences,
    item_from_fields,
    todo_item,
)

FORMAT_NAME = "todo-tui"
SCHEMA_VERSION = 1
SOURCE = "todo-tui"  # the key source of JSON and CSV alike: the same todo is one todo
MAPPING = (
    *((name, name) for name in ITEM_FIELDS if name != "id"),
    ("id", "not kept: the todo gets a new id here"),
)


def export(todos: Iterable[TodoRecord]) -> str:
    """The document, one todo a line (json's C encoder writes each: `indent` would send the
    whole document through its pure-Python one, several times slower)."""
    lines = [json.dumps(todo_item(todo), ensure_ascii=False) for todo in todos]
    head = f'{{\n  "format": "{FORMAT_NAME}",\n  "version": {SCHEMA_VERSION},\n  "todos": ['
    if not lines:
        return head + "]\n}\n"
    return head + "\n    " + ",\n    ".join(lines) + "\n  ]\n}\n"


def load(text: str, what: str = "JSON"):
    """The file's JSON value; ImportRefused with the line and column where it breaks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as bad:
        raise ImportRefused(
            f"this is not valid {what} ({bad.msg}, column {bad.colno}).", f"line {bad.lineno}"
        ) from None
    except RecursionError:
        raise ImportRefused(f"this {what} is nested too deeply to be a todo list.") from None


def is_ours(value: object) -> bool:
    if isinstance(value, dict):
        return value.get("format") == FORMAT_NAME
    return isinstance(value, list) and all(
        isinstance(item, dict) and "title" in item for item in value
    )


def parse(text: str) -> ImportPlan:
    return plan_of(load(text))


def plan_of(document: object) -> ImportPlan:
    if isinstance(document, dict):
        if document.get("format") != FORMAT_NAME:
            raise ImportRefused('this JSON is not a todo-tui export (no "format": "todo-tui").')
        version = document.get("version")
        if version != SCHEMA_VERSION:
            raise ImportRefused(
                f"this todo-tui export has schema version {version!r}; this todo-tui reads "
                f"version {SCHEMA_VERSION}."
            )
        unknown = [name for name in document if name not in ("format", "version", "todos")]
        if unknown:
            raise ImportRefused(f"this export has a field todo-tui does not know, {unknown[0]!r}.")
        todos = document.get("todos")
    else:
        todos = document
    if not isinstance(todos, list):
        raise ImportRefused('this todo-tui export has no list of "todos".')
    occurrences = Occurrences()
    items = []
    for number, values in enumerate(todos, start=1):
        where = f"item {number}"
        if not isinstance(values, dict):
            raise ImportRefused("it is not an object with a title.", where)
        items.append(item_from_fields(values, where, source=SOURCE, occurrences=occurrences))
    return ImportPlan(format="json", items=tuple(items), mapping=MAPPING)
