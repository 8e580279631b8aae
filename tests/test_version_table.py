"""todo-tui's own version table, beside another application's `alembic_version`.

A database may be shared (Neon's default `neondb` often is): another application's
`alembic_version`, its tables, triggers and rows are never read as todo-tui's and never
changed. A database made by an earlier todo-tui (its revision in `alembic_version`) is
recognised only when its tables are exactly what that revision builds; the upgrade moves
the row to `todo_tui_alembic_version` in its own transaction, data kept.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from todo_tui.db import Database
from todo_tui.faults import DatabaseFault
from todo_tui.schema import (
    LEGACY_VERSION_TABLE,
    VERSION_TABLE,
    SchemaState,
    alembic_config,
    migration_connection,
    schema_status,
    upgrade_to_head,
)

SCRIPT = ScriptDirectory.from_config(alembic_config())
HISTORY = [rev.revision for rev in reversed(list(SCRIPT.walk_revisions()))]
HEAD = HISTORY[-1]
FOREIGN_REVISION = "f00dfeed1234"


def run_sql(database: Database, *statements: str) -> None:
    with database.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


def add_other_application(database: Database, *revisions: str) -> None:
    """Another Alembic-managed application: its table with rows and a trigger, and its
    alembic_version holding `revisions` (none: it has no alembic_version)."""
    run_sql(
        database,
        "CREATE TABLE other_things (id INTEGER PRIMARY KEY, label VARCHAR(50) NOT NULL)",
        "INSERT INTO other_things (id, label) VALUES (1, 'kept'), (2, 'also kept')",
    )
    if database.dialect == "postgresql":
        run_sql(
            database,
            "CREATE FUNCTION other_touch() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN NEW.label := upper(NEW.label); RETURN NEW; END $$",
            "CREATE TRIGGER other_touch BEFORE INSERT ON other_things "
            "FOR EACH ROW EXECUTE FUNCTION other_touch()",
        )
    else:
        run_sql(
            database,
            "CREATE TRIGGER other_touch AFTER INSERT ON other_things BEGIN "
            "UPDATE other_things SET label = upper(label) WHERE id = NEW.id; END",
        )
    if revisions:
        make_alembic_version(database, *revisions)


def make_alembic_version(database: Database, *revisions: str) -> None:
    """alembic_version exactly as Alembic creates it."""
    run_sql(
        database,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
        *(f"INSERT INTO alembic_version (version_num) VALUES ('{rev}')" for rev in revisions),
    )


def foreign(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The other application's part of a dump: its objects and rows, byte for byte."""

    def theirs(name: object) -> bool:
        text = str(name)
        return text.startswith(("other_", "alembic_version")) or text in {
            "sqlite_autoindex_alembic_version_1",
            "sqlite_autoindex_other_things_1",
        }

    objects = [item for item in snapshot["objects"] if any(theirs(f) for f in item[:3])]
    rows = {name: rows for name, rows in snapshot["rows"].items() if theirs(name)}
    return {"objects": objects, "rows": rows}


def migrate_to(database: Database, revision: str) -> None:
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_legacy(database: Database, revision: str) -> None:
    """A database an earlier todo-tui migrated to `revision`, with users and todos: the same
    tables, its revision in alembic_version."""
    migrate_to(database, revision)
    run_sql(
        database,
        "INSERT INTO \"user\" (email, hashed_password) VALUES ('ann@example.com', 'h')",
        "INSERT INTO todo (title, user_id) SELECT 'Water the plants', id FROM \"user\"",
        f"DROP TABLE {VERSION_TABLE}",
    )
    make_alembic_version(database, revision)


def table_names(database: Database) -> set[str]:
    return set(sa.inspect(database.engine).get_table_names())


def versions(database: Database, table: str) -> list[str]:
    with database.engine.connect() as connection:
        found = sorted(row[0] for row in connection.exec_driver_sql(f"SELECT * FROM {table}"))
        connection.rollback()
    return found


# ---------------------------------------------------------------------------------------
# Another application's alembic_version: never ours, never changed.


