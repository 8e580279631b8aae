"""schema_status in every state, what upgrade_to_head does (or refuses) from each, and the
progress it reports. Every state is checked to be read without writing anything.

Databases are built by migrating; the unversioned ones are built "the old way" here, with
create_all, as the seed's init_db() did.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.schema import (
    VERSION_TABLE,
    Revision,
    SchemaState,
    SchemaStatus,
    alembic_config,
    migration_connection,
    schema_status,
    upgrade_to_head,
)


def real_history() -> list[Revision]:
    """The shipped revisions, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [
        Revision(rev.revision, (rev.doc or "").strip())
        for rev in reversed(list(script.walk_revisions()))
    ]


REVISIONS = real_history()
HEAD = REVISIONS[-1].id
FIRST = Revision("0001", "create user and todo")
HARMLESS = (
    (
        "9002",
        "add note table",
        'op.create_table("note", sa.Column("id", sa.Integer(), primary_key=True))',
    ),
    ("9003", "index note ids", 'op.create_index("idx_note_id", "note", ["id"])'),
)


@pytest.fixture
def status(dump):
    """`status(database, **kwargs)`: schema_status, checked to have written nothing."""

    def read(database: Database, **kwargs) -> SchemaStatus:
        before = dump(database)
        result = schema_status(database, **kwargs)
        assert dump(database) == before
        return result

    return read


def tables(database: Database) -> set[str]:
    return set(sa.inspect(database.engine).get_table_names())


def version(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        result = sorted(
            row[0] for row in connection.exec_driver_sql(f"SELECT * FROM {VERSION_TABLE}")
        )
        connection.rollback()
    return result


def test_up_to_date(databases, status) -> None:
    result = status(databases.migrated())
    assert result == SchemaStatus(SchemaState.UP_TO_DATE, HEAD, (HEAD,))
    assert result.summary == f"The database is up to date (revision {HEAD})."


def test_upgrading_an_up_to_date_database_does_nothing(databases, dump) -> None:
    database = databases.migrated()
    before = dump(database)
    applied: list[Revision] = []
    assert upgrade_to_head(database, applied.append).state is SchemaState.UP_TO_DATE
    assert applied == []
    assert dump(database) == before


def test_empty(databases, status) -> None:
    database = databases.empty()
    result = status(database)
    assert result.state is SchemaState.EMPTY
    assert (result.head, result.current, result.pending) == (HEAD, (), tuple(REVISIONS))
    assert result.pending[0] == FIRST
    assert "no todo-tui tables yet" in result.summary
    assert f"{len(REVISIONS)} migration" in result.summary


def test_empty_beside_tables_of_another_application(databases, status) -> None:
    database = databases.empty()
    with database.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE other_app (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("INSERT INTO other_app (id) VALUES (7)")
    assert status(database).state is SchemaState.EMPTY
    assert upgrade_to_head(database).state is SchemaState.UP_TO_DATE
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id FROM other_app").all() == [(7,)]
        connection.rollback()


def test_behind_then_upgraded_in_order(databases, status, make_migrations) -> None:
    database = databases.migrated()
    newer = make_migrations(*HARMLESS)
    pending = (Revision("9002", "add note table"), Revision("9003", "index note ids"))

    result = status(database, script_location=newer)
    assert result == SchemaStatus(SchemaState.BEHIND, "9003", (HEAD,), pending)
    assert f"at revision {HEAD}" in result.summary
    assert "2 migrations" in result.summary and "reach 9003" in result.summary

    applied: list[Revision] = []
    final = upgrade_to_head(database, applied.append, script_location=newer)
    assert applied == list(pending)
    assert final == SchemaStatus(SchemaState.UP_TO_DATE, "9003", ("9003",))
    assert version(database) == ["9003"]
    assert "note" in tables(database)


@pytest.mark.parametrize("older", [rev.id for rev in REVISIONS[:-1]])
def test_behind_at_an_older_shipped_revision(databases, status, older: str) -> None:
    """A database a previous todo-tui migrated, with data in it."""
    database = databases.empty()
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, older)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO \"user\" (email, hashed_password) VALUES ('old@example.com', 'h')"
        )
        connection.exec_driver_sql(
            "INSERT INTO todo (title, user_id) SELECT 'old', id FROM \"user\""
        )
    newer = REVISIONS[[rev.id for rev in REVISIONS].index(older) + 1 :]

    result = status(database)
    assert result == SchemaStatus(SchemaState.BEHIND, HEAD, (older,), tuple(newer))

    applied: list[Revision] = []
    assert upgrade_to_head(database, applied.append).state is SchemaState.UP_TO_DATE
    assert applied == newer
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT title FROM todo").all() == [("old",)]
        connection.rollback()


