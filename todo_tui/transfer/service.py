"""The database side of import and export, scoped to one owner.

An import is one transaction (on PostgreSQL too, whose connections otherwise autocommit
each statement), all or nothing, in batches: a multi-row INSERT per
BATCH todos (ON CONFLICT DO NOTHING on the owner's client keys, so a second import of the
same file adds nothing and says so), the new tags in one INSERT per batch of names, their
ids in one SELECT, and the links in one INSERT per batch. A dry run reads only
which items were imported before.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from todo_tui.models import Tag, Todo, TodoTag
from todo_tui.todos import list_todos
from todo_tui.transfer.formats import export_text
from todo_tui.transfer.items import ImportItem, ImportPlan, Progress, Skipped

# 1,000 todos of 12 values: 12,000 parameters, within SQLite's 32,766; links have two.
BATCH = 1000
LINK_BATCH = 5000


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import added (or, in a dry run, would add), and what it left out and why."""

    format: str
    dry_run: bool
    added: tuple[ImportItem, ...]
    skipped: tuple[Skipped, ...]
    mapping: tuple[tuple[str, str], ...] = field(default=())

    @property
    def summary(self) -> str:
        verb = "Would add" if self.dry_run else "Added"
        counts = {}
        for skip in self.skipped:
            counts[skip.reason] = counts.get(skip.reason, 0) + 1
        skipped = "; ".join(f"{n} {reason}" for reason, n in counts.items())
        noun = "todo" if len(self.added) == 1 else "todos"
        return f"{verb} {len(self.added)} {noun}" + (f"; skipped {skipped}." if skipped else ".")


def export_todos(
    session: Session,
    *,
    owner_id: int,
    format: str = "json",
    group_by: str = "tag",
    zone: tzinfo | None = None,
) -> str:
    """The owner's todos, oldest first, in `format` (see transfer.export_text)."""
    todos = list_todos(session, owner_id=owner_id)
    return export_text(todos, format, group_by=group_by, zone=zone)


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _already_imported(
    session: Session, owner_id: int, items: Sequence[ImportItem]
) -> tuple[list[ImportItem], list[Skipped]]:
    """(the items not yet in the owner's list, the others as skipped): one SELECT a batch."""
    found: set[str] = set()
    for batch in _batches([item.key for item in items], BATCH):
        statement = sa.select(Todo.client_key).where(
            Todo.user_id == owner_id, Todo.client_key.in_(batch)
        )
        found.update(session.exec(statement).scalars())
    return _split(items, found)


def _not_in_the_list(
    session: Session, owner_id: int, items: list[ImportItem]
) -> tuple[list[ImportItem], list[Skipped]]:
    """(the items to import, the others as skipped): an item of a todo-tui export whose todo
    is in the owner's list, with its id and creation time (a backup imported back into the
    list it was made from), is there already. One SELECT a batch of such items."""
    origins = {item.origin for item in items if item.origin is not None}
    if not origins:
        return items, []
    found: set[tuple[int, datetime]] = set()
    for batch in _batches(sorted({todo_id for todo_id, _ in origins}), BATCH):
        statement = sa.select(Todo.id, Todo.created_at).where(
            Todo.user_id == owner_id, Todo.id.in_(batch)
        )
        found.update((todo_id, created) for todo_id, created in session.exec(statement))
    kept, present = [], []
    for item in items:
        if item.origin in found:
            present.append(Skipped(item.where, item.title, "already in this list"))
        else:
            kept.append(item)
    return kept, present


def _split(items: Iterable[ImportItem], present: set[str]):
    new, skipped = [], []
    for item in items:
        if item.key in present:
            skipped.append(Skipped(item.where, item.title, "imported before"))
        else:
            new.append(item)
    return new, skipped


def _row(item: ImportItem, owner_id: int, now: datetime) -> dict:
    created = item.created_at or now
    return {
        "user_id": owner_id,
        "client_key": item.key,
        "title": item.title,
        "description": item.description,
        "is_completed": item.done,
        "version": 1,
        "due_date": item.due_date,
        "due_time": item.due_time,
        "priority": item.priority,
        "created_at": created,
        "updated_at": item.updated_at or created,
        "completed_at": item.completed_at if item.done else None,
    }


