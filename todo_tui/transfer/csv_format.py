"""CSV with a header of todo-tui's item fields (items.ITEM_FIELDS, in that order): done is
`true`/`false`, tags are separated by spaces, an empty cell is no value. An import takes
any of those columns, in any order; `title` is needed.

A spreadsheet runs a cell that starts with = + - @ (or a tab or a carriage return) as a
formula: such a cell is written after an apostrophe, which spreadsheets take to mean "text"
and do not show. So that every text comes back as it was, a cell that starts with an
apostrophe gets one more, and an import takes one leading apostrophe off every cell."""

from __future__ import annotations

import csv
import io
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
from todo_tui.transfer.json_format import MAPPING, SOURCE

csv.field_size_limit(1_000_000)  # a description of 20,000 characters is far within
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = " ".join(value) if isinstance(value, list) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _uncell(cell: str) -> str:
    return cell.removeprefix("'")


def export(todos: Iterable[TodoRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ITEM_FIELDS)
    for todo in todos:
        writer.writerow(_cell(value) for value in todo_item(todo).values())
    return out.getvalue()


def looks_like(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
    columns = [column.strip().strip('"') for column in first.split(",")]
    return "title" in columns and all(column in ITEM_FIELDS for column in columns)


def parse(text: str) -> ImportPlan:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused("the CSV file is empty: it needs a header line.")
        header = [column.strip().lower() for column in header]
        for column in header:
            if column not in ITEM_FIELDS:
                raise ImportRefused(
                    f"the column {column!r} is not one todo-tui knows (it knows "
                    f"{', '.join(ITEM_FIELDS)}).",
                    "line 1",
                )
        if "title" not in header:
            raise ImportRefused("the header has no title column.", "line 1")
        if len(set(header)) != len(header):
            raise ImportRefused("the header names a column twice.", "line 1")
        occurrences = Occurrences()
        items = []
        line = reader.line_num
        for row in reader:
            where = f"line {line + 1}"  # where the row starts (a quoted cell spans lines)
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ImportRefused(
                    f"it has {len(row)} cells where the header has {len(header)}.", where
                )
            cells = zip(header, map(_uncell, row), strict=True)
            values = {name: cell for name, cell in cells if cell != ""}
            values.setdefault("title", "")
            items.append(item_from_fields(values, where, source=SOURCE, occurrences=occurrences))
    except csv.Error as bad:
        raise ImportRefused(f"this is not valid CSV ({bad}).", f"line {reader.line_num}") from None
    return ImportPlan(format="csv", items=tuple(items), mapping=MAPPING)