def test_progress_reports_each_revision_once_in_order(databases, make_migrations) -> None:
    database = databases.empty()
    seen: list[Revision] = []
    final = upgrade_to_head(database, seen.append, script_location=make_migrations(*HARMLESS))
    assert seen == [
        *REVISIONS,
        Revision("9002", "add note table"),
        Revision("9003", "index note ids"),
    ]
    assert seen[0] == FIRST
    assert final.state is SchemaState.UP_TO_DATE
    assert version(database) == ["9003"]


def test_status_while_another_todo_tui_migrates(databases) -> None:
    """Another process's migration commits between status's first look (no version table)
    and its look at the tables: that is a versioned database, not an unversioned one.

    Deterministic: a second app instance migrates from inside the first one's
    before_cursor_execute hook, right after the version table query."""
    url = databases.new_url()
    database, other = Database(databases.settings(url)), Database(databases.settings(url))
    databases.databases += [database, other]
    seen: list[str] = []

    def migrate_meanwhile(connection, cursor, statement, *args) -> None:
        if seen and seen[-1] == "version table" and "migrated" not in seen:
            seen.append("migrated")
            upgrade_to_head(other)
        if f"FROM {VERSION_TABLE}" in statement:
            seen.append("version table")

    sa.event.listen(database.engine, "before_cursor_execute", migrate_meanwhile)
    result = schema_status(database)
    assert "migrated" in seen  # the race did happen
    assert result == SchemaStatus(SchemaState.UP_TO_DATE, HEAD, (HEAD,))


# ---------------------------------------------------------------------------------------
# Unversioned: tables made without Alembic.


def test_unversioned_made_from_the_models_is_not_adopted_without_its_triggers(
    databases, status, dump
) -> None:
    """create_all of the models makes the tables and indexes, never the migrations' triggers
    and functions: the change counter (0004, 0006) and, on PostgreSQL, NOTIFY (0003) would be
    dead. compare_metadata saw no difference; the catalog does, and says which."""
    database = databases.empty()
    SQLModel.metadata.create_all(database.engine)

    result = status(database)
    assert result.state is SchemaState.UNVERSIONED
    assert (result.adoptable, result.closest) == (None, HEAD)
    if database.dialect == "sqlite":
        missing = {f"trigger todo_count_{op} is missing" for op in ("insert", "update", "delete")}
    else:
        missing = {
            "trigger todo_notify_change is missing",
            *(f"trigger todo_count_{op} is missing" for op in ("insert", "update", "delete")),
            "function todo_count_change() is missing",
            "function todo_notify_change() is missing",
        }
    assert set(result.differences) == missing
    assert f"the closest is {HEAD}" in result.summary

    before = dump(database)
    for adopt in (False, True):
        with pytest.raises(DatabaseFault) as refused:
            upgrade_to_head(database, adopt=adopt)
        assert refused.value.kind is FaultKind.SCHEMA
        assert dump(database) == before


def test_unversioned_made_by_the_migrations_is_adoptable(databases, status, dump) -> None:
    """Migrated tables whose record was lost: exactly head's, adopted by a stamp alone."""
    database = databases.migrated()
    with database.engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {VERSION_TABLE}")

    result = status(database)
    assert result.state is SchemaState.UNVERSIONED
    assert (result.adoptable, result.differences, result.current) == (HEAD, (), ())
    assert f"They match revision {HEAD}, so it can be adopted" in result.summary

    before = dump(database)
    with pytest.raises(DatabaseFault) as refused:
        upgrade_to_head(database)  # not without adopt=True
    assert refused.value.kind is FaultKind.SCHEMA
    assert dump(database) == before

    applied: list[Revision] = []
    final = upgrade_to_head(database, applied.append, adopt=True)
    assert final == SchemaStatus(SchemaState.UP_TO_DATE, HEAD, (HEAD,))
    assert applied == []  # stamped, not re-created
    assert version(database) == [HEAD]
    after = dump(database)
    added = set(after["objects"]) - set(before["objects"])
    assert set(before["objects"]) <= set(after["objects"])
    assert added and all(VERSION_TABLE in " ".join(item[:3]) for item in added), added
    assert after["rows"]["user"] == before["rows"]["user"]


