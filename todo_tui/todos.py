"""Todo operations, always scoped to one owner. Each is one SQL statement: one round trip.

Updates and deletes name the version the caller saw (`WHERE version = :seen`), so a change
made elsewhere is never silently overwritten: the caller gets `TodoConflict` with what the
database holds now, or `TodoNotFound`. Only that unhappy path costs a second round trip.

A todo's tags are part of it: every query reads them in the same statement (a subquery
per row, no query per todo), and a change of tags moves the todo's version like any edit.
On PostgreSQL the update and the tags are one statement (data-modifying CTEs); SQLite,
local, runs them as statements of one transaction.

Inserts carry a key the client made (`client_key`; a restore, the id it had), and add
nothing when a row with it exists (`ON CONFLICT DO NOTHING`): that row is the first
attempt, whose reply was lost, and is returned instead. So every write is safe to retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Session

from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.models import Tag, Todo, TodoChangeCounter, TodoTag
from todo_tui.records import TodoDraft, TodoRecord
from todo_tui.validation import tag_key

# What every query returns: the record's fields, by name (rows become records by name too).
RECORD_FIELDS = tuple(field.name for field in fields(TodoRecord))
TODO_FIELDS = tuple(name for name in RECORD_FIELDS if name != "tags")
TAG_SEPARATOR = ","  # no tag contains one (validation.TAG_FORBIDDEN)


class _TagsOfTodo(sa.sql.expression.ColumnElement):
    """The names of the tags of the row of `todo` at hand, joined by TAG_SEPARATOR: a
    subquery written out in full, since SQLite's RETURNING drops the table names that
    SQLAlchemy would otherwise write."""

    inherit_cache = True
    type = sa.Text()


def _tags_sql(aggregate: str) -> str:
    return (
        f"(SELECT {aggregate}(tag.name, '{TAG_SEPARATOR}') FROM todo_tag "
        "JOIN tag ON tag.id = todo_tag.tag_id WHERE todo_tag.todo_id = todo.id)"
    )


@compiles(_TagsOfTodo, "postgresql")
def _tags_postgresql(element, compiler, **kw) -> str:
    return _tags_sql("string_agg")


@compiles(_TagsOfTodo, "sqlite")
def _tags_sqlite(element, compiler, **kw) -> str:
    return _tags_sql("group_concat")


COLUMNS = (*(getattr(Todo, name) for name in TODO_FIELDS), _TagsOfTodo().label("tags"))


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
    if row is None:
        return None
    values = dict(row._mapping)
    names = values.pop("tags", None)
    tags = tuple(sorted(names.split(TAG_SEPARATOR), key=tag_key)) if names else ()
    return TodoRecord(**values, tags=tags)


def _draft(draft: TodoDraft | None, by_name: dict[str, str | None]) -> TodoDraft:
    if draft is not None and by_name:
        raise TypeError("pass a draft or its fields, not both")
    return TodoDraft(**by_name) if draft is None else draft


def get_todo(session: Session, *, owner_id: int, todo_id: int) -> TodoRecord | None:
    return _record(session.exec(sa.select(*COLUMNS).where(_owned(owner_id, todo_id))).first())


def list_todos(
    session: Session, *, owner_id: int, completed: bool | None = None
) -> list[TodoRecord]:
    """The owner's todos (only the done or the open ones, with `completed`), by id."""
    # The owner's links aggregated once and joined (a subquery per row costs twice as much
    # on 10,000 todos).
    tags = (
        sa.select(TodoTag.todo_id, sa.func.aggregate_strings(Tag.name, TAG_SEPARATOR).label("tags"))
        .join(Tag, Tag.id == TodoTag.tag_id)
        .where(Tag.user_id == owner_id)
        .group_by(TodoTag.todo_id)
        .subquery("todo_tags")
    )
    statement = (
        sa.select(*(getattr(Todo, name) for name in TODO_FIELDS), tags.c.tags)
        .outerjoin(tags, tags.c.todo_id == Todo.id)
        .where(Todo.user_id == owner_id)
        .order_by(Todo.id)
    )
    if completed is not None:
        statement = statement.where(Todo.is_completed == completed)
    return [_record(row) for row in session.exec(statement)]


def list_by_ids(session: Session, *, owner_id: int, todo_ids: Iterable[int]) -> list[TodoRecord]:
    """The caller's todos among `todo_ids` (the missing ones were deleted)."""
    statement = sa.select(*COLUMNS).where(Todo.user_id == owner_id, Todo.id.in_(list(todo_ids)))
    return [_record(row) for row in session.exec(statement)]


def get_by_client_key(session: Session, *, owner_id: int, client_key: str) -> TodoRecord | None:
    """The owner's todo added with `client_key`, if it reached the database."""
    statement = sa.select(*COLUMNS).where(Todo.user_id == owner_id, Todo.client_key == client_key)
    return _record(session.exec(statement).first())


