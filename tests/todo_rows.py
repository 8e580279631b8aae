"""Reading and writing todos for the tests of todos.py: rows as stored, one call by name."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from todo_tui.db import Database
from todo_tui.models import Todo, User
from todo_tui.records import TodoRecord
from todo_tui.todos import (
    delete_todo,
    list_todos,
    set_completed,
    update_todo,
)

PAST = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
# Server and tests share one clock; this only has to tell "now" from 2001, and from a
# timestamp shifted by a time-zone offset (read as local time, or labelled wrongly).
CLOCK_SLACK = timedelta(minutes=2)


def new_user(database: Database) -> int:
    with database.engine.begin() as connection:
        statement = (
            sa.insert(User)
            .values(email=f"{uuid.uuid4().hex[:10]}@example.com", hashed_password="x")
            .returning(User.id)
        )
        return connection.execute(statement).scalar_one()


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
    # Tags live in their own table: the record's default (none) stands for them here.
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
