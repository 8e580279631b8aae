"""Changes to many todos at once (an undo step, a bulk action): one statement per kind of
change, so one round trip for a step of one kind, however many todos it touches.

Every change names the version it expects (`Change.current`): a todo changed elsewhere
since is left alone and returned as a conflict, with what the database holds, for the
caller to ask about. Only then (or after a retried statement) a second round trip looks
the missing todos up. Safe to retry like the single-todo writes in todos.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlmodel import Session

from todo_tui import todos
from todo_tui.faults import DatabaseFault
from todo_tui.history import Change
from todo_tui.models import Todo
from todo_tui.records import TodoDraft, TodoRecord


@dataclass
class Applied:
    done: list[tuple[Change, TodoRecord | None]] = field(default_factory=list)  # and now
    conflicts: list[tuple[Change, TodoRecord | None]] = field(default_factory=list)


def content_fields() -> tuple[str, ...]:
    """What an undo puts back of a todo that still exists: its columns but the ones the
    database keeps (id, times, version). Tags are not among them: see the README."""
    kept = {"id", "created_at", "updated_at", "completed_at", "version"}
    return tuple(name for name in todos.TODO_FIELDS if name not in kept)


def _content(record: TodoRecord) -> tuple:
    return tuple(getattr(record, name) for name in content_fields())


def _differences(change: Change) -> tuple[tuple[str, object], ...]:
    """What `change` sets: the fields its target has otherwise than the todo now (at least
    one, so that the version moves on even when nothing else does)."""
    assert change.current is not None and change.target is not None
    names = content_fields()
    differ = [n for n in names if getattr(change.current, n) != getattr(change.target, n)]
    return tuple((n, getattr(change.target, n)) for n in differ or ["is_completed"])


def _rows(session: Session, statement) -> list[TodoRecord]:
    rows = session.exec(statement.returning(*todos.COLUMNS)).all()
    return [todos._record(row) for row in rows]


def _at_versions(owner_id: int, changes: Iterable[Change]):
    pairs = [(c.current.id, c.current.version) for c in changes if c.current is not None]
    return sa.and_(Todo.user_id == owner_id, sa.tuple_(Todo.id, Todo.version).in_(pairs))


def apply(session: Session, *, owner_id: int, changes: Iterable[Change]) -> Applied:
    changes = list(changes)
    deletes = [c for c in changes if c.current is not None and c.target is None]
    restores = [c for c in changes if c.current is None and c.target is not None]
    updates = [c for c in changes if c.current is not None and c.target is not None]
    landed: dict[int, TodoRecord | None] = {}
    if deletes:
        statement = sa.delete(Todo).where(_at_versions(owner_id, deletes))
        landed.update({record.id: None for record in _rows(session, statement)})
    # Untagged todos come back in one INSERT; a tagged one with its tags, one by one.
    untagged = [c.target for c in restores if c.target is not None and not c.target.tags]
    if untagged:
        values = [_restored_values(owner_id, todo) for todo in untagged]
        statement = todos._insert_once(session, values, key=(Todo.id,))
        landed.update({record.id: record for record in _rows(session, statement)})
    for change in restores:
        if change.target is not None and change.target.tags:
            with contextlib.suppress(DatabaseFault):  # the id is taken: a conflict below
                record = todos.restore_todo(session, owner_id=owner_id, todo=change.target)
                landed[record.id] = record
    # One UPDATE for the changes that set the same values: marking 500 todos done is one.
    by_values: dict[tuple, list[Change]] = {}
    for change in updates:
        by_values.setdefault(_differences(change), []).append(change)
    for values, group in by_values.items():
        statement = (
            sa.update(Todo)
            .where(_at_versions(owner_id, group))
            .values(
                **dict(values),
                **_completed_at(dict(values)),
                version=todos.next_version(Todo.version),
                updated_at=sa.func.now(),
            )
        )
        landed.update({record.id: record for record in _rows(session, statement)})
    session.commit()
    applied = Applied()
    missing = [c for c in changes if c.todo_id not in landed]
    now = _current(session, owner_id, [c.todo_id for c in missing]) if missing else {}
    for change in changes:
        if change.todo_id in landed:
            applied.done.append((change, landed[change.todo_id]))
        elif _landed_before(change, now.get(change.todo_id)):  # a retry: the first landed
            applied.done.append((change, now.get(change.todo_id)))
        else:
            applied.conflicts.append((change, now.get(change.todo_id)))
    return applied


def _completed_at(values: dict) -> dict:
    """Marked done: done now; open again: not done at any time."""
    if "is_completed" not in values:
        return {}
    return {"completed_at": sa.func.now() if values["is_completed"] else None}


def _restored_values(owner_id: int, todo: TodoRecord) -> dict:
    restored = replace(
        todo, **TodoDraft.of(todo).stored(), version=todos.next_version(todo.version)
    )
    return {name: getattr(restored, name) for name in todos.TODO_FIELDS} | {"user_id": owner_id}


def _current(session: Session, owner_id: int, todo_ids: list[int]) -> dict[int, TodoRecord]:
    return {r.id: r for r in todos.list_by_ids(session, owner_id=owner_id, todo_ids=todo_ids)}


def _landed_before(change: Change, now: TodoRecord | None) -> bool:
    """Whether the database already holds what `change` makes (its first attempt's reply
    was lost): a delete finds nothing; a restore or an update finds its very result."""
    if change.target is None:
        return now is None
    if now is None:
        return False
    expected = change.current.version if change.current is not None else change.target.version
    return now.version == todos.next_version(expected) and _content(now) == _content(change.target)


def forced(conflicts: Iterable[tuple[Change, TodoRecord | None]]) -> list[Change]:
    """The conflicting changes again, expecting what the database holds now (the user said
    "undo anyway"); a todo deleted elsewhere cannot be changed back, but can be put back."""
    return [replace(change, current=now) for change, now in conflicts]