def seed_metadata() -> sa.MetaData:
    """The tables as quickstart-db-schema.md's sample models create them (create_all)."""
    metadata = sa.MetaData()
    sa.Table(
        "user",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(255), nullable=False, unique=True, index=True),
        sa.Column("hashed_password", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "todo",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String, nullable=True),
        sa.Column("is_completed", sa.Boolean, nullable=False),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    return metadata


def test_unversioned_made_the_seeds_way_is_not_adoptable(databases, status, dump) -> None:
    database = databases.empty()
    seed_metadata().create_all(database.engine)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            'INSERT INTO "user" (email, hashed_password, created_at, updated_at) '
            "VALUES ('old@example.com', 'h', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        )

    result = status(database)
    assert result.state is SchemaState.UNVERSIONED
    assert result.adoptable is None
    assert "they match no revision" in result.summary
    differences = "\n".join(result.differences)
    assert "index idx_user_email_unique is missing" in differences
    assert "unexpected index ix_user_email" in differences
    assert "unexpected index ix_todo_user_id" in differences
    assert "index idx_todo_user_id is missing" in differences
    assert "column todo.description: VARCHAR" in differences.replace("character varying", "VARCHAR")
    assert "column todo.is_completed: " in differences  # no default

    before = dump(database)
    for adopt in (False, True):
        with pytest.raises(DatabaseFault) as refused:
            upgrade_to_head(database, adopt=adopt)
        assert refused.value.kind is FaultKind.SCHEMA
        assert refused.value.sentence == (
            "The database has tables that no migration recorded; nothing was changed."
        )
        assert dump(database) == before
    assert VERSION_TABLE not in tables(database)


def _models_but(change) -> sa.MetaData:
    """The models' tables with one thing changed."""
    metadata = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        copy = table.to_metadata(metadata)
        for check in copy.constraints:
            if isinstance(check, sa.CheckConstraint):
                check.ddl_if(dialect="sqlite")  # as in the models; to_metadata loses it
    change(metadata.tables)
    return metadata


def _no_cascade(tables) -> None:
    for foreign_key in tables["todo"].foreign_key_constraints:
        foreign_key.ondelete = None


def _email_not_unique(tables) -> None:
    for index in tables["user"].indexes:
        index.unique = False


NEAR_MISSES = {  # the change, and (SQLite, PostgreSQL) what the difference says
    "no ON DELETE CASCADE": (
        _no_cascade,
        "ON DELETE NO ACTION MATCH NONE, expected ON UPDATE NO ACTION ON DELETE CASCADE",
        'todo_user_id_fkey: FOREIGN KEY(user_id)REFERENCES "user"(id), expected FOREIGN',
    ),
    "email index not unique": (
        _email_not_unique,
        "index idx_user_email_unique: (email) origin=c, expected UNIQUE (email) origin=c",
        "index idx_user_email_unique: CREATE INDEX",
    ),
    "description NOT NULL": (
        lambda tables: setattr(tables["todo"].c.description, "nullable", False),
        "column todo.description: TEXT NOT NULL, expected TEXT NULL",
        "column todo.description: text NOT NULL, expected text NULL",
    ),
    "no default on updated_at": (
        lambda tables: setattr(tables["user"].c.updated_at, "server_default", None),
        "column user.updated_at: DATETIME NOT NULL, expected DATETIME NOT NULL DEFAULT",
        "column user.updated_at: timestamp with time zone NOT NULL, expected",
    ),
    "title too long": (
        lambda tables: setattr(tables["todo"].c.title, "type", sa.String(250)),
        "column todo.title: VARCHAR(250) NOT NULL, expected VARCHAR(200) NOT NULL",
        "column todo.title: character varying(250) NOT NULL, expected character varying(200)",
    ),
}


@pytest.mark.parametrize("near_miss", NEAR_MISSES)
def test_unversioned_with_one_difference_is_not_adoptable(
    databases, status, dump, near_miss: str
) -> None:
    change, *says = NEAR_MISSES[near_miss]
    database = databases.empty()
    difference = says[database.dialect == "postgresql"]
    _models_but(change).create_all(database.engine)
    result = status(database)
    assert result.state is SchemaState.UNVERSIONED
    assert result.adoptable is None
    assert any(difference in item for item in result.differences), result.differences
    before = dump(database)
    with pytest.raises(DatabaseFault):
        upgrade_to_head(database, adopt=True)
    assert dump(database) == before


