"""What users type or paste stays within the limits: fields cap it as it comes (and say so),
titles that show nothing are refused like empty ones, and dialogs show only an excerpt."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input, Static, TextArea

from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui import todos
from todo_tui.faults import InvalidInput
from todo_tui.validation import DESCRIPTION_MAX, TITLE_MAX, is_blank, title_problem
from todo_tui.widgets.dialog import EXCERPT, excerpt

MEGABYTE = "0123456789abcdef" * 65_536  # 1 MiB, no line breaks
INVISIBLE = [
    "\u200b",  # zero-width space
    "\ufeff",  # byte order mark
    "\u2800",  # Braille pattern blank
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\uffa0",  # halfwidth Hangul filler
    "\u200b\u200c\u200d\u2060",  # zero-width (non-)joiners, word joiner
    " \u00a0\u3000\u2003 ",  # spaces of every width
    "\u00ad",  # soft hyphen
    "\u0301\u0308",  # combining marks on nothing
    "\ufe0f",  # a variation selector alone
    "\U000e0041\U000e007f",  # tag characters
    "\u180e",  # Mongolian vowel separator
    "\u17b4\u17b5",  # Khmer inherent vowels
]


# -- the rule, and the services on both databases ------------------------------------------


@pytest.mark.parametrize("title", INVISIBLE)
def test_titles_of_only_invisible_characters_are_blank(title):
    assert is_blank(title)
    assert "title is required" in title_problem(title)


@pytest.mark.parametrize("title", ["e\u0301", "x\u200b", "\u3164a", "👩\u200d💻", "日本"])
def test_titles_with_something_to_see_are_not(title):
    assert not is_blank(title)
    assert title_problem(title) is None


def test_invisible_titles_are_refused_by_add_and_update(database):
    owner = register(database)
    kept = add(database, owner, "kept")
    for title in INVISIBLE:
        with pytest.raises(InvalidInput) as refused:
            database.run(lambda s, title=title: todos.add_todo(s, owner_id=owner.id, title=title))
        assert refused.value.field == "title" and "required" in refused.value.message
        with pytest.raises(InvalidInput) as refused:
            database.run(
                lambda s, title=title: todos.update_todo(
                    s,
                    owner_id=owner.id,
                    todo_id=kept.id,
                    version=kept.version,
                    title=title,
                    description=None,
                )
            )
        assert refused.value.field == "title"
    assert [(t.title, t.version) for t in stored(database, owner)] == [("kept", kept.version)]


def test_excerpt():
    assert excerpt("short") == "short"
    assert excerpt("a\nb\nc") == "a\nb\nc"
    assert excerpt("a\nb\nc\nd") == "a\nb\nc…"
    long = excerpt("x" * 10_000)
    assert len(long) == EXCERPT and long.endswith("…")


# -- the form ------------------------------------------------------------------------------


async def open_form(pilot):
    await settle(pilot)
    await log_in(pilot, EMAIL, PASSWORD)
    await pilot.press("a")
    await pilot.pause()
    assert screen_name(pilot) == "TodoForm"
    return pilot.app.screen


def paste(widget, text: str) -> None:
    widget.focus()
    widget.post_message(events.Paste(text))


def counter(form) -> str:
    return str(form.query_one("#title-counter", Static).render())


async def test_a_pasted_megabyte_is_cut_to_the_title_limit_and_the_counter_says_so(
    database, tmp_path
):
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        title = form.query_one("#title", Input)
        paste(title, MEGABYTE)
        await pilot.pause()
        assert title.value == MEGABYTE[:TITLE_MAX]
        assert counter(form) == f"{TITLE_MAX}/{TITLE_MAX} — pasted text cut to 200 characters"
        await pilot.press("z")  # at the limit: refused
        assert title.value == MEGABYTE[:TITLE_MAX]
        await pilot.press("backspace")  # the next key is instant again, the note goes
        assert counter(form) == f"{TITLE_MAX - 1}/{TITLE_MAX}"
        title.insert_text_at_cursor(MEGABYTE[TITLE_MAX - 1])

        # Escape asks before throwing it away, showing only an excerpt over the form.
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(pilot) == "ConfirmDialog"
        detail = str(app.screen.query_one("#confirm-detail", Static).render())
        assert detail == MEGABYTE[: EXCERPT - 1] + "…"
        assert app.screen.has_class("-over-form")
        assert app.screen.styles.background.a < 1  # the form is seen behind it
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [t.title for t in stored(database, app.screen.user)] == [MEGABYTE[:TITLE_MAX]]


async def test_a_paste_fills_only_the_room_left(database, tmp_path):
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        title = form.query_one("#title", Input)
        title.insert_text_at_cursor("x" * 190)
        paste(title, "0123456789abcdef")
        await pilot.pause()
        assert title.value == "x" * 190 + "0123456789"
        assert "cut to 200" in counter(form)


async def test_a_multi_line_paste_is_joined_onto_the_title_line(database, tmp_path):
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        paste(form.query_one("#title", Input), "Buy milk\n\n  and bread  \r\nand eggs\n")
        await pilot.pause()
        assert form.query_one("#title", Input).value == "Buy milk and bread and eggs"
        assert counter(form) == "27/200 — pasted lines joined with spaces"


async def test_a_pasted_valid_title_clears_the_title_is_required(database, tmp_path):
    register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        error = form.query_one("#title-error", Static)
        await pilot.press("enter")  # nothing typed
        await pilot.pause()
        assert error.display and "required" in str(error.render())
        paste(form.query_one("#title", Input), "\u200b")  # still nothing to see: stays
        await pilot.pause()
        assert error.display
        paste(form.query_one("#title", Input), "Water the plants")
        await pilot.pause()
        assert not error.display


async def test_an_invisible_title_is_refused_in_the_form(database, tmp_path):
    owner = register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        form.query_one("#title", Input).insert_text_at_cursor("\u2800\u3164\u200b")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoForm"
        assert "required" in str(form.query_one("#title-error", Static).render())
        assert stored(database, owner) == []


async def test_a_pasted_description_is_cut_to_its_limit(database, tmp_path):
    owner = register(database)
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot)
        form.query_one("#title", Input).insert_text_at_cursor("notes")
        description = form.query_one("#description", TextArea)
        paste(description, "line\n" * 300_000)  # 1.5 MB
        await pilot.pause()
        assert len(description.text) == DESCRIPTION_MAX
        note = form.query_one("#description-note", Static)
        assert note.display and str(note.render()) == "Pasted text cut to 20,000 characters."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [len(t.description or "") for t in stored(database, owner)] == [DESCRIPTION_MAX]


async def test_the_delete_question_shows_an_excerpt_of_a_long_description(database, tmp_path):
    owner = register(database)
    database.run(
        lambda s: todos.add_todo(s, owner_id=owner.id, title="big", description=MEGABYTE[:19_000])
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await pilot.press("d")
        await pilot.pause()
        assert screen_name(pilot) == "ConfirmDialog"
        detail = str(app.screen.query_one("#confirm-detail", Static).render())
        assert len(detail) == EXCERPT and detail.startswith("big\n0123") and detail[-1] == "…"
        assert not app.screen.has_class("-over-form")
        assert app.screen.styles.background.a == 1  # over the list: opaque (no blending)