def _insert_once(session: Session, values: dict, *, key: tuple[sa.Column, ...]):
    """INSERT … ON CONFLICT (key) DO NOTHING, in the dialect of the session's database."""
    return _insert(session)(Todo).values(values).on_conflict_do_nothing(index_elements=list(key))


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def list_tags(session: Session, *, owner_id: int) -> list[str]:
    """The owner's tag names, sorted case-insensitively: what the form completes from."""
    names = session.exec(sa.select(Tag.name).where(Tag.user_id == owner_id)).scalars()
    return sorted(names, key=tag_key)


def _write(
    session: Session, statement, *, owner_id: int, tags: tuple[str, ...] | None
) -> TodoRecord | None:
    """Run the INSERT or UPDATE `statement` of one todo and, when `tags` is given, make them
    that todo's tags (adding the owner's new ones) in the same transaction; commit. The todo
    as it is then, or None when the statement changed no row."""
    if tags is None:
        return _returning_one(session, statement)
    if session.get_bind().dialect.name == "postgresql":
        row = session.exec(_with_tags_postgres(statement, owner_id=owner_id, tags=tags)).first()
        session.commit()
        return _record(row)
    # SQLite: local, so statements of one transaction cost nothing on a network.
    written = session.exec(statement.returning(Todo.id)).first()
    if written is None:
        session.commit()
        return None
    (todo_id,) = written
    set_tags_sqlite(session, owner_id=owner_id, tags={todo_id: tags})
    record = get_todo(session, owner_id=owner_id, todo_id=todo_id)
    session.commit()
    return record


def set_tags_sqlite(session: Session, *, owner_id: int, tags: dict[int, tuple[str, ...]]) -> None:
    """Make `tags[todo_id]` the tags of each todo (adding the owner's new ones), without
    committing: SQLite's part of a write with tags."""
    session.exec(sa.delete(TodoTag).where(TodoTag.todo_id.in_(list(tags))))
    names = {name.lower(): name for names in tags.values() for name in names}
    if not names:
        return

    # Matched here, not by SQLite's lower(), which folds only ASCII letters.
    def owned() -> dict[str, int]:
        statement = sa.select(Tag.name, Tag.id).where(Tag.user_id == owner_id)
        return {name.lower(): tag_id for name, tag_id in session.exec(statement)}

    known = owned()
    if missing := [name for key, name in names.items() if key not in known]:
        rows = [{"user_id": owner_id, "name": name} for name in missing]
        session.exec(sqlite.insert(Tag).values(rows).on_conflict_do_nothing())
        known = owned()
    links = [
        {"todo_id": todo_id, "tag_id": known[name.lower()]}
        for todo_id, names_of_todo in tags.items()
        for name in names_of_todo
    ]
    session.exec(sa.insert(TodoTag).values(links))


def _with_tags_postgres(
    statement, *, owner_id: int, tags: tuple[str, ...] | dict[int, tuple[str, ...]]
):
    """One statement: the write, the owner's new tags, the links of the todos written
    replaced, and those todos as they are then with their tags. `tags`: the tags of the one
    row written, or by id those of each row written (a row left out of it keeps none). Its
    parts share one snapshot, so the links kept are told apart from the ones removed by what
    the statement itself knows."""
    changed = statement.returning(*(getattr(Todo, name) for name in TODO_FIELDS)).cte("changed")
    if isinstance(tags, dict):
        rows = [(todo_id, name) for todo_id, names in tags.items() for name in names]
    else:
        rows = [(None, name) for name in tags]
    if not rows:
        unlinked = (
            sa.delete(TodoTag)
            .where(TodoTag.todo_id.in_(sa.select(changed.c.id)))
            .returning(TodoTag.tag_id)
            .cte("unlinked")
        )
        return sa.select(
            *(changed.c[name] for name in TODO_FIELDS), sa.null().label("tags")
        ).add_cte(unlinked)
    named = sa.values(
        sa.column("todo_id", sa.Integer), sa.column("name", sa.String), name="named"
    ).data(rows)
    # Each tag of each row written (the id of the one row written, when no id was given).
    of_row = changed.c.id == named.c.todo_id if isinstance(tags, dict) else sa.true()
    wanted = (
        sa.select(changed.c.id.label("todo_id"), named.c.name)
        .select_from(changed.join(named, of_row))
        .cte("wanted")
    )
    added = (
        postgresql.insert(Tag)
        .from_select(["user_id", "name"], sa.select(sa.literal(owner_id), wanted.c.name))
        .on_conflict_do_nothing()
        .returning(Tag.id, Tag.name)
        .cte("added")
    )
    known = sa.select(Tag.id, Tag.name).where(
        Tag.user_id == owner_id,
        sa.func.lower(Tag.name).in_(sa.select(sa.func.lower(wanted.c.name))),
    )
    chosen = sa.union_all(sa.select(added.c.id, added.c.name), known).cte("chosen")
    pairs = (
        sa.select(wanted.c.todo_id, chosen.c.id.label("tag_id"), chosen.c.name)
        .select_from(
            wanted.join(chosen, sa.func.lower(chosen.c.name) == sa.func.lower(wanted.c.name))
        )
        .cte("pairs")
    )
    unlinked = (
        sa.delete(TodoTag)
        .where(
            TodoTag.todo_id.in_(sa.select(changed.c.id)),
            sa.tuple_(TodoTag.todo_id, TodoTag.tag_id).not_in(
                sa.select(pairs.c.todo_id, pairs.c.tag_id)
            ),
        )
        .returning(TodoTag.tag_id)
        .cte("unlinked")
    )
    linked = (
        postgresql.insert(TodoTag)
        .from_select(["todo_id", "tag_id"], sa.select(pairs.c.todo_id, pairs.c.tag_id))
        .on_conflict_do_nothing()
        .returning(TodoTag.tag_id)
        .cte("linked")
    )
    names = sa.select(sa.func.aggregate_strings(pairs.c.name, TAG_SEPARATOR)).where(
        pairs.c.todo_id == changed.c.id
    )
    return sa.select(
        *(changed.c[name] for name in TODO_FIELDS), names.scalar_subquery().label("tags")
    ).add_cte(unlinked, linked)


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
    # The defaults written out: a statement inside a CTE gets no Python-side defaults.
    values = {"is_completed": False, "version": 1, **_draft(draft, by_name).stored()}
    values["user_id"] = owner_id
    tags = values.pop("tags") or None  # none: the plain INSERT
    if client_key is None:
        added = _write(session, sa.insert(Todo).values(values), owner_id=owner_id, tags=tags)
        assert added is not None
        return added
    values["client_key"] = client_key
    statement = _insert_once(session, values, key=(Todo.user_id, Todo.client_key))
    if (added := _write(session, statement, owner_id=owner_id, tags=tags)) is not None:
        return added
    if (first := get_by_client_key(session, owner_id=owner_id, client_key=client_key)) is None:
        raise TodoNotFound()  # deleted elsewhere between the two statements
    return first


