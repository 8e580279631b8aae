"""Todo operations on both databases: what is stored, what is refused, and whose it is."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.errors import DatabaseFault, FaultKind, InvalidInput
from todo_tui.models import Todo, User
from todo_tui.records import TodoRecord
from todo_tui.todos import (
    TodoNotFound,
    add_todo,
    delete_todo,
    list_todos,
    restore_todo,
    set_completed,
    update_todo,
)

PAST = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
# Server and tests share one clock; this only has to tell "now" from 2001, and from a
# timestamp shifted by a time-zone offset (read as local time, or labelled wrongly).
CLOCK_SLACK = timedelta(minutes=2)


# ---------------------------------------------------------------------------------------
# Helpers


def new_user(database: Database) -> int:
    with database.engine.begin() as connection:
        statement = (
            sa.insert(User)
            .values(email=f"{uuid.uuid4().hex[:10]}@example.com", hashed_password="x")
            .returning(User.id)
        )
        return connection.execute(statement).scalar_one()


@pytest.fixture
def alice(database: Database) -> int:
    return new_user(database)


@pytest.fixture
def bob(database: Database) -> int:
    return new_user(database)


def act(database: Database, operation, **kwargs):
    with database.session() as session:
        return operation(session, **kwargs)


def listed(database: Database, owner_id: int) -> list[TodoRecord]:
    return act(database, list_todos, owner_id=owner_id)


def all_rows(database: Database) -> list[tuple]:
    """Every todo as stored, read without the services."""
    with database.engine.connect() as connection:
        statement = sa.select(
            Todo.id,
            Todo.user_id,
            Todo.title,
            Todo.description,
            Todo.is_completed,
            Todo.created_at,
            Todo.updated_at,
        ).order_by(Todo.id)
        return [tuple(row) for row in connection.execute(statement)]


def push_into_the_past(database: Database, todo_id: int) -> None:
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(Todo).where(Todo.id == todo_id).values(created_at=PAST, updated_at=PAST)
        )


def assert_utc_now(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < CLOCK_SLACK, moment


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
    assert todo.created_at == todo.updated_at
    assert_utc_now(todo.created_at)
    assert listed(database, alice) == [todo]
    [row] = all_rows(database)
    assert row[:5] == (todo.id, alice, "Buy milk", "2 litres\nsemi", False)


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
        title="  final  ",
        description="new\n\n  text  ",
    )
    assert (updated.id, updated.title, updated.description) == (todo.id, "final", "new\n\n  text  ")
    assert updated.is_completed is False
    assert listed(database, alice) == [updated]


def test_update_can_clear_the_description(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t", description="something")
    for blank in (None, "", "  \n\t "):
        updated = act(
            database, update_todo, owner_id=alice, todo_id=todo.id, title="t", description=blank
        )
        assert updated.description is None
        assert all_rows(database)[0][3] is None


def test_set_completed_toggles_both_ways(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="toggle me")
    done = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=True)
    assert done.is_completed is True
    assert listed(database, alice)[0].is_completed is True
    undone = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=False)
    assert undone.is_completed is False
    assert all_rows(database)[0][4] is False
    assert (undone.title, undone.created_at) == (todo.title, todo.created_at)


def test_delete_returns_what_was_deleted(database: Database, alice: int) -> None:
    keep = act(database, add_todo, owner_id=alice, title="keep")
    gone = act(database, add_todo, owner_id=alice, title="gone", description="d")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=gone.id)
    assert deleted == gone
    assert listed(database, alice) == [keep]
    with pytest.raises(TodoNotFound) as caught:
        act(database, delete_todo, owner_id=alice, todo_id=gone.id)
    assert caught.value.kind == FaultKind.CONFLICT
    assert caught.value.sentence == "This todo no longer exists: it was deleted."


@pytest.mark.parametrize("operation", ["update", "toggle", "delete"])
def test_acting_on_a_missing_todo_is_todo_not_found(
    database: Database, alice: int, operation: str
) -> None:
    with pytest.raises(TodoNotFound):
        if operation == "update":
            act(database, update_todo, owner_id=alice, todo_id=987654, title="t", description=None)
        elif operation == "toggle":
            act(database, set_completed, owner_id=alice, todo_id=987654, completed=True)
        else:
            act(database, delete_todo, owner_id=alice, todo_id=987654)
    assert all_rows(database) == []


def test_restore_puts_back_the_same_todo(database: Database, alice: int) -> None:
    before = act(database, add_todo, owner_id=alice, title="first")
    todo = act(database, add_todo, owner_id=alice, title="precious", description="line 1\nline 2")
    after = act(database, add_todo, owner_id=alice, title="last")
    todo = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=True)
    push_into_the_past(database, todo.id)
    [todo] = [t for t in listed(database, alice) if t.id == todo.id]
    assert todo.created_at == PAST

    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id)
    assert deleted == todo
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    assert restored == todo  # same id, title, description, state, created_at and updated_at
    assert listed(database, alice) == [before, todo, after]
    assert [row[1] for row in all_rows(database)] == [alice] * 3
    # the id sequence is untouched: the next todo gets a new id, no conflict
    newest = act(database, add_todo, owner_id=alice, title="newest")
    assert newest.id not in {before.id, todo.id, after.id}


def test_restore_over_an_existing_todo_is_refused(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="here")
    with pytest.raises(DatabaseFault) as caught:
        act(database, restore_todo, owner_id=alice, todo=replace(todo, title="other"))
    assert caught.value.kind == FaultKind.CONFLICT
    assert listed(database, alice) == [todo]


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
        act(database, update_todo, owner_id=alice, todo_id=todo.id, title=title, description="new")
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
# Timestamps


def test_update_moves_updated_at_but_not_created_at(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    updated = act(
        database, update_todo, owner_id=alice, todo_id=todo.id, title="t2", description=None
    )
    assert updated.created_at == PAST
    assert updated.updated_at > PAST
    assert_utc_now(updated.updated_at)
    [row] = all_rows(database)
    assert (row[5], row[6]) == (PAST, updated.updated_at)


@pytest.mark.parametrize("completed", [True, False])
def test_toggle_moves_updated_at_but_not_created_at(
    database: Database, alice: int, completed: bool
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    toggled = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=completed)
    assert toggled.created_at == PAST
    assert_utc_now(toggled.updated_at)
    assert all_rows(database)[0][6] == toggled.updated_at


def test_failed_update_of_someone_elses_todo_moves_nothing(
    database: Database, alice: int, bob: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    with pytest.raises(TodoNotFound):
        act(database, set_completed, owner_id=bob, todo_id=todo.id, completed=True)
    assert all_rows(database)[0][5:] == (PAST, PAST)


def test_timestamps_are_aware_utc_on_every_path(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    toggled = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=True)
    for moment in (
        todo.created_at,
        todo.updated_at,
        toggled.updated_at,
        listed(database, alice)[0].created_at,
        listed(database, alice)[0].updated_at,
        *all_rows(database)[0][5:7],
    ):
        assert_utc_now(moment)


def test_timestamps_are_utc_whatever_the_session_time_zone(database: Database) -> None:
    """A PostgreSQL session in another time zone still yields the same UTC instants.

    SQLite has no session time zone: CURRENT_TIMESTAMP is always UTC, checked above.
    """
    if database.dialect == "sqlite":
        with database.engine.connect() as connection:
            now = connection.exec_driver_sql("SELECT CURRENT_TIMESTAMP").scalar()
        moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
        assert_utc_now(moment)
        return
    url = sa.make_url(database.settings.database.url).update_query_dict(
        {"options": "-c timezone=Asia/Kathmandu"}  # +05:45: no rounding hides it
    )
    settings = replace(
        load_settings(
            database_url=url.render_as_string(hide_password=False).replace("+psycopg2", ""),
            environ={},
        ),
        bcrypt_rounds=4,
    )
    other = Database(settings)
    try:
        with other.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "Asia/Kathmandu"
        owner = new_user(other)
        todo = act(other, add_todo, owner_id=owner, title="far away")
        assert_utc_now(todo.created_at)
        assert listed(database, owner) == [todo]  # the same instants from a UTC session
    finally:
        other.dispose()


# ---------------------------------------------------------------------------------------
# One user never reaches another's todos


def test_another_user_cannot_reach_a_todo_by_id(database: Database, alice: int, bob: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="alice's", description="private")
    todo = act(database, set_completed, owner_id=alice, todo_id=todo.id, completed=True)
    before = all_rows(database)

    assert listed(database, bob) == []
    with pytest.raises(TodoNotFound):
        act(database, update_todo, owner_id=bob, todo_id=todo.id, title="mine", description="x")
    with pytest.raises(TodoNotFound):
        act(database, set_completed, owner_id=bob, todo_id=todo.id, completed=False)
    with pytest.raises(TodoNotFound):
        act(database, delete_todo, owner_id=bob, todo_id=todo.id)
    # Restoring over alice's id is refused by the primary key: a CONFLICT, though not a
    # TodoNotFound (the todo does exist; it is just not bob's to replace).
    with pytest.raises(DatabaseFault) as caught:
        act(database, restore_todo, owner_id=bob, todo=replace(todo, title="hijacked"))
    assert caught.value.kind == FaultKind.CONFLICT

    assert all_rows(database) == before
    assert listed(database, alice) == [todo]
    assert listed(database, bob) == []


def test_a_restore_lands_in_the_restorers_list_only(
    database: Database, alice: int, bob: int
) -> None:
    """The owner comes from the caller, never from the record being restored."""
    todo = act(database, add_todo, owner_id=alice, title="alice's")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id)
    act(database, restore_todo, owner_id=bob, todo=deleted)
    assert listed(database, alice) == []
    assert [row[1] for row in all_rows(database)] == [bob]


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
        updated = act(
            database,
            update_todo,
            owner_id=alice,
            todo_id=todo.id,
            title=title,
            description=description,
        )
        assert (updated.title, updated.description) == (title, description)
        assert all_rows(database)[0][2:4] == (title, description)
