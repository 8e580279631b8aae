"""Changes to many todos at once (an undo step, a bulk action): one statement per kind of
change (delete, restore, update of any fields, tags included), so one round trip for a step
of one kind, however many todos it touches.

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
    """What an undo puts back of a todo that still exists: its fields but the ones the
    database keeps (id, times, version), tags included."""
    kept = {"id", "created_at", "updated_at", "completed_at", "version"}
    return tuple(name for name in todos.RECORD_FIELDS if name not in kept)


ROW_FIELDS = tuple(name for name in content_fields() if name != "tags")  # the todo's columns


def _content(record: TodoRecord) -> tuple:
    """The content of `record`, its tags whatever their case (the database keeps the
    spelling the owner's tag already has)."""
    return (*(getattr(record, name) for name in ROW_FIELDS), tuple(map(str.lower, record.tags)))


def same_tags(these: tuple[str, ...], those: tuple[str, ...]) -> bool:
    """Whether two todos' tags are the same tags (the database matches names by lower())."""
    return [name.lower() for name in these] == [name.lower() for name in those]


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
    if updates:
        landed.update({record.id: record for record in _update(session, owner_id, updates)})
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


def _differences(change: Change) -> tuple[tuple[str, object], ...]:
    """What `change` sets of the todo's columns: the ones its target has otherwise than the
    todo now (at least one, so that the version moves on even when nothing else does)."""
    assert change.current is not None and change.target is not None
    differ = [n for n in ROW_FIELDS if getattr(change.current, n) != getattr(change.target, n)]
    return tuple((n, getattr(change.target, n)) for n in differ or ["is_completed"])


def _completed_at(values: dict) -> dict:
    """Marked done: done now; open again: not done at any time."""
    if "is_completed" not in values:
        return {}
    return {"completed_at": sa.func.now() if values["is_completed"] else None}


def _update(session: Session, owner_id: int, updates: list[Change]) -> list[TodoRecord]:
    """One UPDATE for every todo of `updates`, each to its target at the version it expects
    (and, on PostgreSQL, their tags in the same statement): a bulk action or an undo step is
    one round trip whatever it changes. The todos updated, as they are now."""
    postgres = session.get_bind().dialect.name == "postgresql"
    by_values: dict[tuple, list[Change]] = {}
    for change in updates:
        by_values.setdefault(_differences(change), []).append(change)
    if len(by_values) == 1:
        # The same values for all (a bulk action): a statement compiled once and cached.
        values = dict(next(iter(by_values)))
        statement = (
            sa.update(Todo)
            .where(_at_versions(owner_id, updates))
            .values(**values, **_completed_at(values))
        )
    else:
        statement = _update_each(owner_id, updates, postgres=postgres)
    statement = statement.values(version=todos.next_version(Todo.version), updated_at=sa.func.now())
    retagged = {
        change.todo_id: change.target.tags
        for change in updates
        if not same_tags(change.current.tags, change.target.tags)
    }
    if not retagged:
        return _rows(session, statement)
    if postgres:
        # Every todo of the step given its target's tags: the ones that keep theirs, a no-op.
        tags = {change.todo_id: change.target.tags for change in updates}
        statement = todos._with_tags_postgres(statement, owner_id=owner_id, tags=tags)
        return [todos._record(row) for row in session.exec(statement)]
    written = set(session.exec(statement.returning(Todo.id)).scalars())
    todos.set_tags_sqlite(
        session,
        owner_id=owner_id,
        tags={todo_id: tags for todo_id, tags in retagged.items() if todo_id in written},
    )
    return todos.list_by_ids(session, owner_id=owner_id, todo_ids=written)


def _update_each(owner_id: int, updates: list[Change], *, postgres: bool):
    """An UPDATE setting each todo to its own values, from a VALUES list of them (an undo
    of a re-date puts back each todo's own due date). Compiled anew each time: ~0.4 ms a
    todo, which is why the same values for all take the cached statement instead."""
    table = Todo.__table__
    names = ("id", "version", *ROW_FIELDS)
    rows = [
        (c.current.id, c.current.version, *(getattr(c.target, n) for n in ROW_FIELDS))
        for c in updates
    ]
    target = sa.values(*(sa.column(n, table.c[n].type) for n in names), name="target").data(rows)
    if not postgres:
        target = target.cte("target")  # SQLite names no columns of a VALUES in FROM

    def value(name: str):
        # PostgreSQL takes a column of NULLs alone for text: cast to the column's type.
        return sa.cast(target.c[name], table.c[name].type) if postgres else target.c[name]

    done = value("is_completed")
    return (
        sa.update(Todo)
        .where(Todo.user_id == owner_id, Todo.id == target.c.id, Todo.version == target.c.version)
        .values(
            **{name: value(name) for name in ROW_FIELDS},
            # Marked done: done now; open again: not done at any time; else as it was.
            completed_at=sa.case(
                (Todo.is_completed == done, Todo.completed_at), (done, sa.func.now()), else_=None
            ),
        )
    )


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