@pytest.mark.parametrize(
    "their_revision",
    [FOREIGN_REVISION, "0001", "0003", HEAD],
    ids=["foreign-id", "foreign-0001", "foreign-0003", "foreign-head-id"],
)
def test_another_applications_alembic_version_is_not_ours(
    databases, dump, their_revision: str
) -> None:
    """A foreign revision once made todo-tui refuse ("a newer todo-tui"), a foreign 0001 made
    it upgrade from 0001 and fail, a foreign head made it say "up to date" with no tables.
    Now each is an empty database for todo-tui; creating its tables leaves theirs as it was."""
    database = databases.empty()
    add_other_application(database, their_revision)
    before = dump(database)

    status = schema_status(database)
    assert status.state is SchemaState.EMPTY, status
    assert status.current == ()
    assert [rev.id for rev in status.pending] == HISTORY
    assert dump(database) == before

    assert upgrade_to_head(database).state is SchemaState.UP_TO_DATE
    after = dump(database)
    assert foreign(after) == foreign(before)
    assert foreign(before)["rows"]["alembic_version"] == [(their_revision,)]
    assert versions(database, VERSION_TABLE) == [HEAD]
    assert {"user", "todo", VERSION_TABLE, "other_things", "alembic_version"} <= table_names(
        database
    )


def test_only_another_applications_tables_is_empty(databases, dump) -> None:
    database = databases.empty()
    add_other_application(database)  # no alembic_version at all
    before = dump(database)
    assert schema_status(database).state is SchemaState.EMPTY
    upgrade_to_head(database)
    assert foreign(dump(database)) == foreign(before)


# ---------------------------------------------------------------------------------------
# A database an earlier todo-tui made: its revision in alembic_version.


@pytest.mark.parametrize("revision", ["0001", "0003", HEAD])
def test_legacy_database_is_behind_and_its_record_is_moved(databases, dump, revision) -> None:
    """0003: where every database made before todo-tui had its own version table stands."""
    database = databases.empty()
    make_legacy(database, revision)
    before = dump(database)

    status = schema_status(database)
    assert status.state is SchemaState.BEHIND
    assert status.legacy and status.current == (revision,)
    assert [rev.id for rev in status.pending] == HISTORY[HISTORY.index(revision) + 1 :]
    assert status.can_upgrade
    assert f"recorded the old way in the table {LEGACY_VERSION_TABLE}" in status.summary
    assert f"moves that record to todo-tui's own table, {VERSION_TABLE}" in status.summary
    assert dump(database) == before  # the check wrote nothing

    applied = []
    final = upgrade_to_head(database, applied.append)
    assert final.state is SchemaState.UP_TO_DATE and not final.legacy
    assert [rev.id for rev in applied] == [rev.id for rev in status.pending]
    assert versions(database, VERSION_TABLE) == [HEAD]
    assert LEGACY_VERSION_TABLE not in table_names(database)  # nothing else was in it
    after = dump(database)
    for table in ("user", "todo"):  # every row kept (todo gains 0002's version column)
        assert [row[:2] for row in after["rows"][table]] == [
            row[:2] for row in before["rows"][table]
        ]
    assert len(after["rows"]["todo"]) == 1


def test_legacy_row_beside_another_applications_rows(databases, dump) -> None:
    """One alembic_version holding todo-tui's revision and another application's: only ours
    moves, the table stays with theirs, their tables are untouched."""
    database = databases.empty()
    make_legacy(database, "0001")
    add_other_application(database)
    run_sql(database, f"INSERT INTO alembic_version (version_num) VALUES ('{FOREIGN_REVISION}')")
    before = dump(database)

    status = schema_status(database)
    assert (status.state, status.legacy, status.current) == (SchemaState.BEHIND, True, ("0001",))

    upgrade_to_head(database)
    assert versions(database, VERSION_TABLE) == [HEAD]
    assert versions(database, LEGACY_VERSION_TABLE) == [FOREIGN_REVISION]
    after, earlier = foreign(dump(database)), foreign(before)
    assert after["objects"] == earlier["objects"]
    assert after["rows"]["other_things"] == earlier["rows"]["other_things"]
    assert after["rows"]["alembic_version"] == [(FOREIGN_REVISION,)]