def test_an_adopted_database_enforces_lengths(databases) -> None:
    from tests.test_adoption import first_revision_metadata

    database = databases.empty()
    first_revision_metadata().create_all(database.engine)
    assert upgrade_to_head(database, adopt=True).state is SchemaState.UP_TO_DATE
    with pytest.raises(sa.exc.DBAPIError), database.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO \"user\" (email, hashed_password) VALUES (:email, 'h')"),
            {"email": "x" * 256},
        )


# ---------------------------------------------------------------------------------------
# Ahead: a newer todo-tui migrated it.


@pytest.mark.parametrize("how", ["replaced", "added"])
def test_ahead(databases, status, dump, how: str) -> None:
    database = databases.migrated()
    with database.engine.begin() as connection:
        if how == "replaced":
            connection.exec_driver_sql(f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
        else:
            connection.exec_driver_sql(f"INSERT INTO {VERSION_TABLE} VALUES ('9999')")
    expected_current = ("9999",) if how == "replaced" else (HEAD, "9999")

    result = status(database)
    assert result == SchemaStatus(SchemaState.AHEAD, HEAD, expected_current)
    assert "upgraded by a newer todo-tui" in result.summary
    assert "9999" in result.summary

    before = dump(database)
    with pytest.raises(DatabaseFault) as refused:
        upgrade_to_head(database)
    assert refused.value.kind is FaultKind.SCHEMA
    assert "9999" in refused.value.sentence
    assert dump(database) == before


# ---------------------------------------------------------------------------------------
# Unreachable: a fault sentence, not an exception.


def unreachable_urls(dialect: str, databases, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """name: (url, what the sentence must say)"""
    if dialect == "postgresql":
        server = sa.make_url(databases.new_url())
        missing = server.set(database="todo_tui_test_no_such_database")
        return {
            "nothing listening": (
                "postgresql://postgres:s3cr3t-pw@127.0.0.1:1/x",
                "Cannot reach the database at 127.0.0.1",
            ),
            "no such database": (
                missing.render_as_string(hide_password=False),
                "does not exist on the server",
            ),
        }
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not an SQLite database file " * 100)
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    return {
        "not a database": (f"sqlite:///{garbage}", "is not a usable SQLite database"),
        "a directory": (f"sqlite:///{folder}", "Cannot open the SQLite file"),
    }


def test_unreachable(dialect: str, databases, tmp_path: Path) -> None:
    for name, (url, says) in unreachable_urls(dialect, databases, tmp_path).items():
        database = Database(load_settings(database_url=url, environ={}))
        try:
            result = schema_status(database)
            assert result.state is SchemaState.UNREACHABLE, name
            assert result.head == HEAD
            assert result.fault is not None and result.fault.kind is FaultKind.UNREACHABLE
            assert says in result.fault.sentence, name
            assert result.summary == result.fault.sentence
            assert "s3cr3t-pw" not in result.summary
            with pytest.raises(DatabaseFault) as caught:
                upgrade_to_head(database)
            assert caught.value.is_connection_problem, name
        finally:
            database.dispose()
    if dialect == "sqlite":
        assert garbage_unchanged(tmp_path)


def garbage_unchanged(tmp_path: Path) -> bool:
    return (tmp_path / "garbage.db").read_bytes() == b"this is not an SQLite database file " * 100


def test_sqlite_tables_without_the_length_checks_are_not_adoptable(tmp_path) -> None:
    """Alembic's comparison ignores CHECKs; on SQLite they are the length limits."""
    from todo_tui.config import load_settings
    from todo_tui.db import Database

    database = Database(load_settings(database_url=f"sqlite:///{tmp_path}/old.db", environ={}))
    try:
        bare = sa.MetaData()
        for table in SQLModel.metadata.sorted_tables:
            table.to_metadata(bare)
        for table in bare.sorted_tables:
            for check in [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]:
                table.constraints.remove(check)
        bare.create_all(database.engine)
        result = schema_status(database)
        assert result.state is SchemaState.UNVERSIONED
        assert result.adoptable is None
        assert "CHECK constraint todo.ck_todo_title_length is missing" in result.differences
    finally:
        database.dispose()
