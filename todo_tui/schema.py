"""Where a database stands against this todo-tui's migrations, and the upgrade to head.

The launch check of an up-to-date database is on the way to the login screen, so it needs
neither Alembic nor the models: `known_head` reads the head revision from the migration
files themselves (tests prove it equals Alembic's), and one SELECT of todo-tui's own
version table decides. Alembic and the models are imported only when the database is not up
to date.

todo-tui's version table is `todo_tui_alembic_version`, not Alembic's default
`alembic_version`: a database may be shared with other applications (Neon's default
`neondb` often is), and theirs is never read as ours nor changed. Databases made before
record todo-tui's revision in `alembic_version`; such a "legacy" database is recognised only
when the row is one of todo-tui's revisions AND todo-tui's tables are there exactly as that
revision builds them (todo_tui.catalog). It is then "behind", and the upgrade moves the row
over inside its transaction (dropping `alembic_version` only if nothing else is left in it).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The tables of todo_tui.models (a test proves it), without importing SQLModel here.
OUR_TABLES = frozenset({"user", "todo", "todo_change_counter", "login_session", "tag", "todo_tag"})
# Where todo-tui records its revision (migrations/env.py passes it to Alembic).
VERSION_TABLE = "todo_tui_alembic_version"
# Alembic's default, which todo-tui used before and other applications may use.
LEGACY_VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key shared by every todo-tui that migrates the same database.
MIGRATION_LOCK_KEY = 0x70D0_7E1
MIGRATION_TIME_LIMIT = 300  # seconds


class SchemaState(StrEnum):
    UP_TO_DATE = "up to date"
    BEHIND = "behind"
    EMPTY = "empty"
    UNVERSIONED = "unversioned"
    AHEAD = "ahead"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Revision:
    id: str
    message: str  # the docstring's first line, for developers and `todo-tui db`
    # What it changes, in words for users (the migration's `description`)
    description: str = field(default="", compare=False)


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    head: str
    current: tuple[str, ...] = ()
    pending: tuple[Revision, ...] = ()
    # unversioned only: the revision the tables match (None: they match none) and why not
    adoptable: str | None = None
    differences: tuple[str, ...] = ()
    closest: str | None = None  # unversioned, matching none: the revision it differs least from
    legacy: bool = False  # behind: todo-tui's revision is in alembic_version, to be moved
    fault: DatabaseFault | None = None

    @property
    def can_upgrade(self) -> bool:
        """Behind, empty, or unversioned with tables that match a revision (adopt first)."""
        return self.state in {SchemaState.BEHIND, SchemaState.EMPTY} or bool(
            self.state is SchemaState.UNVERSIONED and self.adoptable
        )

    @property
    def summary(self) -> str:
        """One or two sentences for `todo-tui db status` and the launch screen."""
        current = ", ".join(self.current) or "none"
        match self.state:
            case SchemaState.UP_TO_DATE:
                return f"The database is up to date (revision {self.head})."
            case SchemaState.BEHIND if self.legacy and not self.pending:
                return (
                    f"The database is at revision {current}, recorded the old way in the "
                    f"table {LEGACY_VERSION_TABLE} (which other applications may share); the "
                    f"upgrade moves that record to todo-tui's own table, {VERSION_TABLE}."
                )
            case SchemaState.BEHIND if self.legacy:
                return (
                    f"The database is at revision {current}, recorded the old way in the "
                    f"table {LEGACY_VERSION_TABLE} (which other applications may share); the "
                    f"upgrade moves that record to todo-tui's own table, {VERSION_TABLE}, "
                    f"and applies {_migrations(self.pending)} to reach {self.head}."
                )
            case SchemaState.BEHIND:
                return (
                    f"The database is at revision {current}; {_migrations(self.pending)} "
                    f"to apply to reach {self.head}."
                )
            case SchemaState.EMPTY:
                return (
                    f"The database has no todo-tui tables yet: {_migrations(self.pending)} "
                    "will create them."
                )
            case SchemaState.UNVERSIONED if self.adoptable:
                return (
                    "The database has todo-tui tables but no record of its migrations (it was "
                    f"created without Alembic). They match revision {self.adoptable}, so it can "
                    "be adopted and then upgraded."
                )
            case SchemaState.UNVERSIONED:
                return (
                    "The database has todo-tui tables but no record of its migrations (it was "
                    "created without Alembic), and they match no revision"
                    + (f" (the closest is {self.closest})" if self.closest else "")
                    + ", so todo-tui will not change it."
                )
            case SchemaState.AHEAD:
                return (
                    f"This database was upgraded by a newer todo-tui (revision {current}). "
                    "Update todo-tui to use it."
                )
            case _:
                return self.fault.sentence if self.fault else "The database cannot be reached."


def _migrations(pending: tuple[Revision, ...]) -> str:
    return "1 migration" if len(pending) == 1 else f"{len(pending)} migrations"


def migrations_dir() -> Path:
    # Installed: the migrations ship as todo_tui.migrations. A bare source checkout: ./migrations.
    spec = importlib.util.find_spec("todo_tui.migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(script_location: Path | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location or migrations_dir()))
    return config


def _script_directory(script_location: Path | None) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(script_location))


# The files Alembic reads as revisions (alembic.script.base: _only_source_rev_file).
_REVISION_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")


def known_head(script_location: Path | None = None) -> str | None:
    """The single head revision, read from the migration files without importing Alembic;
    None when it cannot be told that simply (no revisions, branches, a file it cannot read,
    compiled-only revisions): then ask Alembic."""
    versions = (script_location or migrations_dir()) / "versions"
    try:
        names = sorted(p.name for p in versions.iterdir() if p.is_file())
    except OSError:
        return None
    if any(name.endswith((".pyc", ".pyo")) for name in names):
        return None  # sourceless revisions: Alembic's rules, not ours
    revisions: dict[str, tuple[str, ...]] = {}
    for name in names:
        if not _REVISION_FILE.match(name):
            continue
        found = _revision_and_parents(versions / name)
        if found is None or found[0] in revisions:
            return None
        revisions[found[0]] = found[1]
    parents = {parent for down in revisions.values() for parent in down}
    if not parents <= revisions.keys():
        return None  # a revision names one that is not there
    heads = revisions.keys() - parents
    return next(iter(heads)) if len(heads) == 1 else None


# A revision file's own top-level `revision = "…"` and `down_revision = …` lines (annotated
# or not), found by a pattern: parsing the whole files cost each launch about 10 ms.
_REVISION_LINE = re.compile(
    r"^(revision|down_revision)[ \t]*(?::[^=\n]*)?=[ \t]*(.*?)[ \t]*$", re.MULTILINE
)


def _revision_and_parents(path: Path) -> tuple[str, tuple[str, ...]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None
    values: dict[str, object] = {}
    for name, value in _REVISION_LINE.findall(text):
        if name in values:
            return None  # assigned twice: Alembic's import decides which one counts
        try:
            values[name] = ast.literal_eval(value)
        except (SyntaxError, ValueError):
            return None  # computed, or spread over lines
    revision, down = values.get("revision"), values.get("down_revision", ...)
    if not isinstance(revision, str) or not revision or down is ...:
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    return None


def schema_status(database: Database, *, script_location: Path | None = None) -> SchemaStatus:
    """Classify the database; one round trip (one SELECT) when it is up to date. Writes nothing.

    Up to date, this loads neither Alembic nor the models (see `known_head`).
    """
    head = known_head(script_location)
    script: ScriptDirectory | None = None
    try:
        with database.faults(), database.engine.connect() as connection:
            current = _stamped_revisions(connection)
            if head is not None and current == (head,):
                return SchemaStatus(SchemaState.UP_TO_DATE, head, current)
            script = _script_directory(script_location)
            head = script.get_current_head() or ""
            if current is not None:
                return _versioned_status(current, script, head)
            if connection.dialect.name != "sqlite":
                # A real transaction, rolled back: the reference schema is built inside it.
                connection.execution_options(isolation_level="READ COMMITTED")
            try:
                return _unstamped_status(connection, script, head, script_location)
            finally:
                connection.rollback()
    except DatabaseFault as fault:
        if head is None:
            head = (script or _script_directory(script_location)).get_current_head() or ""
        return SchemaStatus(SchemaState.UNREACHABLE, head, fault=fault)


def _stamped_revisions(connection: Connection) -> tuple[str, ...] | None:
    """The revisions in todo-tui's version table, or None when there is no such table."""
    try:
        rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    except sa.exc.DBAPIError as exc:
        if not _is_missing_table(exc):
            raise
        connection.rollback()
        return None
    connection.rollback()  # nothing was written; ends SQLite's read transaction
    return tuple(sorted(row[0] for row in rows))