def test_legacy_revision_whose_tables_do_not_match_is_not_ours(databases, dump) -> None:
    """todo-tui's revision id in alembic_version is not enough: the tables must be exactly
    that revision's. Otherwise nothing is moved, adopted or changed."""
    database = databases.empty()
    make_legacy(database, HEAD)
    run_sql(database, "DROP INDEX idx_todo_user_id")
    before = dump(database)

    status = schema_status(database)
    assert status.state is SchemaState.UNVERSIONED
    assert status.adoptable is None and not status.legacy
    assert "index idx_todo_user_id is missing" in status.differences
    for adopt in (False, True):
        with pytest.raises(DatabaseFault):
            upgrade_to_head(database, adopt=adopt)
        assert dump(database) == before


def test_move_is_undone_with_a_failing_migration(databases, dump, make_migrations) -> None:
    """Moving the record is part of the upgrade's transaction: a later failure undoes it."""
    database = databases.empty()
    make_legacy(database, HEAD)
    before = dump(database)
    broken = make_migrations(("9002", "broken", 'op.execute("THIS IS NOT SQL")'))
    with pytest.raises(DatabaseFault):
        upgrade_to_head(database, script_location=broken)
    assert dump(database) == before
    assert versions(database, LEGACY_VERSION_TABLE) == [HEAD]


def test_db_status_and_upgrade_of_a_legacy_database(databases, capsys) -> None:
    from todo_tui.cli import EXIT_NEEDS_UPGRADE, EXIT_OK, main

    database = databases.empty()
    make_legacy(database, "0001")
    url = database.settings.database.url
    assert main(["--database-url", url, "db", "status"]) == EXIT_NEEDS_UPGRADE
    out = capsys.readouterr().out
    assert f"recorded the old way in the table {LEGACY_VERSION_TABLE}" in out
    assert "  pending 0002: " in out
    assert main(["--database-url", url, "db", "upgrade"]) == EXIT_OK
    assert f"The database is up to date (revision {HEAD})." in capsys.readouterr().out
    assert versions(database, VERSION_TABLE) == [HEAD]


@pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
def test_a_user_who_may_not_create_a_schema(databases, monkeypatch) -> None:
    """The reference needs a scratch schema. A user without CREATE on the database still
    gets a legacy database recognised (by its revision and its tables' names) and an
    unversioned one refused with a sentence saying why, never a traceback."""
    import uuid

    from todo_tui import catalog

    monkeypatch.setattr(catalog, "_CACHE", {})  # as in a process of this user's own

    role = f"todo_tui_test_{uuid.uuid4().hex[:8]}"
    legacy, unversioned = databases.empty(), databases.empty()
    make_legacy(legacy, "0001")
    migrate_to(unversioned, HEAD)
    run_sql(unversioned, f"DROP TABLE {VERSION_TABLE}")
    grants = (
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
    )
    run_sql(legacy, f"CREATE ROLE {role} LOGIN", *grants)
    run_sql(unversioned, *grants)
    limited: list[Database] = []
    try:
        for database in (legacy, unversioned):
            url = sa.make_url(database.settings.database.url).set(username=role, password=None)
            limited.append(Database(databases.settings(url.render_as_string(hide_password=False))))
        status = schema_status(limited[0])
        assert (status.state, status.legacy, status.current) == (
            SchemaState.BEHIND,
            True,
            ("0001",),
        )
        status = schema_status(limited[1])
        assert status.state is SchemaState.UNVERSIONED and status.adoptable is None
        assert status.differences == (
            "todo-tui could not compare the tables with its migrations: the database user "
            "may not create a schema (it needs CREATE on the database).",
        )
    finally:
        for database in limited:
            database.dispose()
        for database in (legacy, unversioned):
            run_sql(database, f"DROP OWNED BY {role}")
        run_sql(legacy, f"DROP ROLE {role}")
