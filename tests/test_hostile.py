"""Nothing a user types is interpreted: hostile titles are added through the form and every
screen that shows them renders them literally, with no action run."""

from __future__ import annotations

from textual.widgets import Input, Static, TextArea

from tests.pilot import fill, log_in, make_app, screen_name, settle
from todo_tui import auth
from todo_tui.widgets.todo_table import TodoTable, sanitize

PASSWORD = "correct horse"
CORPUS = [
    "[bold red]x[/]",
    "[/]",
    "[@click=app.quit]y[/]",
    "[@click=screen.action_log_out()]z[/]",
    "[link=https://example.com]link[/link]",
    "$variable",
    "$text-error on $background",
    ":smile: :red_heart:",
    "\\[escaped] and [not",
    "%s %d {0} {title} %(x)s",
    "'; DROP TABLE todo; --",
    "<script>alert(1)</script>",
    "right-to-left \u202eoverride\u202c here",
    "zero\u200bwidth and e\u0301 combining",
    "emoji 👩‍💻 🇳🇴 and 日本語",
]
DESCRIPTION = "[b]not bold[/b]\n\t$and a tab"


def visible_text(widget: Static) -> str:
    return str(widget.render())


async def test_hostile_titles_render_literally_everywhere(database, tmp_path):
    with database.session() as session:
        auth.register(session, email="mallory@example.com", password=PASSWORD, rounds=4)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await log_in(pilot, "mallory@example.com", PASSWORD)
        for title in CORPUS:
            await pilot.press("a")
            await pilot.pause()
            await fill(pilot, "#title", title)
            app.screen.query_one("#description", TextArea).text = DESCRIPTION
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert screen_name(pilot) == "TodoListScreen", f"not saved: {title!r}"

        table = app.screen.query_one(TodoTable)
        assert sorted(t.title for t in table.all_todos) == sorted(CORPUS)
        lines = [table.render_line(y).text for y in range(len(CORPUS))]
        for title in CORPUS:
            # The list: the title as typed (bidi overrides made visible, never obeyed).
            assert any(sanitize(title) in line for line in lines), title

            # The edit form: the exact value, and the description as typed.
            table.move_cursor_to(next(t.id for t in table.all_todos if t.title == title))
            await pilot.press("e")
            await pilot.pause()
            assert app.screen.query_one("#title", Input).value == title
            assert app.screen.query_one("#description", TextArea).text == DESCRIPTION
            await pilot.press("escape")
            await pilot.pause()

            # The delete confirmation: the title as typed.
            await pilot.press("d")
            await pilot.pause()
            assert screen_name(pilot) == "ConfirmDialog"
            assert visible_text(app.screen.query_one("#confirm-detail", Static)).startswith(title)
            await pilot.press("escape")
            await pilot.pause()

        # Clicking every line (where an @click action would sit) runs nothing.
        for y in range(len(CORPUS)):
            await pilot.click(TodoTable, offset=(10, y))
            await pilot.pause()
        assert screen_name(pilot) == "TodoListScreen"
        assert app.is_running and app.return_code is None
        assert sum(table.counts) == len(CORPUS)  # nothing deleted, nobody logged out
