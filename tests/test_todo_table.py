"""Behaviour tests for the virtualised TodoTable widget."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region

from todo_tui.records import TodoRecord
from todo_tui.widgets.todo_table import TodoTable, relative_time

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def rec(
    id: int,
    title: str = "",
    *,
    description: str | None = None,
    done: bool = False,
    created_min: int = 0,
    updated_min: int = 0,
) -> TodoRecord:
    """A record created/updated the given number of minutes before NOW."""
    return TodoRecord(
        id=id,
        title=title or f"todo {id}",
        description=description,
        is_completed=done,
        created_at=NOW - timedelta(minutes=created_min),
        updated_at=NOW - timedelta(minutes=updated_min),
    )


def many(n: int) -> list[TodoRecord]:
    # Newest first == ascending id, so row index == id - 1.
    return [rec(i, created_min=i, updated_min=i) for i in range(1, n + 1)]


class TableApp(App[None]):
    def __init__(self, records: Iterable[TodoRecord] = ()) -> None:
        super().__init__()
        self.records = list(records)
        self.toggled: list[int] = []
        self.boomed = False

    def compose(self) -> ComposeResult:
        yield TodoTable(now=lambda: NOW, id="table")

    def on_mount(self) -> None:
        table = self.query_one(TodoTable)
        table.set_todos(self.records)
        table.focus()

    def on_todo_table_toggle_clicked(self, message: TodoTable.ToggleClicked) -> None:
        self.toggled.append(message.todo_id)

    def action_boom(self) -> None:
        self.boomed = True


def ids(table: TodoTable) -> list[int]:
    return [todo.id for todo in table.visible_todos]


def cursor_row(table: TodoTable) -> int:
    """The cursor's row in what the list shows."""
    assert table.cursor_todo is not None
    return ids(table).index(table.cursor_todo.id)


def screen_lines(table: TodoTable) -> list[str]:
    """The widget's lines after Textual's own styling pass (what is painted)."""
    region = Region(0, 0, table.size.width, table.size.height)
    return [strip.text for strip in table.render_lines(region)]


SAMPLE = [
    rec(1, "Buy milk", description="2 litres\nsemi-skimmed", created_min=30, updated_min=1),
    rec(2, "apples", done=True, created_min=10, updated_min=50),
    rec(3, "Call Straße office", created_min=20, updated_min=5),
    rec(4, "Zebra", description="MILK for the zebra", created_min=20, updated_min=5),
]


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-30), "just now"),
        (timedelta(minutes=5, seconds=30), "5m ago"),
        (timedelta(hours=3, minutes=59), "3h ago"),
        (timedelta(days=2, hours=5), "2d ago"),
        (timedelta(days=29), "29d ago"),
        (timedelta(days=40), "2026-01-29"),
        (timedelta(days=-2), "2026-03-12"),
    ],
)
def test_relative_time(delta: timedelta, expected: str) -> None:
    assert relative_time(NOW - delta, NOW) == expected
    assert cell_len(expected) <= 10


@pytest.mark.asyncio
async def test_filter_sort_query_and_counts() -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        # Done todos after the open ones, in every order.
        assert table.sort_by == "due"  # no dates, no priorities: newest
        assert ids(table) == [4, 3, 1, 2]
        table.sort_by = "newest"
        assert ids(table) == [4, 3, 1, 2]  # 3/4 tie broken by id desc
        table.sort_by = "oldest"
        assert ids(table) == [1, 3, 4, 2]
        table.sort_by = "title"
        assert ids(table) == [1, 3, 4, 2]  # casefolded: Buy < Call < Zebra, done apples
        table.sort_by = "updated"
        assert ids(table) == [1, 4, 3, 2]
        assert table.counts == (3, 1)
        assert (table.visible_count, sum(table.counts)) == (4, 4)

        table.view = "done"
        assert ids(table) == [2]
        table.view = "open"
        assert ids(table) == [1, 4, 3]
        assert table.counts == (3, 1)  # counts ignore the filter
        assert table.visible_count == 3

        table.view = "all"
        table.search_text = "MiLk"  # title of 1 and description of 4
        assert sorted(ids(table)) == [1, 4]
        table.search_text = "STRASSE"  # casefold, not lower(): ß == ss
        assert ids(table) == [3]
        table.search_text = "semi"  # later description lines are searched too
        assert ids(table) == [1]
        table.search_text = ""
        assert table.visible_count == 4
        with pytest.raises(ValueError):
            table.sort_by = "random"  # type: ignore[assignment]
        await pilot.pause()


