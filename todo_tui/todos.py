"""Todo operations, always scoped to one owner. Each is one SQL statement: one round trip.

Updates and deletes name the version the caller saw (`WHERE version = :seen`), so a change
made elsewhere is never silently overwritten: the caller gets `TodoConflict` with what the
database holds now, or `TodoNotFound`. Only that unhappy path costs a second round trip.

Inserts carry a key the client made (`client_key`; a restore, the id it had), and add
nothing when a row with it exists (`ON CONFLICT DO NOTHING`): that row is the first
attempt, whose reply was lost, and is returned instead. So every write is safe to retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.models import Todo, TodoChangeCounter
from todo_tui.records import TodoDraft, TodoRecord

# What every query returns: the record's fields, by name (rows become records by name too).
RECORD_FIELDS = tuple(field.name for field in fields(TodoRecord))
COLUMNS = tuple(getattr(Todo, name) for name in RECORD_FIELDS)


def next_version(version: int | sa.ColumnElement[int]) -> int | sa.ColumnElement[int]:
    """The version a todo has after one change of `version` (a number, or the column in
    SQL): every update and restore moves it on by one."""
    return version + 1


def completed_as(todo: TodoRecord, completed: bool) -> TodoRecord:
    """`todo` as `set_completed` will return it (its timestamp aside): what a list shows
    before the answer, so that a second press acts on the version the first one makes."""
    return replace(todo, is_completed=completed, version=next_version(todo.version))


class TodoNotFound(DatabaseFault):
    """The todo is gone (deleted, perhaps in another terminal), or is not the caller's."""

    def __init__(self) -> None:
        super().__init__(FaultKind.CONFLICT, "This todo no longer exists: it was deleted.")


class TodoConflict(DatabaseFault):
    """The todo changed since the caller saw it; `current` is what the database holds."""

    def __init__(self, current: TodoRecord) -> None:
        super().__init__(FaultKind.CONFLICT, "This todo was changed in another terminal.")
        self.current = current


def _owned(owner_id: int, todo_id: int):
    return sa.and_(Todo.id == todo_id, Todo.user_id == owner_id)


def _returning_one(session: Session, statement) -> TodoRecord | None:
    row = session.exec(statement.returning(*COLUMNS)).first()
    session.commit()
    return _record(row)


def _record(row) -> TodoRecord | None:
    return TodoRecord(**row._mapping) if row is not None else None


def _draft(draft: TodoDraft | None, by_name: dict[str, str | None]) -> TodoDraft:
    if draft is not None and by_name:
        raise TypeError("pass a draft or its fields, not both")
    return TodoDraft(**by_name) if draft is None else draft


def get_todo(session: Session, *, owner_id: int, todo_id: int) -> TodoRecord | None:
    return _record(session.exec(sa.select(*COLUMNS).where(_owned(owner_id, todo_id))).first())


def list_todos(session: Session, *, owner_id: int) -> list[TodoRecord]:
    rows = session.exec(sa.select(*COLUMNS).where(Todo.user_id == owner_id).order_by(Todo.id))
    return [TodoRecord(**row._mapping) for row in rows]


def list_by_ids(session: Session, *, owner_id: int, todo_ids: Iterable[int]) -> list[TodoRecord]:
    """The caller's todos among `todo_ids` (the missing ones were deleted)."""
    statement = sa.select(*COLUMNS).where(Todo.user_id == owner_id, Todo.id.in_(list(todo_ids)))
    return [TodoRecord(**row._mapping) for row in session.exec(statement)]


def get_by_client_key(session: Session, *, owner_id: int, client_key: str) -> TodoRecord | None:
    """The owner's todo added with `client_key`, if it reached the database."""
    statement = sa.select(*COLUMNS).where(Todo.user_id == owner_id, Todo.client_key == client_key)
    return _record(session.exec(statement).first())


