"""Todo operations on both databases: what is stored, what is refused, and whose it is."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from todo_tui import auth
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.models import Todo, User
from todo_tui.records import TodoDraft, TodoRecord
from todo_tui.todos import (
    TodoConflict,
    TodoNotFound,
    add_todo,
    completed_as,
    delete_todo,
    get_by_client_key,
    get_todo,
    list_by_ids,
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
            Todo.version,
        ).order_by(Todo.id)
        return [tuple(row) for row in connection.execute(statement)]


def raw_rows(database: Database) -> list[tuple]:
    """Every todo exactly as the driver returns it (no type processing): for "unchanged"."""
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql("SELECT * FROM todo ORDER BY id")]


def as_stored(database: Database, todo_id: int) -> TodoRecord:
    """The todo's row read without the services, as a record (its columns by name)."""
    with database.engine.connect() as connection:
        statement = sa.select(*Todo.__table__.columns).where(Todo.id == todo_id)
        row = connection.execute(statement).one()._mapping
    return TodoRecord(**{f.name: row[f.name] for f in fields(TodoRecord) if f.name in row})


OPERATIONS = ["update", "toggle", "delete"]


def attempt(
    database: Database,
    operation: str,
    *,
    owner_id: int,
    todo_id: int,
    version: int,
    title: str = "changed",
    description: str | None = None,
    completed: bool = True,
) -> TodoRecord:
    """One of the versioned writes, by name (for tests that run all three)."""
    ids = {"owner_id": owner_id, "todo_id": todo_id, "version": version}
    if operation == "update":
        return act(database, update_todo, **ids, title=title, description=description)
    if operation == "toggle":
        return act(database, set_completed, **ids, completed=completed)
    assert operation == "delete"
    return act(database, delete_todo, **ids)


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


def test_restore_puts_back_the_same_todo(database: Database, alice: int) -> None:
    before = act(database, add_todo, owner_id=alice, title="first")
    todo = act(database, add_todo, owner_id=alice, title="precious", description="line 1\nline 2")
    after = act(database, add_todo, owner_id=alice, title="last")
    todo = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    push_into_the_past(database, todo.id)
    [todo] = [t for t in listed(database, alice) if t.id == todo.id]
    assert todo.created_at == PAST

    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    assert deleted == todo
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    # same id, title, description, state, created_at and updated_at; the version moves on
    assert restored == replace(todo, version=todo.version + 1)
    assert listed(database, alice) == [before, restored, after]
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
# Inserts are safe to retry: a client key (adds), the id (restores)


def client_keys(database: Database) -> list[tuple[int, str | None]]:
    with database.engine.connect() as connection:
        statement = sa.select(Todo.user_id, Todo.client_key).order_by(Todo.id)
        return [tuple(row) for row in connection.execute(statement)]


def test_an_add_repeated_with_its_client_key_returns_the_first_and_adds_nothing(
    database: Database, alice: int
) -> None:
    first = act(database, add_todo, owner_id=alice, title="Call mum", client_key="k" * 32)
    # The retry after a lost reply; even with other text (typed meanwhile), it is the first.
    for title in ("Call mum", "Call mum today"):
        again = act(database, add_todo, owner_id=alice, title=title, client_key="k" * 32)
        assert again == first
    assert listed(database, alice) == [first]
    assert client_keys(database) == [(alice, "k" * 32)]
    # The first as it is now: changed since, the retry hands back the change.
    done = act(database, set_completed, owner_id=alice, todo_id=first.id, version=1, completed=True)
    assert act(database, add_todo, owner_id=alice, title="Call mum", client_key="k" * 32) == done


def test_client_keys_are_per_owner_and_per_draft(database: Database, alice: int, bob: int) -> None:
    mine = act(database, add_todo, owner_id=alice, title="mine", client_key="same")
    # Another owner's key never finds (nor blocks) alice's todo.
    theirs = act(database, add_todo, owner_id=bob, title="theirs", client_key="same")
    assert theirs.id != mine.id
    other = act(database, add_todo, owner_id=alice, title="other", client_key="another")
    keyless = [act(database, add_todo, owner_id=alice, title="no key") for _ in range(2)]
    assert listed(database, alice) == [mine, other, *keyless]
    assert listed(database, bob) == [theirs]
    assert act(database, get_by_client_key, owner_id=alice, client_key="same") == mine
    assert act(database, get_by_client_key, owner_id=bob, client_key="another") is None