def _is_missing_table(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "pgcode", None)
    return code == "42P01" or "no such table" in str(exc.orig)


def _versioned_status(current: tuple[str, ...], script: ScriptDirectory, head: str) -> SchemaStatus:
    known = {rev.revision for rev in script.walk_revisions()}
    if any(rev not in known for rev in current):
        return SchemaStatus(SchemaState.AHEAD, head, current)
    if current == (head,):
        return SchemaStatus(SchemaState.UP_TO_DATE, head, current)
    pending = _pending(script, head, current)
    state = SchemaState.BEHIND if current else SchemaState.EMPTY
    return SchemaStatus(state, head, current, pending)


def _pending(script: ScriptDirectory, head: str, current: tuple[str, ...]) -> tuple[Revision, ...]:
    lower = current[0] if current else "base"
    revisions = reversed(list(script.iterate_revisions(head, lower)))
    return tuple(_revision(rev) for rev in revisions)


def _revision(script) -> Revision:
    """A revision's id, its docstring's first line, and the words a user reads: the module's
    `description`, else that first line."""
    message = (script.doc or "").strip()
    description = getattr(script.module, "description", None) or message
    return Revision(script.revision, message, description)


def _unstamped_status(
    connection: Connection, script: ScriptDirectory, head: str, script_location: Path | None
) -> SchemaStatus:
    """No version table of todo-tui's own: empty, a legacy database (todo-tui's revision in
    `alembic_version`), or tables made without migrations that may match a revision."""
    found = _match_tables(connection, script, script_location)
    # A migration commits its tables and version table together: one may have committed
    # since the version table was found missing. Look again before judging the tables.
    current = _stamped_revisions_in_transaction(connection)
    if current is not None:
        return _versioned_status(current, script, head)
    if found.legacy is not None:
        return SchemaStatus(
            SchemaState.BEHIND,
            head,
            (found.legacy,),
            _pending(script, head, (found.legacy,)),
            legacy=True,
        )
    if not found.has_tables:
        return SchemaStatus(SchemaState.EMPTY, head, pending=_pending(script, head, ()))
    if found.adoptable is None:
        return SchemaStatus(
            SchemaState.UNVERSIONED, head, differences=found.differences, closest=found.closest
        )
    return SchemaStatus(
        SchemaState.UNVERSIONED,
        head,
        adoptable=found.adoptable,
        pending=_pending(script, head, (found.adoptable,)),
    )


