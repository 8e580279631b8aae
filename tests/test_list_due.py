"""The list's due dates in words, priority marks and tags, its orders, and how overdue and
today stand out in every theme (a fixed clock: Tuesday 10 March 2026, noon UTC)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

import pytest
from textual.theme import BUILTIN_THEMES

from tests.test_todo_table import NOW, TableApp, ids, rec, screen_lines
from todo_tui.widgets.todo_table import TodoTable

TODAY = NOW.date()


def due(record, days: int | None, at: time | None = None, *, priority: int = 0, tags=()):
    day = None if days is None else TODAY + timedelta(days=days)
    return replace(record, due_date=day, due_time=at, priority=priority, tags=tuple(tags))


SAMPLE = [
    due(rec(1, "no date, newest", created_min=1), None),
    due(rec(2, "no date, high", created_min=50), None, priority=3),
    due(rec(3, "in 12 days", created_min=40), 12),
    due(rec(4, "today 9:00", created_min=30), 0, time(9)),
    due(rec(5, "today, all day", created_min=30), 0, priority=1),
    due(rec(6, "3 days overdue", created_min=20), -3, tags=("Bills", "home")),
    due(rec(7, "tomorrow", created_min=10), 1, priority=2),
    due(rec(8, "done, overdue", done=True, created_min=5), -9, priority=3),
]


async def test_the_default_order_puts_what_needs_doing_first() -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(100, 20)):
        table = app.query_one(TodoTable)
        assert table.sort_by == "due"
        # Overdue, then by date and time (all-day after timed), then priority, then newest;
        # no date last; done after every open one.
        assert ids(table) == [6, 4, 5, 7, 3, 2, 1, 8]
        table.sort_by = "priority"
        assert ids(table) == [2, 7, 5, 6, 4, 3, 1, 8]
        table.sort_by = "title"
        assert ids(table)[-1] == 8


async def test_due_words_priority_marks_and_tags_are_drawn_as_text() -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(100, 20)):
        lines = screen_lines(app.query_one(TodoTable))
        assert [line[:-28].rstrip() for line in lines[:8]] == [
            "[ ]     3 days overdue  #Bills #home",
            "[ ]     today 9:00",
            "[ ] !   today, all day",
            "[ ] !!  tomorrow",
            "[ ]     in 12 days",
            "[ ] !!! no date, high",
            "[ ]     no date, newest",
            "[x] !!! done, overdue",
        ]
        assert [line[-28:-11].strip() for line in lines[:8]] == [
            "3 days overdue",
            "today 09:00",
            "today",
            "tomorrow",
            "in 12 days",
            "",
            "",
            "9 days overdue",
        ]
        assert all(line.endswith("   just now") for line in lines[:8])


def styles_of(table: TodoTable, row: int, text: str):
    strip = table.render_line(row)
    # The last such segment: the due column, not a title with the same words.
    return next(segment.style for segment in reversed(list(strip)) if text in segment.text)


@pytest.mark.parametrize("theme", sorted(BUILTIN_THEMES))
async def test_overdue_and_today_stand_out_in_every_theme(theme: str) -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(100, 20)) as pilot:
        app.theme = theme
        await pilot.pause()
        table = app.query_one(TodoTable)
        table.move_cursor_to(2)  # the cursor away from the rows compared
        plain = styles_of(table, 4, "in 12 days")
        overdue = styles_of(table, 0, "3 days overdue")
        today = styles_of(table, 1, "today")
        done_overdue = styles_of(table, 7, "9 days overdue")
        for marked in (overdue, today):
            assert marked.bold and marked != plain
            assert marked.color != plain.color or marked.reverse
        assert overdue != today
        assert not done_overdue.bold  # done: nothing to chase


async def test_a_list_without_dates_or_priorities_draws_neither_column() -> None:
    app = TableApp([rec(1, "plain")])
    async with app.run_test(size=(60, 10)):
        table = app.query_one(TodoTable)
        assert screen_lines(table)[0].startswith("[ ] plain ")
        table.upsert(due(rec(1, "plain"), 0, priority=2))
        assert screen_lines(table)[0].startswith("[ ] !!  plain ")
        assert "today" in screen_lines(table)[0]


async def test_hostile_tags_are_literal() -> None:
    app = TableApp([due(rec(1, "t"), None, tags=("[bold]x[/bold]", "\x1b[31m"))])
    async with app.run_test(size=(80, 10)):
        line = screen_lines(app.query_one(TodoTable))[0]
        assert "#[bold]x[/bold]" in line and "\x1b" not in line


async def test_searching_finds_tags() -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(100, 20)):
        table = app.query_one(TodoTable)
        table.search_text = "#bills"
        assert ids(table) == [6]
