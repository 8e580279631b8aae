"""The list's views: Today, Upcoming, All open, No date, Done, All and one per tag (picked on
#), what each shows at the edges of its days, the line above the list, the tag picker, a
tag's view remembered across a relaunch, and Today moving on at midnight."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from datetime import time as dt_time

from textual.widgets import OptionList, Static

from tests.pilot import (
    EMAIL,
    FIXED_NOW,
    PASSWORD,
    eventually,
    fill,
    log_in,
    make_app,
    notices,
    pending_calls,
    register,
    screen_name,
    settle,
)
from todo_tui import todos, views
from todo_tui.records import TodoDraft, TodoRecord

TODAY = FIXED_NOW.astimezone().date()  # the list's day: the user's calendar


def record(title: str, due: date | None = None, done: bool = False) -> TodoRecord:
    return TodoRecord(
        id=1,
        title=title,
        description=None,
        is_completed=done,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
        due_date=due,
        tags=("Home",),
    )


def test_the_views_at_the_edges_of_their_days():
    day = {n: record(f"day {n}", TODAY + timedelta(days=n)) for n in (-30, -1, 0, 1, 7, 8)}
    undated, done_today = record("no date"), record("done", TODAY, done=True)
    every = [*day.values(), undated, done_today]

    def shown(view: str) -> list[str]:
        return [todo.title for todo in every if views.shows(view)(todo, TODAY)]

    assert shown("today") == ["day -30", "day -1", "day 0"]  # overdue too; not the done one
    assert shown("upcoming") == ["day 1", "day 7"]  # day 8 is past the next 7 days
    assert shown("open") == [*(f"day {n}" for n in day), "no date"]
    assert shown("nodate") == ["no date"]
    assert shown("done") == ["done"]
    assert shown("all") == [todo.title for todo in every]
    assert shown("tag:home") == shown("open")  # a tag whatever its case; open todos only
    assert shown("tag:work") == []
    # The next day, what was tomorrow is today.
    assert views.shows("today")(day[1], TODAY + timedelta(days=1))


def test_f_steps_through_the_fixed_views_and_a_tag_view_is_known():
    order = ["today", "upcoming", "open", "nodate", "done", "all"]
    assert [views.after(view) for view in order] == [*order[1:], order[0]]
    assert views.after(views.tag_view("home")) == "today"
    assert views.known("tag:[b]x[/b]") and views.known("nodate")
    assert not views.known("tag:") and not views.known("soon") and not views.known(None)
    assert views.name_of("tag:[b]x[/b]") == "#[b]x[/b]"
    assert views.empty_text("today") == "Nothing due today: press f for the next view."


ROWS = [  # title, days from today (None: no date), tags, done
    ("overdue", -1, "", False),
    ("today", 0, "home", False),
    ("done today", 0, "home", True),
    ("tomorrow", 1, "[b]x[/b]", False),
    ("day 7", 7, "home", False),
    ("day 8", 8, "", False),
    ("no date", None, "work", False),
]


def seed(database, rows=ROWS) -> int:
    user = register(database)
    for title, days, tags, done in rows:
        due = "" if days is None else (TODAY + timedelta(days=days)).isoformat()
        draft = TodoDraft(title=title, due=due, tags=tags)
        added = database.run(lambda s, d=draft: todos.add_todo(s, owner_id=user.id, draft=d))
        if done:
            database.run(
                lambda s, a=added: todos.set_completed(
                    s, owner_id=user.id, todo_id=a.id, version=1, completed=True
                )
            )
    return user.id


@contextlib.asynccontextmanager
async def listing(database, config_dir, *, clock=lambda: FIXED_NOW) -> AsyncIterator:
    app = make_app(database.settings, config_dir, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        if screen_name(pilot) != "TodoListScreen":  # else the session kept from before
            await log_in(pilot, EMAIL, PASSWORD)
        yield pilot


def titles(pilot) -> set[str]:
    return {todo.title for todo in pilot.app.screen.table.visible_todos}


def status(pilot) -> str:
    return str(pilot.app.screen.query_one("#list-status", Static).render())


async def test_each_key_shows_its_view_and_the_line_above_says_so(database, tmp_path):
    seed(database)
    async with listing(database, tmp_path) as pilot:
        assert status(pilot).startswith("All: 7 shown, 0 hidden")
        for key, name, shown in [
            ("1", "Today", {"overdue", "today"}),
            ("2", "Upcoming", {"tomorrow", "day 7"}),
            ("3", "All open", {"overdue", "today", "tomorrow", "day 7", "day 8", "no date"}),
            ("4", "No date", {"no date"}),
            ("5", "Done", {"done today"}),
            ("6", "All", {title for title, *_ in ROWS}),
        ]:
            await pilot.press(key)
            assert pending_calls(pilot.app) == 0  # no round trip: the list holds every todo
            assert titles(pilot) == shown, key
            hidden = len(ROWS) - len(shown)
            assert status(pilot).startswith(f"{name}: {len(shown)} shown, {hidden} hidden")
        names = []
        for _ in range(6):
            await pilot.press("f")
            names.append(pilot.app.screen.table.view)
        assert names == ["today", "upcoming", "open", "nodate", "done", "all"]


async def test_an_empty_view_says_so_and_names_the_next_key(database, tmp_path):
    seed(database, [("no date", None, "", False)])
    async with listing(database, tmp_path) as pilot:
        await pilot.press("1")
        await pilot.pause()
        table = pilot.app.screen.table
        assert table.visible_count == 0
        assert table.render_line(0).text.strip() == (
            "Nothing due today: press f for the next view."
        )


def options(pilot) -> list[str]:
    listed = pilot.app.screen.query_one(OptionList)
    return [str(listed.get_option_at_index(n).prompt) for n in range(listed.option_count)]


async def test_the_tag_picker_lists_filters_and_picks(database, tmp_path):
    seed(database)
    async with listing(database, tmp_path) as pilot:
        await pilot.press("3")
        await pilot.press("number_sign")
        await settle(pilot)
        assert screen_name(pilot) == "TagPicker"
        # Open todos only in the counts (a done one has #home too); the tag as written.
        assert options(pilot) == ["#[b]x[/b]  1 open", "#home      2 open", "#work      1 open"]
        await pilot.press("escape")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert pilot.app.screen.table.view == "open"  # escape kept the view

        await pilot.press("number_sign")
        await settle(pilot)
        await fill(pilot, "#tag-filter", "#HO")
        assert options(pilot) == ["#home      2 open"]
        await fill(pilot, "#tag-filter", "nothing")
        assert options(pilot) == ['No tag holds "nothing".']
        await pilot.press("enter")  # nothing to pick: still open
        assert screen_name(pilot) == "TagPicker"
        await fill(pilot, "#tag-filter", "")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert pilot.app.screen.table.view == "tag:home"
        assert titles(pilot) == {"today", "day 7"}
        assert status(pilot).startswith("#home: 2 shown, 5 hidden")

        await pilot.press("number_sign")
        await settle(pilot)
        await fill(pilot, "#tag-filter", "[b]")
        await pilot.press("enter")
        await settle(pilot)
        assert titles(pilot) == {"tomorrow"}
        assert status(pilot).startswith("#[b]x[/b]: 1 shown")  # literal, not bold x


async def test_with_no_tags_the_picker_says_how_to_make_one(database, tmp_path):
    seed(database, [("plain", None, "", False)])
    async with listing(database, tmp_path) as pilot:
        await pilot.press("number_sign")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert notices(pilot.app) == ["No todo has a tag yet: #word in a title adds one."]


async def test_a_tag_view_is_remembered_until_its_tag_is_gone(database, tmp_path):
    owner_id = seed(database)
    async with listing(database, tmp_path) as pilot:
        await pilot.press("number_sign")
        await settle(pilot)
        await fill(pilot, "#tag-filter", "work")
        await pilot.press("enter")
        await settle(pilot)
    async with listing(database, tmp_path) as pilot:
        assert pilot.app.screen.table.view == "tag:work"
        assert titles(pilot) == {"no date"}
    (untagged,) = [
        todo for todo in database.run(lambda s: todos.list_todos(s, owner_id=owner_id))
        if todo.tags == ("work",)
    ]  # fmt: skip
    database.run(lambda s: todos.delete_todo(s, owner_id=owner_id, todo_id=untagged.id, version=1))
    async with listing(database, tmp_path) as pilot:
        assert pilot.app.screen.table.view == views.DEFAULT_VIEW  # no crash, the usual view
        assert status(pilot).startswith("All: 6 shown")
        await pilot.press("number_sign")
        await settle(pilot)
        await fill(pilot, "#tag-filter", "[b]")
        await pilot.press("enter")
        await settle(pilot)
    for todo in database.run(lambda s: todos.list_todos(s, owner_id=owner_id)):
        if todo.tags == ("[b]x[/b]",):
            database.run(
                lambda s, t=todo: todos.delete_todo(s, owner_id=owner_id, todo_id=t.id, version=1)
            )
    (tmp_path / "config.toml").write_text('[defaults]\nview = "upcoming"\n')
    async with listing(database, tmp_path) as pilot:
        assert pilot.app.screen.table.view == "upcoming"  # config.toml's default view
        assert status(pilot).startswith("Upcoming: 1 shown, 4 hidden")


async def test_today_moves_on_at_midnight(database, tmp_path):
    seed(database)
    midnight = datetime.combine(TODAY + timedelta(days=1), dt_time(), FIXED_NOW.astimezone().tzinfo)
    before_midnight = midnight - timedelta(seconds=0.5)
    started: list[float] = []  # the clock stands still until the list is shown

    def clock() -> datetime:
        moved = time.monotonic() - started[0] if started else 0.0
        return before_midnight + timedelta(seconds=moved)

    async with listing(database, tmp_path, clock=clock) as pilot:
        await pilot.press("1")
        assert titles(pilot) == {"overdue", "today"}
        started.append(time.monotonic())
        await eventually(
            pilot, lambda: "tomorrow" in titles(pilot), "Today shows the new day's todos"
        )
        assert titles(pilot) == {"overdue", "today", "tomorrow"}
        assert status(pilot).startswith("Today: 3 shown, 4 hidden")
        await pilot.press("2")
        assert titles(pilot) == {"day 7", "day 8"}  # the next 7 days from the new day
