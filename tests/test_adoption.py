"""Adopting tables made without migrations: the whole catalog is compared with what each
revision really builds (triggers and their functions, SQLite's AUTOINCREMENT and CHECKs,
indexes, foreign keys), and tables that match an older revision are adopted at it and
upgraded from there. Every case runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from tests.test_version_table import add_other_application, foreign, migrate_to, run_sql
from todo_tui import catalog
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault
from todo_tui.schema import (
    VERSION_TABLE,
    SchemaState,
    alembic_config,
    migrations_dir,
    schema_status,
    upgrade_to_head,
)

SCRIPT = ScriptDirectory.from_config(alembic_config())
HISTORY = [rev.revision for rev in reversed(list(SCRIPT.walk_revisions()))]
HEAD = HISTORY[-1]
postgresql_only = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
sqlite_only = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)


def models_copy(change=None, *, without: tuple[str, ...] = ()) -> sa.MetaData:
    """The models' tables for a create_all, less the columns named in `without`
    ("table.column"), with `change(tables)` applied."""
    metadata = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        copy = table.to_metadata(metadata)
        for check in copy.constraints:
            if isinstance(check, sa.CheckConstraint):
                check.ddl_if(dialect="sqlite")  # as in the models; to_metadata loses it
        for name in without:
            owner, column = name.split(".")
            if owner == table.name:
                copy._columns.remove(copy.c[column])
    if change is not None:
        change(metadata.tables)
    return metadata


# What 0002 and later added to the models: without it, a create_all makes 0001's tables.
LATER_THAN_FIRST = {
    "columns": (
        "todo.version",
        "todo.client_key",
        "todo.due_date",
        "todo.due_time",
        "todo.priority",
        "todo.completed_at",
    ),
    "indexes": ("idx_todo_user_id_client_key_unique", "idx_todo_user_id_due_date"),
    "checks": ("ck_todo_priority_range", "ck_todo_due_time_needs_date"),
    "tables": ("todo_change_counter", "login_session", "todo_tag", "tag"),
}


def first_revision_metadata() -> sa.MetaData:
    """The tables an older todo-tui's create_all made: exactly 0001's shape."""

    def drop_later(tables) -> None:
        for name in LATER_THAN_FIRST["indexes"]:
            index = next(i for i in tables["todo"].indexes if i.name == name)
            tables["todo"].indexes.remove(index)
        for name in LATER_THAN_FIRST["checks"]:
            check = next(c for c in tables["todo"].constraints if c.name == name)
            tables["todo"].constraints.remove(check)

    metadata = models_copy(drop_later, without=LATER_THAN_FIRST["columns"])
    for name in LATER_THAN_FIRST["tables"]:
        metadata.remove(metadata.tables[name])
    return metadata


def unstamp(database: Database) -> None:
    """Migrated tables, then the record of the migrations thrown away."""
    run_sql(database, f"DROP TABLE {VERSION_TABLE}")


def refused_unchanged(database: Database, dump) -> None:
    before = dump(database)
    for adopt in (False, True):
        with pytest.raises(DatabaseFault):
            upgrade_to_head(database, adopt=adopt)
        assert dump(database) == before


# A trigger of each dialect's head, as DROP TRIGGER needs it: 0003's NOTIFY on PostgreSQL,
# 0004's change counter on SQLite.
HEAD_TRIGGER = {
    "postgresql": ("todo_notify_change", "DROP TRIGGER todo_notify_change ON todo"),
    "sqlite": ("todo_count_update", "DROP TRIGGER todo_count_update"),
}


def test_tables_at_head_without_a_trigger_are_not_adopted(databases, dump) -> None:
    """compare_metadata never saw triggers: these were adopted at head, with live updates
    (PostgreSQL) or the change counter (SQLite) silently dead."""
    database = databases.migrated()
    unstamp(database)
    trigger, drop = HEAD_TRIGGER[database.dialect]
    run_sql(database, drop)

    status = schema_status(database)
    assert status.state is SchemaState.UNVERSIONED
    assert status.adoptable is None
    assert status.differences == (f"trigger {trigger} is missing",)
    assert f"(the closest is {HEAD})" in status.summary
    refused_unchanged(database, dump)


@sqlite_only
def test_a_changed_sqlite_trigger_is_not_adopted(databases, dump) -> None:
    database = databases.migrated()
    unstamp(database)
    run_sql(
        database,
        "DROP TRIGGER todo_count_delete",
        "CREATE TRIGGER todo_count_delete AFTER DELETE ON todo BEGIN SELECT 1; END",
    )
    status = schema_status(database)
    assert status.adoptable is None
    assert status.differences == (
        "trigger todo_count_delete differs from what the migrations create",
    )
    refused_unchanged(database, dump)


@postgresql_only
def test_a_changed_trigger_function_is_not_adopted(databases, dump) -> None:
    database = databases.migrated()
    unstamp(database)
    run_sql(
        database,
        "CREATE OR REPLACE FUNCTION todo_notify_change() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN NEW; END $$",
    )
    status = schema_status(database)
    assert status.adoptable is None
    assert "function todo_notify_change() differs from what the migrations create" in (
        status.differences
    )
    refused_unchanged(database, dump)


@sqlite_only
def test_sqlite_tables_without_autoincrement_are_not_adopted(databases, dump) -> None:
    """Without AUTOINCREMENT SQLite hands a deleted todo's id to the next one, so a stale edit
    of the deleted todo would land on a different one."""

    def plain_ids(tables) -> None:
        for table in tables.values():
            table.dialect_options["sqlite"]["autoincrement"] = False

    database = databases.empty()
    models_copy(plain_ids).create_all(database.engine)
    status = schema_status(database)
    assert status.state is SchemaState.UNVERSIONED
    assert status.adoptable is None
    assert "table todo: no AUTOINCREMENT, expected AUTOINCREMENT" in status.differences
    assert "table user: no AUTOINCREMENT, expected AUTOINCREMENT" in status.differences
    refused_unchanged(database, dump)


def test_tables_of_the_first_revision_are_adopted_at_it_and_upgraded(databases, dump) -> None:
    """A create_all of 0001's shape (no todo.version), with rows: adopted as 0001, then every
    later revision applied, every row kept."""
    database = databases.empty()
    first_revision_metadata().create_all(database.engine)
    run_sql(
        database,
        "INSERT INTO \"user\" (email, hashed_password) VALUES ('ann@example.com', 'h')",
        "INSERT INTO todo (title, user_id) SELECT 'Water the plants', id FROM \"user\"",
        "INSERT INTO todo (title, user_id) SELECT 'File taxes', id FROM \"user\"",
    )
    before = dump(database)

    status = schema_status(database)
    assert status.state is SchemaState.UNVERSIONED
    assert status.adoptable == "0001"
    assert [rev.id for rev in status.pending] == HISTORY[1:]
    assert "They match revision 0001" in status.summary

    applied = []
    final = upgrade_to_head(database, applied.append, adopt=True)
    assert final.state is SchemaState.UP_TO_DATE
    assert [rev.id for rev in applied] == HISTORY[1:]
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT title, version FROM todo ORDER BY id").all()
        connection.rollback()
    assert rows == [("Water the plants", 1), ("File taxes", 1)]
    assert dump(database)["rows"]["user"] == before["rows"]["user"]


def test_tables_migrated_to_an_older_revision_are_adopted_at_it(databases) -> None:
    database = databases.empty()
    migrate_to(database, "0001")
    unstamp(database)
    status = schema_status(database)
    assert (status.state, status.adoptable) == (SchemaState.UNVERSIONED, "0001")


def test_other_applications_tables_do_not_block_adoption(databases, dump) -> None:
    database = databases.migrated()
    unstamp(database)
    add_other_application(database, "f00dfeed1234")
    before = dump(database)

    status = schema_status(database)
    assert status.state is SchemaState.UNVERSIONED and status.adoptable is not None
    assert status.differences == ()
    assert upgrade_to_head(database, adopt=True).state is SchemaState.UP_TO_DATE
    assert foreign(dump(database)) == foreign(before)


def test_an_extra_index_on_our_table_is_a_difference(databases, dump) -> None:
    database = databases.migrated()
    unstamp(database)
    run_sql(database, "CREATE INDEX ix_todo_title ON todo (title)")
    status = schema_status(database)
    assert status.adoptable is None
    assert "unexpected index ix_todo_title" in status.differences
    refused_unchanged(database, dump)


def test_a_missing_table_is_said_once(databases) -> None:
    database = databases.empty()
    models_copy().tables["user"].create(database.engine)
    status = schema_status(database)
    assert status.adoptable is None
    assert "table todo is missing" in status.differences
    assert not any(d.startswith("column todo.") for d in status.differences), status.differences


def test_the_reference_is_what_the_migrations_build(databases) -> None:
    """The reference for head equals the catalog of a database migrated to head: nothing in
    it is kept by hand, and the scratch schema (PostgreSQL) leaves nothing behind."""
    database = databases.migrated()
    with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            connection.execution_options(isolation_level="READ COMMITTED")
        references = catalog.reference_catalogs(connection, migrations_dir())
        assert list(references) == HISTORY
        live = catalog.read_catalog(connection, references.values())
        assert catalog.differences(live, references[HEAD]) == ()
        kinds = {kind for kind, _ in references[HEAD]}
        assert {"table", "column", "index"} <= kinds
        if database.dialect == "postgresql":
            assert {"trigger", "function", "sequence", "constraint"} <= kinds
            leftovers = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'todo_tui_reference_%%'"
            ).scalar()
            assert leftovers == 0
        else:
            assert {"CHECK constraint", "foreign key"} <= kinds
        connection.rollback()


@postgresql_only
def test_the_connection_goes_back_to_autocommit_after_comparing(databases) -> None:
    """The comparison runs in a transaction of its own; the pool gets its connection back
    as the app uses it (autocommit: one round trip per action)."""
    database = databases.migrated()
    unstamp(database)
    assert schema_status(database).adoptable == HEAD
    with database.engine.connect() as connection:
        assert connection.connection.driver_connection.autocommit is True
        assert connection.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'
        connection.rollback()
