"""Where a database stands against this todo-tui's migrations, and the upgrade to head.

The launch check of an up-to-date database is on the way to the login screen, so it needs
neither Alembic nor the models: `known_head` reads the head revision from the migration
files themselves (tests prove it equals Alembic's), and one SELECT of alembic_version
decides. Alembic and the models are imported only when the database is not up to date.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from todo_tui.db import Database
from todo_tui.errors import DatabaseFault, FaultKind

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The tables of todo_tui.models (a test proves it), without importing SQLModel here.
OUR_TABLES = frozenset({"user", "todo", "todo_change_counter"})
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
    message: str


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    head: str
    current: tuple[str, ...] = ()
    pending: tuple[Revision, ...] = ()
    # unversioned only: the revision the tables match (None: they match none) and why not
    adoptable: str | None = None
    differences: tuple[str, ...] = ()
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
                    "created without Alembic), and they match no revision, so todo-tui will not "
                    "change it."
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


def _revision_and_parents(path: Path) -> tuple[str, tuple[str, ...]] | None:
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in {"revision", "down_revision"}:
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
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
            if current is None:
                return _unstamped_status(connection, script, head)
            return _versioned_status(current, script, head)
    except DatabaseFault as fault:
        if head is None:
            head = (script or _script_directory(script_location)).get_current_head() or ""
        return SchemaStatus(SchemaState.UNREACHABLE, head, fault=fault)


def _stamped_revisions(connection: Connection) -> tuple[str, ...] | None:
    """The revisions in alembic_version, or None when there is no such table."""
    try:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
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
    return tuple(Revision(rev.revision, (rev.doc or "").strip()) for rev in revisions)


def _unstamped_status(connection: Connection, script: ScriptDirectory, head: str) -> SchemaStatus:
    tables = set(sa.inspect(connection).get_table_names()) & OUR_TABLES
    if not tables:
        return SchemaStatus(SchemaState.EMPTY, head, pending=_pending(script, head, ()))
    # A migration commits its tables and alembic_version together: one may have committed
    # since alembic_version was found missing. Look again before calling them unversioned.
    current = _stamped_revisions(connection)
    if current is not None:
        return _versioned_status(current, script, head)
    differences = _differences(connection)
    connection.rollback()
    if differences:
        return SchemaStatus(SchemaState.UNVERSIONED, head, differences=differences)
    return SchemaStatus(
        SchemaState.UNVERSIONED, head, adoptable=head, pending=_pending(script, head, (head,))
    )


def _differences(connection: Connection) -> tuple[str, ...]:
    """How the live tables differ from the models (the head revision), as short phrases."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from todo_tui.models import SQLModel

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": lambda name, type_, parents: type_ != "table" or name in OUR_TABLES,
        },
    )
    differences = [_describe(diff) for diff in compare_metadata(context, SQLModel.metadata)]
    if connection.dialect.name == "sqlite":
        differences += _missing_sqlite_checks(connection)
    return tuple(differences)


def _missing_sqlite_checks(connection: Connection) -> list[str]:
    """Alembic does not compare CHECK constraints; on SQLite they carry the length limits."""
    from todo_tui.models import SQLModel

    missing = []
    for table in SQLModel.metadata.sorted_tables:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
        ).scalar()
        for check in table.constraints:
            if sql and isinstance(check, sa.CheckConstraint) and check.name not in sql:
                missing.append(f"CHECK constraint {check.name} is missing")
    return missing


def _describe(diff) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return "; ".join(_describe(item) for item in diff)
    kind = diff[0]
    match kind:
        case "add_table":
            return f"table {diff[1].name} is missing"
        case "remove_table":
            return f"unexpected table {diff[1].name}"
        case "add_column":
            return f"column {diff[2]}.{diff[3].name} is missing"
        case "remove_column":
            return f"unexpected column {diff[2]}.{diff[3].name}"
        case "add_index" | "add_constraint":
            return f"index or constraint {diff[1].name} is missing"
        case "remove_index" | "remove_constraint":
            return f"unexpected index or constraint {diff[1].name}"
        case "add_fk":
            return f"foreign key {diff[1].name} is missing"
        case "remove_fk":
            return f"unexpected foreign key {diff[1].name}"
        case "modify_type":
            return f"column {diff[2]}.{diff[3]} has type {diff[5]}, expected {diff[6]}"
        case "modify_nullable":
            return f"column {diff[2]}.{diff[3]} differs in NULL-ability"
        case "modify_default":
            return f"column {diff[2]}.{diff[3]} has a different default"
        case _:
            return kind.replace("_", " ")


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

    With `adopt`, an unversioned database whose tables match a revision is stamped with it
    first. A failure leaves schema and version as they were. Returns the final status.
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    config = alembic_config(script_location)

    def on_version_apply(*, ctx, step, heads, run_args) -> None:
        # Adopting stamps a revision: nothing is applied, so nothing is reported.
        if progress is not None and step.is_upgrade and not step.is_stamp:
            revision = step.up_revision
            progress(Revision(revision.revision, (revision.doc or "").strip()))

    config.attributes["on_version_apply"] = on_version_apply
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        # Decided again under the lock: another client may have migrated meanwhile.
        if _stamped_revisions_in_transaction(connection) is None and _has_our_tables(connection):
            if not adopt or _differences(connection):
                raise DatabaseFault(
                    FaultKind.SCHEMA,
                    "The database has tables that no migration recorded; nothing was changed.",
                )
            command.stamp(config, ScriptDirectory.from_config(config).get_current_head())
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            # e.g. "Can't locate revision": the database is ahead of this todo-tui.
            raise DatabaseFault(FaultKind.SCHEMA, f"Cannot upgrade: {exc}.") from exc
    return schema_status(database, script_location=script_location)


def _stamped_revisions_in_transaction(connection: Connection) -> tuple[str, ...] | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return tuple(row[0] for row in rows)


def _has_our_tables(connection: Connection) -> bool:
    return bool(set(sa.inspect(connection).get_table_names()) & OUR_TABLES)
