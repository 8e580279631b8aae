"""Import and export of todo lists: plain functions, no Textual, no database.

- `export_text(todos, format)`: json (lossless), csv, markdown, todotxt, ical.
- `read_import(data, format=None)`: the bytes of a file, checked and read into an
  `ImportPlan` (the todos to add, what is skipped and why, what each field becomes), the
  format detected when not given. `ImportRefused` (one sentence, naming the line or item)
  for anything that cannot be imported; nothing is written before a whole file is read.
- `todo_item(todo)`: a todo as todo-tui's JSON item (what `todo-tui list --json` prints).

`todo_tui.transfer.service` writes a plan to the database and reads a list to export.
Importing this package loads only the names below (the command line's parser needs them
on every launch); the rest is loaded on first use.
"""

from __future__ import annotations

import importlib

EXPORT_FORMATS = ("json", "csv", "markdown", "todotxt", "ical")
IMPORT_FORMATS = ("json", "taskwarrior", "todotxt", "ical", "csv")
FORMAT_NAMES = {
    "json": "todo-tui JSON",
    "taskwarrior": "taskwarrior JSON",
    "todotxt": "todo.txt",
    "ical": "iCalendar",
    "csv": "CSV",
    "markdown": "Markdown",
}

_LAZY = {
    "detect_format": "todo_tui.transfer.formats",
    "export_text": "todo_tui.transfer.formats",
    "read_import": "todo_tui.transfer.formats",
    "ImportItem": "todo_tui.transfer.items",
    "ImportPlan": "todo_tui.transfer.items",
    "ImportRefused": "todo_tui.transfer.items",
    "Progress": "todo_tui.transfer.items",
    "Skipped": "todo_tui.transfer.items",
    "todo_item": "todo_tui.transfer.items",
}

__all__ = ["EXPORT_FORMATS", "FORMAT_NAMES", "IMPORT_FORMATS", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