@dataclass(frozen=True)
class _TablesFound:
    has_tables: bool
    legacy: str | None = None  # todo-tui's revision in alembic_version, its tables matching it
    adoptable: str | None = None  # the newest revision the tables match exactly
    closest: str | None = None  # else the revision they differ least from,
    differences: tuple[str, ...] = ()  # and how


def _match_tables(
    connection: Connection, script: ScriptDirectory, script_location: Path | None
) -> _TablesFound:
    """Compare the live tables with what each revision builds (see todo_tui.catalog)."""
    from todo_tui import catalog

    legacy = _legacy_revisions(connection, {rev.revision for rev in script.walk_revisions()})
    has_tables = _has_our_tables(connection)
    if not has_tables:
        return _TablesFound(False)
    try:
        references = catalog.reference_catalogs(connection, script_location or migrations_dir())
    except catalog.ReferenceUnavailable as exc:
        if legacy:  # recognised by its revision and its tables' names alone
            return _TablesFound(True, legacy=legacy[-1])
        return _TablesFound(True, differences=(str(exc),))
    live = catalog.read_catalog(connection, references.values())
    ranked = []
    for revision, reference in reversed(references.items()):  # newest first
        differences = catalog.differences(live, reference)
        if not differences:
            if revision in legacy:
                return _TablesFound(True, legacy=revision)
            if not legacy:
                return _TablesFound(True, adoptable=revision)
        ranked.append((len(differences), revision, differences))
    matching = [revision for count, revision, _ in ranked if count == 0]
    if matching:  # a revision the tables match, but not the one alembic_version names
        return _TablesFound(True, adoptable=matching[0])
    _, closest, differences = min(ranked, key=lambda item: item[0])  # ties: the newest
    return _TablesFound(True, closest=closest, differences=differences)


def _legacy_revisions(connection: Connection, known: set[str]) -> list[str]:
    """todo-tui's revisions among the rows of `alembic_version` (other applications may
    keep theirs there too), oldest first; those rows are never read as anything else."""
    if not sa.inspect(connection).has_table(LEGACY_VERSION_TABLE):
        return []
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}").all()
    return sorted(row[0] for row in rows if row[0] in known)


