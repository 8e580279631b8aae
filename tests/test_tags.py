"""The todo services with due dates, priorities, completion times and tags, on both
databases: tags travel with their todo in every read and write, are part of its version,
are shared by name (whatever the case) within one owner's list and never across owners."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from todo_tui import todos
from todo_tui.auth import register
from todo_tui.db import Database
from todo_tui.faults import InvalidInput
from todo_tui.records import TodoDraft


@pytest.fixture
def owners(database: Database) -> tuple[int, int]:
    with database.session() as session:
        ann = register(session, email="ann@example.com", password="password1", rounds=4)
        bob = register(session, email="bob@example.com", password="password1", rounds=4)
    return ann.id, bob.id


def call(database: Database, work):
    with database.session() as session:
        return work(session)


def add(database: Database, owner: int, **fields):
    return call(database, lambda s: todos.add_todo(s, owner_id=owner, draft=TodoDraft(**fields)))


def test_a_new_todo_keeps_its_due_date_time_priority_and_tags(database, owners) -> None:
    ann, _ = owners
    added = add(
        database, ann, title="Pay rent", due="2026-12-04 09:30", priority="high", tags="home #Bills"
    )
    assert (added.due_date, added.due_time, added.priority) == (date(2026, 12, 4), time(9, 30), 3)
    assert added.tags == ("Bills", "home")
    assert added.version == 1 and added.completed_at is None
    assert call(database, lambda s: todos.get_todo(s, owner_id=ann, todo_id=added.id)) == added
    assert call(database, lambda s: todos.list_todos(s, owner_id=ann)) == [added]


def test_tags_are_shared_by_name_whatever_the_case(database, owners) -> None:
    ann, bob = owners
    first = add(database, ann, title="one", tags="Home")
    second = add(database, ann, title="two", tags="HOME work")
    assert first.tags == ("Home",)
    assert second.tags == ("Home", "work")  # the tag as it was first written
    assert call(database, lambda s: todos.list_tags(s, owner_id=ann)) == ["Home", "work"]
    add(database, bob, title="bob's", tags="home")
    assert call(database, lambda s: todos.list_tags(s, owner_id=bob)) == ["home"]


def test_changing_tags_moves_the_version_and_a_stale_change_conflicts(database, owners) -> None:
    ann, _ = owners
    todo = add(database, ann, title="Pay rent", tags="home")

    def save(version: int, tags: str):
        draft = TodoDraft(title="Pay rent", tags=tags)
        return call(
            database,
            lambda s: todos.update_todo(
                s, owner_id=ann, todo_id=todo.id, version=version, draft=draft
            ),
        )

    tagged = save(todo.version, "home money")
    assert tagged.tags == ("home", "money") and tagged.version == todo.version + 1
    # The same change again (a retry whose reply was lost): recognised, not a conflict.
    assert save(todo.version, "home money") == tagged
    with pytest.raises(todos.TodoConflict) as conflict:
        save(todo.version, "office")  # another terminal, still at the first version
    assert conflict.value.current == tagged
    untagged = save(tagged.version, "")
    assert untagged.tags == () and untagged.version == tagged.version + 1
    assert call(database, lambda s: todos.get_todo(s, owner_id=ann, todo_id=todo.id)) == untagged


def test_reading_every_todo_with_its_tags_is_one_statement(database, owners) -> None:
    ann, _ = owners
    for n in range(5):
        add(database, ann, title=f"todo {n}", tags=f"t{n} common")
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        listed = call(database, lambda s: todos.list_todos(s, owner_id=ann))
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    assert [t.tags for t in listed] == [(f"t{n}", "common")[::-1] for n in range(5)]
    assert [s for s in statements if s != "BEGIN"] == statements[-1:]  # SQLite's own BEGIN


def test_done_sets_completed_at_and_reopening_clears_it(database, owners) -> None:
    ann, _ = owners
    todo = add(database, ann, title="x", tags="a")
    done = call(
        database,
        lambda s: todos.set_completed(
            s, owner_id=ann, todo_id=todo.id, version=todo.version, completed=True
        ),
    )
    assert done.is_completed and done.completed_at is not None and done.tags == ("a",)
    assert done.completed_at >= todo.created_at
    reopened = call(
        database,
        lambda s: todos.set_completed(
            s, owner_id=ann, todo_id=todo.id, version=done.version, completed=False
        ),
    )
    assert not reopened.is_completed and reopened.completed_at is None


def test_a_deleted_todo_comes_back_with_its_tags_and_dates(database, owners) -> None:
    ann, _ = owners
    todo = add(database, ann, title="x", tags="a b", due="2026-12-24", priority="low")
    deleted = call(
        database, lambda s: todos.delete_todo(s, owner_id=ann, todo_id=todo.id, version=1)
    )
    restored = call(database, lambda s: todos.restore_todo(s, owner_id=ann, todo=deleted))
    assert restored.tags == ("a", "b") and restored.due_date == date(2026, 12, 24)
    assert restored.priority == 1 and restored.version == 2


def test_a_retried_add_with_tags_adds_one_todo(database, owners) -> None:
    ann, _ = owners
    draft = TodoDraft(title="once", tags="a")
    first, again = (
        call(database, lambda s: todos.add_todo(s, owner_id=ann, draft=draft, client_key="k1"))
        for _ in range(2)
    )
    assert first == again and first.tags == ("a",)
    assert len(call(database, lambda s: todos.list_todos(s, owner_id=ann))) == 1


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"tags": "a" * 51}, "tags", "the limit is 50"),
        ({"tags": "x\x00y"}, "tags", "control characters"),
        ({"priority": "urgent"}, "priority", "is not a priority"),
        ({"due": "31 feb"}, "due", "not a date on the calendar"),
        ({"due": "the day after never"}, "due", "not a date todo-tui can read"),
    ],
)
def test_what_cannot_be_stored_is_refused_before_any_sql(
    database, owners, fields, field, says
) -> None:
    ann, _ = owners
    with pytest.raises(InvalidInput) as refused:
        add(database, ann, title="t", **fields)
    assert refused.value.field == field and says in str(refused.value)
    assert call(database, lambda s: todos.list_todos(s, owner_id=ann)) == []


def test_another_owner_cannot_tag_a_todo(database, owners) -> None:
    ann, bob = owners
    todo = add(database, ann, title="ann's", tags="mine")
    with pytest.raises(todos.TodoNotFound):
        call(
            database,
            lambda s: todos.update_todo(
                s, owner_id=bob, todo_id=todo.id, version=1, draft=TodoDraft("x", tags="bob")
            ),
        )
    assert call(database, lambda s: todos.list_tags(s, owner_id=bob)) == []
    assert call(database, lambda s: todos.get_todo(s, owner_id=ann, todo_id=todo.id)) == todo


# SQLite is local: its statements of one transaction cost no round trip.
@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_on_postgresql_a_change_of_tags_is_one_statement(database, owners) -> None:
    """One round trip to a remote server: the todo, new tags and links in one statement."""
    ann, _ = owners
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        added = add(database, ann, title="x", tags="a b")
        edited = call(
            database,
            lambda s: todos.update_todo(
                s,
                owner_id=ann,
                todo_id=added.id,
                version=1,
                draft=TodoDraft("x", tags="b c"),
                seen_tags=added.tags,
            ),
        )
        same = call(
            database,
            lambda s: todos.update_todo(
                s,
                owner_id=ann,
                todo_id=added.id,
                version=2,
                draft=TodoDraft("y", tags="C b"),
                seen_tags=edited.tags,
            ),
        )
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    assert edited.tags == ("b", "c") and same.tags == ("b", "c") and same.title == "y"
    assert [s.split()[0] for s in statements] == ["WITH", "WITH", "UPDATE"]
