"""Todo operations on both databases: what is stored, what is refused, and hostile text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.todo_rows import (
    act,
    all_rows,
    assert_utc_now,
    attempt,
    listed,
    new_user,
    push_into_the_past,
)
from todo_tui import auth
from todo_tui.db import Database
from todo_tui.faults import FaultKind, InvalidInput
from todo_tui.records import TodoDraft
from todo_tui.todos import (
    TodoNotFound,
    add_todo,
    completed_as,
    delete_todo,
    get_todo,
    set_completed,
    update_todo,
)

# ---------------------------------------------------------------------------------------
# The operations


def test_add_returns_and_lists_the_stored_todo(database: Database, alice: int) -> None:
    todo = act(
        database, add_todo, owner_id=alice, title="  Buy milk  ", description="2 litres\nsemi"
    )
    assert todo.id is not None
    assert todo.title == "Buy milk"
    assert todo.description == "2 litres\nsemi"
    assert todo.is_completed is False
    assert todo.version == 1
    assert todo.created_at == todo.updated_at
    assert_utc_now(todo.created_at)
    assert listed(database, alice) == [todo]
    [row] = all_rows(database)
    assert row[:5] == (todo.id, alice, "Buy milk", "2 litres\nsemi", False)
    assert row[7] == 1


def test_a_draft_travels_to_the_database_and_back(database: Database, alice: int) -> None:
    draft = TodoDraft("  Buy milk  ", "2 litres")
    todo = act(database, add_todo, owner_id=alice, draft=draft)
    assert (todo.title, todo.description) == ("Buy milk", "2 litres")
    assert draft.saved_in(todo)  # as stored: the title trimmed
    assert TodoDraft.of(todo) == TodoDraft("Buy milk", "2 litres")
    assert not TodoDraft("Buy milk", "3 litres").saved_in(todo)
    assert not TodoDraft("", "2 litres").saved_in(todo)  # cannot be stored: in no todo
    edited = act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        draft=TodoDraft("Buy milk"),
    )
    assert edited.description is None and TodoDraft.of(edited) == TodoDraft("Buy milk")
    assert TodoDraft.of(None) == TodoDraft()
    with pytest.raises(TypeError):  # a draft or its fields, never both
        act(database, add_todo, owner_id=alice, draft=draft, title="other")
    assert listed(database, alice) == [edited]


def test_a_toggle_shown_before_its_answer_is_what_the_database_returns(
    database: Database, alice: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    shown = completed_as(todo, True)
    done = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    assert replace(shown, updated_at=done.updated_at, completed_at=done.completed_at) == done


def test_list_is_in_id_order_and_only_the_owners(database: Database, alice: int, bob: int) -> None:
    first = act(database, add_todo, owner_id=alice, title="first")
    act(database, add_todo, owner_id=bob, title="bob's")
    second = act(database, add_todo, owner_id=alice, title="second")
    assert listed(database, alice) == [first, second]
    assert [t.title for t in listed(database, bob)] == ["bob's"]
    assert listed(database, new_user(database)) == []


def test_update_changes_title_and_description(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="draft", description="old")
    updated = act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        title="  final  ",
        description="new\n\n  text  ",
    )
    assert (updated.id, updated.title, updated.description) == (todo.id, "final", "new\n\n  text  ")
    assert updated.is_completed is False
    assert listed(database, alice) == [updated]


def test_update_can_clear_the_description(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t", description="something")
    for blank in (None, "", "  \n\t "):
        todo = act(
            database,
            update_todo,
            owner_id=alice,
            todo_id=todo.id,
            version=todo.version,
            title="t",
            description=blank,
        )
        assert todo.description is None
        assert all_rows(database)[0][3] is None


def test_set_completed_toggles_both_ways(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="toggle me")
    done = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    assert done.is_completed is True
    assert listed(database, alice)[0].is_completed is True
    undone = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=done.version,
        completed=False,
    )
    assert undone.is_completed is False
    assert all_rows(database)[0][4] is False
    assert (undone.title, undone.created_at) == (todo.title, todo.created_at)


def test_delete_returns_what_was_deleted(database: Database, alice: int) -> None:
    keep = act(database, add_todo, owner_id=alice, title="keep")
    gone = act(database, add_todo, owner_id=alice, title="gone", description="d")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=gone.id, version=gone.version)
    assert deleted == gone
    assert listed(database, alice) == [keep]
    with pytest.raises(TodoNotFound) as caught:
        act(database, delete_todo, owner_id=alice, todo_id=gone.id, version=gone.version)
    assert caught.value.kind == FaultKind.CONFLICT
    assert caught.value.sentence == "This todo no longer exists: it was deleted."


@pytest.mark.parametrize("operation", ["update", "toggle", "delete"])
def test_acting_on_a_missing_todo_is_todo_not_found(
    database: Database, alice: int, operation: str
) -> None:
    with pytest.raises(TodoNotFound):
        attempt(database, operation, owner_id=alice, todo_id=987654, version=1)
    assert all_rows(database) == []


# ---------------------------------------------------------------------------------------
# What is refused


BAD_TITLES = [
    ("", "required"),
    ("   ", "required"),
    ("\t\n \r", "required"),
    ("x" * 201, "201 characters long; the limit is 200"),
    ("  " + "x" * 201 + "  ", "201 characters"),
    ("a\x00b", "control characters"),
    ("two\nlines", "control characters"),
    ("tab\there", "control characters"),
    ("bell\x07", "control characters"),
    ("\x1b[31mred\x1b[0m", "control characters"),
    ("del\x7f", "control characters"),
    ("next\x85line", "control characters"),
    ("lone\ud800surrogate", "control characters"),
]


@pytest.mark.parametrize(("title", "words"), BAD_TITLES)
def test_bad_titles_are_refused_and_nothing_is_written(
    database: Database, alice: int, title: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        act(database, add_todo, owner_id=alice, title=title)
    assert caught.value.field == "title"
    assert words in caught.value.message
    assert all_rows(database) == []


@pytest.mark.parametrize(("title", "words"), BAD_TITLES[::3])
def test_bad_titles_are_refused_on_update_and_the_todo_is_unchanged(
    database: Database, alice: int, title: str, words: str
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="good", description="kept")
    push_into_the_past(database, todo.id)
    before = all_rows(database)
    with pytest.raises(InvalidInput) as caught:
        act(
            database,
            update_todo,
            owner_id=alice,
            todo_id=todo.id,
            version=todo.version,
            title=title,
            description="new",
        )
    assert caught.value.field == "title"
    assert all_rows(database) == before


@pytest.mark.parametrize("description", ["nul\x00", "bell\x07", "esc\x1b[2J", "\ud800"])
def test_bad_descriptions_are_refused(database: Database, alice: int, description: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        act(database, add_todo, owner_id=alice, title="t", description=description)
    assert caught.value.field == "description"
    assert all_rows(database) == []


def test_titles_at_the_limit_are_stored(database: Database, alice: int) -> None:
    titles = ["x" * 200, "  " + "é" * 200 + "  ", "🙂" * 200, "漢" * 200]
    for title in titles:
        act(database, add_todo, owner_id=alice, title=title)
    assert [row[2] for row in all_rows(database)] == [t.strip() for t in titles]


def test_description_blank_is_none_and_text_is_kept_exactly(database: Database, alice: int) -> None:
    blank = act(database, add_todo, owner_id=alice, title="a", description=" \n\t\n ")
    text = "  indented first line\n\n\tthird line with a tab\nlast line  \n"
    kept = act(database, add_todo, owner_id=alice, title="b", description=text)
    assert blank.description is None
    assert kept.description == text
    assert [row[3] for row in all_rows(database)] == [None, text]


# ---------------------------------------------------------------------------------------
# Hostile text is data, never markup or SQL

HOSTILE_TITLES = [
    "[bold red]x[/]",
    "[/]",
    "[@click=app.quit]y[/]",
    "[link=https://evil.example]click[/link]",
    "$variable",
    "${HOME} $(rm -rf /) `id`",
    "'; DROP TABLE todo; --",
    '"; DROP TABLE "user"; --',
    "%s",
    "%(title)s %% %d",
    ":param",
    "? ?1 $1 @p",
    "\\' \\\\ \\n C:\\temp",
    "🙂👩‍👩‍👧‍👦🏳️‍🌈",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202eevil\u202c text with bidi override",
    "e\u0301 a\u0308 (combining, not NFC)",
    "Z\u0351\u0352\u0353a\u0354\u0355l\u0356g\u0357o",
    "漢字かなカナ한국어 wide",
    "zero\u200bwidth\u200djoiner\ufeff",
    "<script>alert(1)</script>",
    "NULL",
]


def test_hostile_titles_are_stored_and_read_back_identical(database: Database, alice: int) -> None:
    added = [act(database, add_todo, owner_id=alice, title=title) for title in HOSTILE_TITLES]
    assert [todo.title for todo in added] == HOSTILE_TITLES
    assert [todo.title for todo in listed(database, alice)] == HOSTILE_TITLES
    assert [row[2] for row in all_rows(database)] == HOSTILE_TITLES
    with database.engine.connect() as connection:  # the tables are all still there
        assert connection.exec_driver_sql('SELECT count(*) FROM "user"').scalar() == 1


def test_hostile_text_survives_update_and_descriptions(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="plain")
    description = "\n".join(HOSTILE_TITLES)
    for title in HOSTILE_TITLES:
        todo = act(
            database,
            update_todo,
            owner_id=alice,
            todo_id=todo.id,
            version=todo.version,
            title=title,
            description=description,
        )
        assert (todo.title, todo.description) == (title, description)
        assert all_rows(database)[0][2:4] == (title, description)


def test_line_separators_are_refused_in_titles_and_kept_in_descriptions(database) -> None:
    with database.session() as session:
        owner = auth.register(session, email="sep@example.com", password="password1", rounds=4)
        for title in ("one\u2028two", "one\u2029two", "one\r\ntwo"):
            with pytest.raises(InvalidInput) as refused:
                add_todo(session, owner_id=owner.id, title=title)
            assert refused.value.field == "title"
        text = "pasted\r\nfrom Windows\u2028and more"
        added = add_todo(session, owner_id=owner.id, title="t", description=text)
        assert added.description == text
        assert get_todo(session, owner_id=owner.id, todo_id=added.id).description == text
