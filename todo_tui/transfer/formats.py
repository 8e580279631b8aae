"""Detecting a file's format, reading it into a plan, and writing todos in a format."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from todo_tui.records import TodoRecord
from todo_tui.transfer import (
    EXPORT_FORMATS,
    FORMAT_NAMES,
    IMPORT_FORMATS,
    csv_format,
    ical,
    json_format,
    markdown,
    taskwarrior,
    todotxt,
)
from todo_tui.transfer.items import ImportPlan, ImportRefused, decode, local_zone


def export_text(
    todos: Iterable[TodoRecord],
    format: str = "json",
    *,
    group_by: str = "tag",
    zone: tzinfo | None = None,
) -> str:
    """`todos` in `format`. `group_by` ("tag" or "due"): Markdown's sections; `zone`: the
    zone of todo.txt's dates (by default the local one)."""
    if format == "json":
        return json_format.export(todos)
    if format == "csv":
        return csv_format.export(todos)
    if format == "markdown":
        return markdown.export(todos, group_by=group_by)
    if format == "todotxt":
        return todotxt.export(todos, zone=zone or local_zone())
    if format == "ical":
        return ical.export(todos)
    raise ValueError(f"format is one of {', '.join(EXPORT_FORMATS)}, not {format!r}")


def _looks_like_markdown(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return bool(lines) and any(line.startswith(("- [ ]", "- [x]", "* [ ]")) for line in lines[:20])


def detect_format(text: str) -> str:
    """The import format `text` is in; ImportRefused when it is none of them."""
    return _detect(text)[0]


def _detect(text: str) -> tuple[str, object]:
    """(the format, the file's JSON value when it is JSON, else None)."""
    start = text.lstrip("\ufeff \t\r\n")
    if not start:
        raise ImportRefused("the file is empty: there is nothing to import.")
    if ical.looks_like(start):
        return "ical", None
    if start[0] in "[{":
        value = taskwarrior.load_tasks(text)
        if taskwarrior.looks_like(value):
            return "taskwarrior", value
        if json_format.is_ours(value):
            return "json", value
        raise ImportRefused("this JSON is neither a todo-tui export nor a taskwarrior export.")
    if csv_format.looks_like(start):
        return "csv", None
    if start.startswith("<") or "\x1b" in start[:1000]:
        raise ImportRefused(f"this file is in no format todo-tui imports ({_formats()}).")
    if _looks_like_markdown(start):
        raise ImportRefused(
            "this looks like Markdown, which todo-tui exports but does not import; "
            "import its JSON export instead."
        )
    return "todotxt", None


def _formats() -> str:
    return ", ".join(FORMAT_NAMES[name] for name in IMPORT_FORMATS)


def read_import(
    data: bytes, format: str | None = None, *, zone: tzinfo | None = None
) -> ImportPlan:
    """The plan of the file `data`: every item checked, nothing written. `zone`: where the
    file's floating times and bare dates are read (by default the local zone). A `format`
    given that the file plainly is not (a JSON file as todo.txt) is refused."""
    if format is not None and format not in IMPORT_FORMATS:
        raise ImportRefused(f"todo-tui imports {_formats()}, not {format!r}.")
    text = decode(data)
    zone = zone or local_zone()
    if not text.strip():
        return ImportPlan(format=format or "todotxt", items=())
    try:
        detected, value = _detect(text)
    except ImportRefused:
        if format is None:
            raise
        detected, value = None, None
    if format is not None and detected not in (None, "todotxt", format):
        raise ImportRefused(
            f"this file is {FORMAT_NAMES[detected]}, not {FORMAT_NAMES[format]}: import it "
            f"with --format {detected}, or without --format."
        )
    format = format or detected
    if format == "json":
        return json_format.plan_of(value) if value is not None else json_format.parse(text)
    if format == "taskwarrior":
        if value is None:
            value = taskwarrior.load_tasks(text)
        return taskwarrior.plan_of(value, zone=zone)
    if format == "todotxt":
        return todotxt.parse(text, zone=zone)
    if format == "csv":
        return csv_format.parse(text)
    return ical.parse(text, zone=zone)