def _versioned_update(
    session: Session,
    *,
    owner_id: int,
    todo_id: int,
    version: int,
    values: dict,
    tags: tuple[str, ...] | None = None,
    also: dict | None = None,
) -> TodoRecord:
    """Update to `values` (and `tags`, when given) the todo as it was at `version`. `also`:
    more values, computed by the database, that a retry does not compare."""
    statement = (
        sa.update(Todo)
        .where(_owned(owner_id, todo_id), Todo.version == version)
        .values(
            **values, **(also or {}), version=next_version(Todo.version), updated_at=sa.func.now()
        )
    )
    if (updated := _write(session, statement, owner_id=owner_id, tags=tags)) is not None:
        return updated
    current = get_todo(session, owner_id=owner_id, todo_id=todo_id)
    if current is None:
        raise TodoNotFound()
    # The very change asked for, already made: a retry after a lost reply, or a twin edit.
    same_tags = tags is None or [t.lower() for t in current.tags] == [t.lower() for t in tags]
    if (
        current.version == next_version(version)
        and same_tags
        and all(getattr(current, name) == value for name, value in values.items())
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
    seen_tags: tuple[str, ...] | None = None,
    **by_name: str | None,
) -> TodoRecord:
    """Save `draft` (or its fields by name) over the todo as it was at `version`.

    `seen_tags`: the todo's tags at `version`, if the caller knows them. Tags are part of
    the version, so when the draft's are the same, the tags are left alone: a plain UPDATE.
    """
    values = _draft(draft, by_name).stored()
    tags = values.pop("tags")
    if seen_tags is not None and [t.lower() for t in seen_tags] == [t.lower() for t in tags]:
        tags = None
    return _versioned_update(
        session, owner_id=owner_id, todo_id=todo_id, version=version, values=values, tags=tags
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
        also={"completed_at": sa.func.now() if completed else None},
    )


def delete_todo(session: Session, *, owner_id: int, todo_id: int, version: int) -> TodoRecord:
    """Delete the todo as the caller saw it and return it (for undo).

    TodoNotFound: it is gone already. TodoConflict: it changed since; nothing deleted.
    """
    statement = sa.delete(Todo).where(_owned(owner_id, todo_id), Todo.version == version)
    if session.get_bind().dialect.name == "sqlite":
        # SQLite's RETURNING sees the links already cascaded away: read the tags first.
        before = get_todo(session, owner_id=owner_id, todo_id=todo_id)
        if (deleted := _returning_one(session, statement)) is not None:
            return replace(deleted, tags=before.tags)
    elif (deleted := _returning_one(session, statement)) is not None:
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
    values = {name: getattr(restored, name) for name in TODO_FIELDS} | {"user_id": owner_id}
    statement = _insert_once(session, values, key=(Todo.id,))
    tags = restored.tags or None
    if (added := _write(session, statement, owner_id=owner_id, tags=tags)) is not None:
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