@pytest.mark.asyncio
async def test_cursor_follows_todo_across_changes() -> None:
    app = TableApp(SAMPLE)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        table.move_cursor_to(4)
        assert table.cursor_todo is not None and table.cursor_todo.id == 4
        table.sort_by = "title"
        assert table.cursor_todo.id == 4 and cursor_row(table) == 2
        # Another todo moves above it: the cursor follows todo 4, not the row.
        table.upsert(rec(9, "aardvark", created_min=1))
        assert table.cursor_todo.id == 4 and cursor_row(table) == 3
        table.remove_todo(2)
        assert table.cursor_todo.id == 4 and cursor_row(table) == 3
        table.set_todos([*SAMPLE, rec(10, "Aaa")])
        assert table.cursor_todo.id == 4
        # Upserting the cursor todo out of the filter: the next row takes its place.
        table.view = "open"
        table.move_cursor_to(1)
        row = cursor_row(table)
        expected = ids(table)[row + 1]
        table.upsert(rec(1, "Buy milk", done=True, created_min=30))
        assert cursor_row(table) == row and table.cursor_todo.id == expected
        assert table.counts == (3, 2)
        # Removing the last row clamps the cursor.
        table.action_cursor_last()
        last_row = cursor_row(table)
        table.remove_todo(table.cursor_todo.id)
        assert cursor_row(table) == last_row - 1
        assert table.get(1) is not None and table.get(1).is_completed
        assert table.get(12345) is None
        await pilot.pause()


@pytest.mark.asyncio
async def test_upsert_many_applies_every_record_with_one_rebuild() -> None:
    app = TableApp(many(1000))
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        table.move_cursor_to(500)
        rebuilds = 0
        rebuild = table._rebuild

        def counted() -> None:
            nonlocal rebuilds
            rebuilds += 1
            rebuild()

        table._rebuild = counted
        table.upsert_many(
            [
                rec(2000, "new, newest", created_min=0),  # above the cursor's todo
                rec(2001, "new, done", done=True, created_min=999),
                rec(10, "now done", done=True, created_min=10),
                rec(20, "older version, taken as given", created_min=20),
            ]
        )
        assert rebuilds == 1
        # One todo more above it, one less (10, done now, goes below the open ones).
        assert table.cursor_todo.id == 500 and cursor_row(table) == 499
        assert table.counts == (1000 + 1 - 1, 2)
        assert (sum(table.counts), table.visible_count) == (1002, 1002)
        assert table.get(20).title == "older version, taken as given"  # nothing skipped
        assert ids(table)[:2] == [2000, 1]
        table.view = "done"
        assert sorted(ids(table)) == [10, 2001]
        await pilot.pause()


@pytest.mark.asyncio
async def test_click_mark_toggles_and_title_only_moves_cursor() -> None:
    app = TableApp(many(200))
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.click(TodoTable, offset=(1, 3))
        await pilot.pause()
        assert app.toggled == [4]
        assert table.cursor_todo is not None and table.cursor_todo.id == 4
        await pilot.click(TodoTable, offset=(10, 5))
        await pilot.pause()
        assert app.toggled == [4]
        assert table.cursor_todo.id == 6
        # After scrolling, screen row 2 is a different todo.
        table.scroll_to(y=100, animate=False)
        await pilot.pause()
        assert table.scroll_offset.y == 100
        await pilot.click(TodoTable, offset=(0, 2))
        await pilot.pause()
        assert app.toggled == [4, 103]
        assert table.cursor_todo.id == 103


@pytest.mark.asyncio
async def test_keys_keep_cursor_visible_with_10000_rows() -> None:
    app = TableApp(many(10_000))
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        height = table.scrollable_content_region.height

        def cursor_visible() -> bool:
            top = table.scroll_offset.y
            return top <= cursor_row(table) < top + height

        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_todo is not None and table.cursor_todo.id == 10_000
        assert cursor_visible()
        assert "todo 10000" in screen_lines(table)[height - 1]
        await pilot.press("pageup")
        await pilot.pause()
        assert cursor_row(table) == 9999 - (height - 1) and cursor_visible()
        await pilot.press("up")
        await pilot.pause()
        assert cursor_visible()
        await pilot.press("home")
        await pilot.pause()
        assert cursor_row(table) == 0 and table.scroll_offset.y == 0
        await pilot.press("pagedown", "pagedown", "down")
        await pilot.pause()
        assert cursor_row(table) == 2 * (height - 1) + 1 and cursor_visible()
        table.move_cursor_to(5000)
        await pilot.pause()
        assert cursor_row(table) == 4999 and cursor_visible()


HOSTILE = [
    "[bold red]x[/]",
    "[/]",
    "[@click=app.quit]y[/]",
    "[@click=app.boom]z[/]",
    "$variable",
]