@contextmanager
def migration_connection(database: Database) -> Iterator[Connection]:
    """One transaction that a second todo-tui migrating the same database waits for.

    PostgreSQL: pg_advisory_xact_lock (a session lock would not survive Neon's pooler).
    SQLite: BEGIN IMMEDIATE, with foreign keys off for the migration (a batch-mode table copy
    drops the old table, and with foreign keys on that would cascade-delete child rows),
    and `PRAGMA foreign_key_check` before the commit.
    """
    sqlite = database.dialect == "sqlite"
    with database.faults(), database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, or it is ignored
            connection = connection.execution_options(sqlite_begin_immediate=True)
        else:
            connection = connection.execution_options(isolation_level="READ COMMITTED")
        try:
            with connection.begin():
                if not sqlite:
                    # Waiting for another client's migration, or a slow DDL, is not a hang.
                    raw.answer_limit = MIGRATION_TIME_LIMIT + 5
                    connection.exec_driver_sql(
                        f"SET LOCAL statement_timeout = {MIGRATION_TIME_LIMIT * 1000}"
                    )
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise DatabaseFault(
                        FaultKind.SCHEMA, "The migration left rows that break a foreign key."
                    )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")
            else:
                vars(raw).pop("answer_limit", None)  # back to the engine's limit


def upgrade_to_head(
    database: Database,
    progress: Callable[[Revision], None] | None = None,
    *,
    adopt: bool = False,
    script_location: Path | None = None,
) -> SchemaStatus:
    """Apply every pending migration in one transaction, reporting each revision as applied.

    A legacy database (todo-tui's revision in `alembic_version`) has that revision moved to
    todo-tui's own version table first; with `adopt`, an unversioned database whose tables
    match a revision is stamped with it first. A failure leaves schema and version as they
    were. Returns the final status.
    """
    from alembic import command
    from alembic.util.exc import CommandError

    config = alembic_config(script_location)

    def on_version_apply(*, ctx, step, heads, run_args) -> None:
        # Adopting stamps a revision: nothing is applied, so nothing is reported.
        if progress is not None and step.is_upgrade and not step.is_stamp:
            progress(_revision(step.up_revision))

    config.attributes["on_version_apply"] = on_version_apply
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        # Decided again under the lock: another client may have migrated meanwhile.
        if _stamped_revisions_in_transaction(connection) is None:
            script = _script_directory(script_location)
            found = _match_tables(connection, script, script_location)
            if found.legacy is not None:
                command.stamp(config, found.legacy)
                _release_legacy_revision(connection, found.legacy)
            elif found.has_tables:
                if not adopt or found.adoptable is None:
                    raise DatabaseFault(
                        FaultKind.SCHEMA,
                        "The database has tables that no migration recorded; nothing was changed.",
                    )
                command.stamp(config, found.adoptable)
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            # e.g. "Can't locate revision": the database is ahead of this todo-tui.
            raise DatabaseFault(FaultKind.SCHEMA, f"Cannot upgrade: {exc}.") from exc
    return schema_status(database, script_location=script_location)


def _release_legacy_revision(connection: Connection, revision: str) -> None:
    """Take todo-tui's row out of `alembic_version`; drop the table if nothing else is left."""
    connection.execute(
        sa.text(f"DELETE FROM {LEGACY_VERSION_TABLE} WHERE version_num = :revision"),
        {"revision": revision},
    )
    if connection.exec_driver_sql(f"SELECT count(*) FROM {LEGACY_VERSION_TABLE}").scalar() == 0:
        connection.exec_driver_sql(f"DROP TABLE {LEGACY_VERSION_TABLE}")


def _stamped_revisions_in_transaction(connection: Connection) -> tuple[str, ...] | None:
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    return tuple(sorted(row[0] for row in rows))


def _has_our_tables(connection: Connection) -> bool:
    return bool(set(sa.inspect(connection).get_table_names()) & OUR_TABLES)


def backup_sqlite(database: Database, *, label: str, today: date | None = None) -> Path:
    """A consistent copy of the SQLite file (sqlite3's backup API) next to it, named with the
    date and `label` (the revision), readable by its owner only. Returns its path."""
    source = database.settings.database.sqlite_path
    assert source is not None, "only SQLite files are copied"
    stem = f"{source.stem}.backup-{(today or date.today()).isoformat()}-{label}"
    target = source.with_name(f"{stem}{source.suffix}")
    number = 1
    while True:
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            break
        except FileExistsError:
            number += 1
            target = source.with_name(f"{stem}-{number}{source.suffix}")
        except OSError as exc:
            raise DatabaseFault(
                FaultKind.UNEXPECTED,
                f"Cannot write a backup copy in {source.parent} ({exc.strerror}).",
            ) from exc
    try:
        with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
            original.backup(copy)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise DatabaseFault(
            FaultKind.UNEXPECTED, f"Cannot write the backup copy {target} ({exc})."
        ) from exc
    return target