def import_plan(
    session: Session,
    *,
    owner_id: int,
    plan: ImportPlan,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Add the plan's todos to the owner's list in one transaction (a dry run: only say
    what would be added). Items imported before are skipped, and said so. On any failure
    nothing is added (the transaction is rolled back) and the failure is raised."""
    # Within one file, the same key twice (the same task exported twice): the first counts.
    unique: dict[str, ImportItem] = {}
    repeated: list[Skipped] = []
    for item in plan.items:
        if item.key in unique:
            first = unique[item.key].where
            repeated.append(Skipped(item.where, item.title, f"the same as {first}"))
        else:
            unique[item.key] = item
    if dry_run:
        items, present = _not_in_the_list(session, owner_id, list(unique.values()))
        new, before = _already_imported(session, owner_id, items)
        session.rollback()
        skipped = (*plan.skipped, *repeated, *present, *before)
        return ImportResult(plan.format, True, tuple(new), skipped, plan.mapping)
    try:
        _begin(session)
        items, present = _not_in_the_list(session, owner_id, list(unique.values()))
        added = _write(session, owner_id, items, progress)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    skipped = [*plan.skipped, *repeated, *present]
    new = [item for item in items if item.key in added]
    before = [
        Skipped(item.where, item.title, "imported before")
        for item in items
        if item.key not in added
    ]
    return ImportResult(plan.format, False, tuple(new), (*skipped, *before), plan.mapping)


def _begin(session: Session) -> None:
    """Make the session's work one transaction: PostgreSQL connections here autocommit each
    statement (see db.py), and a SQLite writer takes its lock up front."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "READ COMMITTED"})
    else:
        session.connection(execution_options={"sqlite_begin_immediate": True})


def _write(
    session: Session, owner_id: int, items: list[ImportItem], progress: Progress | None
) -> dict[str, int]:
    """Insert the todos and their tags; the keys of the todos added, with their ids."""
    insert = _insert(session)
    now = datetime.now(UTC)
    added: dict[str, int] = {}
    total = len(items)
    if progress is not None:
        progress(0, total)
    connection = session.connection()
    # Executemany of one compiled statement: SQLAlchemy sends it as multi-row INSERTs of
    # BATCH rows each ("insertmanyvalues"); compiling a 1,000-row VALUES costs 50 times more.
    statement = (
        insert(Todo.__table__)
        .on_conflict_do_nothing(index_elements=[Todo.user_id, Todo.client_key])
        .returning(Todo.id, Todo.client_key)
        .execution_options(insertmanyvalues_page_size=BATCH)
    )
    done = 0
    for batch in _batches(items, BATCH):
        rows = connection.execute(statement, [_row(item, owner_id, now) for item in batch])
        added.update((key, todo_id) for todo_id, key in rows)
        done += len(batch)
        if progress is not None:
            progress(done, total)
    tagged = [item for item in items if item.tags and item.key in added]
    if tagged:
        _link_tags(session, owner_id, tagged, added)
    return added


def _link_tags(
    session: Session, owner_id: int, items: list[ImportItem], ids: dict[str, int]
) -> None:
    insert = _insert(session)
    names: dict[str, str] = {}  # lower-case -> the first spelling met
    for item in items:
        for tag in item.tags:
            names.setdefault(tag.lower(), tag)
    connection = session.connection()
    pages = {"insertmanyvalues_page_size": BATCH}
    connection.execute(
        insert(Tag.__table__).on_conflict_do_nothing().execution_options(**pages),
        [{"user_id": owner_id, "name": name} for name in names.values()],
    )
    # All the owner's tags, matched here: SQLite's lower() folds ASCII letters only.
    tag_ids: dict[str, int] = {}
    exact: dict[str, int] = {}
    for tag_id, name in connection.execute(
        sa.select(Tag.id, Tag.name).where(Tag.user_id == owner_id)
    ):
        tag_ids.setdefault(name.lower(), tag_id)
        exact[name] = tag_id
    tag_ids.update({lower: exact[name] for lower, name in names.items() if name in exact})
    links = {(ids[item.key], tag_ids[tag.lower()]) for item in items for tag in item.tags}
    connection.execute(
        sa.insert(TodoTag.__table__).execution_options(insertmanyvalues_page_size=LINK_BATCH),
        [{"todo_id": todo_id, "tag_id": tag_id} for todo_id, tag_id in sorted(links)],
    )