@pytest.mark.asyncio
async def test_hostile_titles_render_literally_and_run_nothing() -> None:
    records = [rec(i, title, created_min=i) for i, title in enumerate(HOSTILE, 1)]
    records.append(
        rec(
            9,
            "tab\there\x1b[31mred\x00nul\nnl",
            description="\n[i]first[/i] line\nsecond line",
            created_min=9,
        )
    )
    app = TableApp(records)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.pause()
        lines = screen_lines(table)
        for row, title in enumerate(HOSTILE):
            assert title in lines[row]
            assert title in table.render_line(row).text
        # No markup was parsed, so no segment carries styling or click actions.
        table.move_cursor_to(9)  # keep the (bold) cursor off the rows checked
        for row in range(len(HOSTILE)):
            for segment in table.render_line(row):
                assert segment.style is None or not segment.style.meta
                assert segment.style is None or not segment.style.bold
        control = lines[5]
        assert "tab␉here␛[31mred␀nul␊nl" in control
        assert "[i]first[/i] line" in control and "second line" not in control
        assert not any(ord(ch) < 0x20 for line in lines for ch in line)
        for row in (2, 3):
            await pilot.click(TodoTable, offset=(6, row))
            await pilot.pause()
        assert app.is_running and app.return_code is None
        assert not app.boomed
        assert cursor_row(table) == 3


@pytest.mark.asyncio
async def test_empty_states_and_literal_query_hint() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.pause()
        assert table.render_line(0).text.strip() == "No todos yet: press a to add one."
        assert table.cursor_todo is None
        table.set_todos(SAMPLE)
        table.search_text = "[b]nope[/b]"
        await pilot.pause()
        hint = screen_lines(table)[0]
        assert '"[b]nope[/b]"' in hint and "No todos match" in hint
        table.search_text = ""
        table.set_todos([rec(1, done=True)])
        table.view = "open"
        await pilot.pause()
        assert table.render_line(0).text.startswith("Nothing open: press f for the next view.")
        assert table.cursor_todo is None and table.visible_count == 0


@pytest.mark.asyncio
@pytest.mark.parametrize("width", [80, 41, 24, 17, 13, 6])
async def test_wide_characters_never_overflow(width: int) -> None:
    titles = [
        "漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字",
        "emoji 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉",
        "a漢b字c漢d字e漢f字g漢h字i漢j字k漢l字m漢n字o漢p字",
        "short",
    ]
    records = [
        rec(i, t, description="説明文説明文説明文説明文説明文", created_min=i, updated_min=5)
        for i, t in enumerate(titles, 1)
    ]
    app = TableApp(records)
    async with app.run_test(size=(width, 8)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.pause()
        content_width = table.scrollable_content_region.width
        for y in range(table.size.height):
            assert cell_len(table.render_line(y).text) == content_width
        if width >= 17:
            # The time survives truncation; the title gets the ellipsis.
            for y in range(len(titles) - 1):
                text = table.render_line(y).text
                assert text.rstrip().endswith("5m ago")
                assert "…" in text


@pytest.mark.asyncio
async def test_done_and_cursor_are_styled_differently() -> None:
    app = TableApp([rec(1, "open", created_min=1), rec(2, "closed", done=True, created_min=2)])
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.pause()
        cursor_line, done_line = table.render_line(0), table.render_line(1)
        assert done_line.text.startswith("[x] closed")
        assert cursor_line.text.startswith("[ ] open")
        done_style = next(s.style for s in done_line if "closed" in s.text)
        assert done_style is not None and done_style.strike
        cursor_style = next(s.style for s in cursor_line if "open" in s.text)
        table.move_cursor_to(2)
        plain_style = next(s.style for s in table.render_line(0) if "open" in s.text)
        assert cursor_style != plain_style
        assert cursor_style is not None and plain_style is not None
        assert cursor_style.bgcolor != plain_style.bgcolor
        # Blurred: the cursor row is still marked, but differently from focused.
        table.move_cursor_to(1)
        app.set_focus(None)
        await pilot.pause()
        blurred_style = next(s.style for s in table.render_line(0) if "open" in s.text)
        assert blurred_style not in (cursor_style, plain_style)
        table.focus()
        await pilot.pause()
        refocused = next(s.style for s in table.render_line(0) if "open" in s.text)
        assert refocused == cursor_style


@pytest.mark.asyncio
@pytest.mark.parametrize("times", [2, 3])
async def test_double_and_triple_click_on_a_todo(times: int) -> None:
    # Textual's select-all on a double (word) or triple (all) click calls widget.query().
    app = TableApp(SAMPLE)
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(TodoTable)
        await pilot.pause()
        assert await pilot.click(TodoTable, offset=(10, 2), times=times)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert cursor_row(table) == 2 and app.toggled == []
        await pilot.press("down")  # the app still answers
        assert cursor_row(table) == 3


@pytest.mark.asyncio
async def test_versions_follow_every_change_to_the_list() -> None:
    app = TableApp([rec(1), rec(2)])
    async with app.run_test(size=(80, 20)):
        table = app.query_one(TodoTable)
        assert table.versions == {1: 1, 2: 1}
        table.upsert_many([replace(rec(2), version=3), rec(5)])
        assert table.versions == {1: 1, 2: 3, 5: 1}
        table.remove_many([1, 9])
        assert table.versions == {2: 3, 5: 1}
        table.set_todos([rec(7)])
        assert table.versions == {7: 1}