def test_a_restore_repeated_returns_the_first_and_adds_nothing(
    database: Database, alice: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="precious", description="d")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    assert act(database, restore_todo, owner_id=alice, todo=deleted) == restored
    assert listed(database, alice) == [restored]


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
# Timestamps


def test_update_moves_updated_at_but_not_created_at(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    updated = act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        title="t2",
        description=None,
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
    toggled = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=completed,
    )
    assert toggled.created_at == PAST
    assert_utc_now(toggled.updated_at)
    assert all_rows(database)[0][6] == toggled.updated_at


def test_failed_update_of_someone_elses_todo_moves_nothing(
    database: Database, alice: int, bob: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    with pytest.raises(TodoNotFound):
        act(
            database,
            set_completed,
            owner_id=bob,
            todo_id=todo.id,
            version=todo.version,
            completed=True,
        )
    assert all_rows(database)[0][5:] == (PAST, PAST, todo.version)


def test_timestamps_are_aware_utc_on_every_path(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    toggled = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
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
# Versions: a change made elsewhere is never silently overwritten


def make_stale(database: Database, alice: int) -> tuple[TodoRecord, TodoRecord]:
    """A todo as a first terminal saw it (version 1), and as another terminal left it
    (version 2, title changed), pushed into the past so that any write would show."""
    seen = act(database, add_todo, owner_id=alice, title="seen", description="d")
    act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=seen.id,
        version=seen.version,
        title="changed elsewhere",
        description="d",
    )
    push_into_the_past(database, seen.id)
    return seen, as_stored(database, seen.id)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_stale_version_is_a_conflict_and_nothing_is_written(
    database: Database, alice: int, operation: str
) -> None:
    seen, stored = make_stale(database, alice)
    assert (seen.version, stored.version) == (1, 2)
    before = raw_rows(database)
    with pytest.raises(TodoConflict) as caught:
        attempt(
            database,
            operation,
            owner_id=alice,
            todo_id=seen.id,
            version=seen.version,
            title="mine",
            completed=True,
        )
    assert caught.value.current == stored  # the row as stored, version included
    assert caught.value.current == act(database, get_todo, owner_id=alice, todo_id=seen.id)
    assert caught.value.kind == FaultKind.CONFLICT
    assert caught.value.sentence == "This todo was changed in another terminal."
    assert raw_rows(database) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_version_from_the_future_is_a_conflict_too(
    database: Database, alice: int, operation: str
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    before = raw_rows(database)
    for version in (todo.version + 1, todo.version + 2, 0, -1):
        with pytest.raises(TodoConflict) as caught:
            attempt(database, operation, owner_id=alice, todo_id=todo.id, version=version)
        assert caught.value.current == todo
    assert raw_rows(database) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_deleted_todo_is_not_found(database: Database, alice: int, operation: str) -> None:
    todo = act(database, add_todo, owner_id=alice, title="doomed")
    keep = act(database, add_todo, owner_id=alice, title="keep")
    act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    before = raw_rows(database)
    for version in (todo.version, todo.version + 1):
        with pytest.raises(TodoNotFound) as caught:
            attempt(database, operation, owner_id=alice, todo_id=todo.id, version=version)
        assert caught.value.kind == FaultKind.CONFLICT
    assert raw_rows(database) == before
    assert listed(database, alice) == [keep]


def test_a_repeated_update_is_recognised_as_already_applied(database: Database, alice: int) -> None:
    """A retry after a lost reply (same change, same seen version) gets the record back;
    nothing is written a second time."""
    todo = act(database, add_todo, owner_id=alice, title="draft", description="old")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    first = act(database, update_todo, **request, title="final", description="new")
    assert first.version == todo.version + 1
    push_into_the_past(database, todo.id)
    stored = as_stored(database, todo.id)
    before = raw_rows(database)

    again = act(database, update_todo, **request, title="final", description="new")
    assert again == stored
    assert again.version == todo.version + 1  # not bumped twice
    # The same change as the validation sees it: trimmed title, blank-or-exact description.
    assert act(database, update_todo, **request, title="  final ", description="new") == stored
    assert raw_rows(database) == before

    # A different change from the same stale version is a conflict, with the stored row.
    for title, description in [("other", "new"), ("final", "other"), ("final", None)]:
        with pytest.raises(TodoConflict) as caught:
            act(database, update_todo, **request, title=title, description=description)
        assert caught.value.current == stored
    assert raw_rows(database) == before


def test_a_repeated_toggle_is_recognised_as_already_applied(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    done = act(database, set_completed, **request, completed=True)
    push_into_the_past(database, todo.id)
    stored = as_stored(database, todo.id)
    assert (done.version, stored.version, stored.is_completed) == (2, 2, True)
    before = raw_rows(database)

    assert act(database, set_completed, **request, completed=True) == stored
    with pytest.raises(TodoConflict) as caught:
        act(database, set_completed, **request, completed=False)
    assert caught.value.current == stored
    # The rule compares only the fields the request names: an update from the same seen
    # version that asks for the text the row already holds loses nothing, and gets the row
    # back (completed, as the toggle left it); one that would change the text conflicts.
    assert act(database, update_todo, **request, title="t", description=None) == stored
    with pytest.raises(TodoConflict) as caught:
        act(database, update_todo, **request, title="t2", description=None)
    assert caught.value.current == stored
    assert raw_rows(database) == before


def test_already_applied_only_right_after_the_change(database: Database, alice: int) -> None:
    """Once anything else was written on top, the same request is a conflict: the rule
    recognises a write only at seen + 1."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    first = act(database, update_todo, **request, title="final", description=None)
    act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=first.version,
        completed=True,
    )
    stored = as_stored(database, todo.id)
    assert (stored.title, stored.version) == ("final", 3)
    with pytest.raises(TodoConflict) as caught:
        act(database, update_todo, **request, title="final", description=None)
    assert caught.value.current == stored


def test_a_repeated_delete_is_not_found(database: Database, alice: int) -> None:
    """Delete has no "already applied" rule: a retried delete learns the todo is gone."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    assert act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=1) == todo
    with pytest.raises(TodoNotFound):
        act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=1)
    assert all_rows(database) == []


def test_every_write_adds_exactly_one_to_the_version(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    other = act(database, add_todo, owner_id=alice, title="other")
    assert (todo.version, other.version) == (1, 1)
    steps = [
        ("update", {"title": "t2", "description": "d"}),
        ("toggle", {"completed": True}),
        ("toggle", {"completed": False}),
        ("update", {"title": "t2", "description": "d"}),  # no change in text: still a write
        ("toggle", {"completed": False}),  # already false: still a write
    ]
    for operation, values in steps:
        version = todo.version
        todo = attempt(
            database, operation, owner_id=alice, todo_id=todo.id, version=version, **values
        )
        assert todo.version == version + 1
        assert as_stored(database, todo.id) == todo
    assert todo.version == 1 + len(steps)
    # Refused writes move nothing: bad input, a stale version, another owner.
    with pytest.raises(InvalidInput):
        attempt(database, "update", owner_id=alice, todo_id=todo.id, version=todo.version, title="")
    with pytest.raises(TodoConflict):
        attempt(database, "toggle", owner_id=alice, todo_id=todo.id, version=todo.version - 2)
    with pytest.raises(TodoNotFound):
        attempt(database, "toggle", owner_id=alice + 10_000, todo_id=todo.id, version=todo.version)
    assert as_stored(database, todo.id) == todo
    assert as_stored(database, other.id) == other  # the neighbour was never touched


def test_restore_moves_the_version_on_past_the_deleted_copy(database: Database, alice: int) -> None:
    """A terminal still holding the deleted copy's version cannot overwrite the restored
    todo with a different change, nor delete it."""
    todo = act(database, add_todo, owner_id=alice, title="t", description="d")
    todo = act(database, set_completed, owner_id=alice, todo_id=todo.id, version=1, completed=True)
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    assert restored.version == deleted.version + 1 == 3
    assert as_stored(database, todo.id) == restored
    push_into_the_past(database, todo.id)
    restored = as_stored(database, todo.id)
    before = raw_rows(database)

    stale = {"owner_id": alice, "todo_id": todo.id, "version": deleted.version}
    for operation, values in [
        ("update", {"title": "overwrite", "description": "d"}),
        ("toggle", {"completed": False}),
        ("delete", {}),
    ]:
        with pytest.raises(TodoConflict) as caught:
            attempt(database, operation, **stale, **values)
        assert caught.value.current == restored
    # Asking for exactly what the restored row holds is answered with that row (the
    # "already applied" rule at seen + 1): nothing is written, nothing is lost.
    assert act(database, update_todo, **stale, title="t", description="d") == restored
    assert act(database, set_completed, **stale, completed=True) == restored
    assert raw_rows(database) == before

    # The holder of the restored copy carries on as usual.
    current = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=restored.version,
        completed=False,
    )
    assert current.version == restored.version + 1


def test_conflict_and_not_found_are_conflict_faults(database: Database, alice: int) -> None:
    """Screens that catch DatabaseFault (kind CONFLICT) handle both without knowing them."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    assert issubclass(TodoConflict, DatabaseFault)
    assert issubclass(TodoNotFound, DatabaseFault)
    with pytest.raises(DatabaseFault) as caught:
        attempt(database, "toggle", owner_id=alice, todo_id=todo.id, version=7)
    assert isinstance(caught.value, TodoConflict)
    assert caught.value.kind == FaultKind.CONFLICT


# ---------------------------------------------------------------------------------------
# One user never reaches another's todos


def test_another_user_cannot_reach_a_todo_even_guessing_id_and_version(
    database: Database, alice: int, bob: int
) -> None:
    """Bob knows the id and the version of alice's todo: he still reads nothing, changes
    nothing, and learns nothing of it (a TodoConflict would hand him `.current`)."""
    todo = act(database, add_todo, owner_id=alice, title="alice's", description="private")
    todo = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    assert todo.version == 2
    push_into_the_past(database, todo.id)
    [todo] = listed(database, alice)
    before = raw_rows(database)

    assert act(database, get_todo, owner_id=bob, todo_id=todo.id) is None
    assert listed(database, bob) == []
    assert act(database, list_by_ids, owner_id=bob, todo_ids=[todo.id]) == []
    # The right version, the ones either side, and the "already applied" shape: alice's
    # exact values at the version before (which, for alice, returns the record).
    for version in (todo.version - 1, todo.version, todo.version + 1):
        for operation, values in [
            ("update", {"title": "mine", "description": "x"}),
            ("update", {"title": todo.title, "description": todo.description}),
            ("toggle", {"completed": False}),
            ("toggle", {"completed": True}),
            ("delete", {}),
        ]:
            with pytest.raises(TodoNotFound) as caught:
                attempt(
                    database,
                    operation,
                    owner_id=bob,
                    todo_id=todo.id,
                    version=version,
                    **values,
                )
            assert not hasattr(caught.value, "current")
            assert caught.value.sentence == "This todo no longer exists: it was deleted."
    # Restoring over alice's id is refused by the primary key: a CONFLICT with the generic
    # sentence, not a TodoNotFound (restore is an INSERT; it never looks for an owner) and
    # not a TodoConflict (nothing of alice's todo is handed back).
    for version in (todo.version - 1, todo.version):
        with pytest.raises(DatabaseFault) as caught:
            act(
                database,
                restore_todo,
                owner_id=bob,
                todo=replace(todo, title="hijacked", version=version),
            )
        assert caught.value.kind == FaultKind.CONFLICT
        assert not isinstance(caught.value, TodoConflict | TodoNotFound)
        assert "alice" not in caught.value.sentence and "private" not in caught.value.sentence

    assert raw_rows(database) == before  # alice's row, byte for byte
    assert listed(database, alice) == [todo]
    assert listed(database, bob) == []
    assert act(database, get_todo, owner_id=alice, todo_id=todo.id) == todo
    assert act(database, list_by_ids, owner_id=alice, todo_ids=[todo.id]) == [todo]


def test_a_restore_lands_in_the_restorers_list_only(
    database: Database, alice: int, bob: int
) -> None:
    """The owner comes from the caller, never from the record being restored."""
    todo = act(database, add_todo, owner_id=alice, title="alice's")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
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