def _insert_once(session: Session, values: dict, *, key: tuple[sa.Column, ...]):
    """INSERT … ON CONFLICT (key) DO NOTHING, in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Todo).values(values).on_conflict_do_nothing(index_elements=list(key))


def add_todo(
    session: Session,
    *,
    owner_id: int,
    draft: TodoDraft | None = None,
    client_key: str | None = None,
    **by_name: str | None,
) -> TodoRecord:
    """Add the todo `draft` (or its fields by name: `title=`, `description=`).

    With `client_key` (made once per draft, kept across retries), a retry after a lost
    reply returns the todo the first attempt added, as it is now, and adds nothing: one
    round trip, a second only then. (Once that todo is deleted, its key is free again: a
    retry adds it back.)
    """
    values = {**_draft(draft, by_name).stored(), "user_id": owner_id}
    if client_key is None:
        added = _returning_one(session, sa.insert(Todo).values(values))
        assert added is not None
        return added
    values["client_key"] = client_key
    statement = _insert_once(session, values, key=(Todo.user_id, Todo.client_key))
    if (added := _returning_one(session, statement)) is not None:
        return added
    if (first := get_by_client_key(session, owner_id=owner_id, client_key=client_key)) is None:
        raise TodoNotFound()  # deleted elsewhere between the two statements
    return first


def _versioned_update(
    session: Session, *, owner_id: int, todo_id: int, version: int, values: dict
) -> TodoRecord:
    statement = (
        sa.update(Todo)
        .where(_owned(owner_id, todo_id), Todo.version == version)
        .values(**values, version=next_version(Todo.version), updated_at=sa.func.now())
    )
    if (updated := _returning_one(session, statement)) is not None:
        return updated
    current = get_todo(session, owner_id=owner_id, todo_id=todo_id)
    if current is None:
        raise TodoNotFound()
    # The very change asked for, already made: a retry after a lost reply, or a twin edit.
    if current.version == next_version(version) and all(
        getattr(current, name) == value for name, value in values.items()
    ):
        return current
    raise TodoConflict(current)


def update_todo(
    session: Session,
    *,
    owner_id: int,
    todo_id: int,
    version: int,
    draft: TodoDraft | None = None,
    **by_name: str | None,
) -> TodoRecord:
    """Save `draft` (or its fields by name) over the todo as it was at `version`."""
    values = _draft(draft, by_name).stored()
    return _versioned_update(
        session, owner_id=owner_id, todo_id=todo_id, version=version, values=values
    )


def set_completed(
    session: Session, *, owner_id: int, todo_id: int, version: int, completed: bool
) -> TodoRecord:
    return _versioned_update(
        session,
        owner_id=owner_id,
        todo_id=todo_id,
        version=version,
        values={"is_completed": completed},
    )


def delete_todo(session: Session, *, owner_id: int, todo_id: int, version: int) -> TodoRecord:
    """Delete the todo as the caller saw it and return it (for undo).

    TodoNotFound: it is gone already. TodoConflict: it changed since; nothing deleted.
    """
    statement = sa.delete(Todo).where(_owned(owner_id, todo_id), Todo.version == version)
    if (deleted := _returning_one(session, statement)) is not None:
        return deleted
    current = get_todo(session, owner_id=owner_id, todo_id=todo_id)
    if current is None:
        raise TodoNotFound()
    raise TodoConflict(current)


def restore_todo(session: Session, *, owner_id: int, todo: TodoRecord) -> TodoRecord:
    """Put a deleted todo back as it was (same id, text, state and timestamps).

    Its version moves on, so a terminal still holding the deleted copy cannot overwrite it.
    Safe to retry: ids are never reused, so a todo with this id holding what this restore
    puts back is its first attempt (whose reply was lost), and is returned. Any other todo
    with this id is refused (a CONFLICT), as before.
    """
    restored = replace(todo, **TodoDraft.of(todo).stored(), version=next_version(todo.version))
    values = {name: getattr(restored, name) for name in RECORD_FIELDS} | {"user_id": owner_id}
    statement = _insert_once(session, values, key=(Todo.id,))
    if (added := _returning_one(session, statement)) is not None:
        return added
    # The id is taken: by this very restore (a retry), or by a todo that was never deleted.
    current = get_todo(session, owner_id=owner_id, todo_id=todo.id)
    if current != restored:
        raise DatabaseFault(
            FaultKind.CONFLICT,
            "Someone else changed the same data at the same time; reload and try again.",
        )
    return current


def list_versions(session: Session, *, owner_id: int) -> dict[int, int]:
    """Id -> version of every todo of the owner: what to fetch to catch up (ids and numbers
    only, so cheap even for 10,000 todos)."""
    statement = sa.select(Todo.id, Todo.version).where(Todo.user_id == owner_id)
    return {todo_id: version for todo_id, version in session.exec(statement)}


def change_counter(session: Session, *, owner_id: int) -> int:
    """The owner's change counter (migration 0004): the database moves it on every insert,
    update and delete of their todos, so unlike any summary of the rows, no sequence of
    edits leaves it where it was. 0 for an owner who never had a todo."""
    statement = sa.select(TodoChangeCounter.counter).where(TodoChangeCounter.user_id == owner_id)
    return int(session.exec(statement).scalar() or 0)
