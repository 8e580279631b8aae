"""Todo operations, always scoped to one owner. Each is one SQL statement: one round trip."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from todo_tui.errors import DatabaseFault, FaultKind
from todo_tui.models import Todo
from todo_tui.records import TodoRecord
from todo_tui.validation import clean_description, clean_title

COLUMNS = (
    Todo.id,
    Todo.title,
    Todo.description,
    Todo.is_completed,
    Todo.created_at,
    Todo.updated_at,
)


class TodoNotFound(DatabaseFault):
    def __init__(self) -> None:
        super().__init__(FaultKind.CONFLICT, "This todo no longer exists: it was deleted.")


def _owned(owner_id: int, todo_id: int):
    return sa.and_(Todo.id == todo_id, Todo.user_id == owner_id)


def _one(session: Session, statement) -> TodoRecord:
    row = session.exec(statement.returning(*COLUMNS)).first()
    session.commit()
    if row is None:
        raise TodoNotFound()
    return TodoRecord(*row)


def list_todos(session: Session, *, owner_id: int) -> list[TodoRecord]:
    rows = session.exec(sa.select(*COLUMNS).where(Todo.user_id == owner_id).order_by(Todo.id))
    return [TodoRecord(*row) for row in rows]


def add_todo(
    session: Session, *, owner_id: int, title: str, description: str | None = None
) -> TodoRecord:
    values = {
        "title": clean_title(title),
        "description": clean_description(description),
        "user_id": owner_id,
    }
    return _one(session, sa.insert(Todo).values(values))


def update_todo(
    session: Session, *, owner_id: int, todo_id: int, title: str, description: str | None
) -> TodoRecord:
    values = {
        "title": clean_title(title),
        "description": clean_description(description),
        "updated_at": sa.func.now(),
    }
    return _one(session, sa.update(Todo).where(_owned(owner_id, todo_id)).values(values))


def set_completed(session: Session, *, owner_id: int, todo_id: int, completed: bool) -> TodoRecord:
    values = {"is_completed": completed, "updated_at": sa.func.now()}
    return _one(session, sa.update(Todo).where(_owned(owner_id, todo_id)).values(values))


def delete_todo(session: Session, *, owner_id: int, todo_id: int) -> TodoRecord:
    """Delete and return what was deleted, so it can be restored."""
    return _one(session, sa.delete(Todo).where(_owned(owner_id, todo_id)))


def restore_todo(session: Session, *, owner_id: int, todo: TodoRecord) -> TodoRecord:
    """Put a deleted todo back exactly as it was (same id, text, state and timestamps)."""
    values = {
        "id": todo.id,
        "title": clean_title(todo.title),
        "description": clean_description(todo.description),
        "is_completed": todo.is_completed,
        "created_at": todo.created_at,
        "updated_at": todo.updated_at,
        "user_id": owner_id,
    }
    return _one(session, sa.insert(Todo).values(values))
