"""The schema the migrations build, read back from the database's own catalog.

PostgreSQL: information_schema and pg_catalog must show exactly the "Expected table
structures" of quickstart-db-schema.md after revision 0001, and those plus what later
revisions add (listed in ADDED_LATER) at head; nothing more. SQLite: the same names, with
CHECK constraints standing in for the varchar lengths SQLite ignores. Both: ON DELETE
CASCADE works through the ORM and through plain SQL, and downgrading removes it all.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from todo_tui.db import Database
from todo_tui.models import Todo, User
from todo_tui.schema import (
    SchemaState,
    alembic_config,
    migration_connection,
    schema_status,
    upgrade_to_head,
)

postgresql_only = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)
sqlite_only = pytest.mark.parametrize("dialect", ["sqlite"], indirect=True)
FIRST = "0001"  # the revision that builds the specification's tables


def migrate_to(database: Database, revision: str) -> None:
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.fixture(scope="module")
def first_revision_database(databases) -> Database:
    database = databases.empty()
    migrate_to(database, FIRST)
    return database


@pytest.fixture(params=[FIRST, "head"])
def at(request: pytest.FixtureRequest, databases) -> tuple[str, Database]:
    """(revision, a database migrated to exactly it): the catalog at 0001 and at head."""
    if request.param == FIRST:
        return FIRST, request.getfixturevalue("first_revision_database")
    return "head", request.getfixturevalue("migrated_database")


def rows(database: Database, sql: str, **params) -> list[tuple]:
    with database.engine.connect() as connection:
        result = [tuple(row) for row in connection.execute(sa.text(sql), params)]
        connection.rollback()
    return result


# ---------------------------------------------------------------------------------------
# PostgreSQL: the catalog, exactly.

PG_COLUMNS = {
    "user": [
        ("id", "integer", None, "NO", "nextval('user_id_seq'::regclass)"),
        ("email", "character varying", 255, "NO", None),
        ("hashed_password", "character varying", 255, "NO", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
        ("updated_at", "timestamp with time zone", None, "NO", "now()"),
    ],
    "todo": [
        ("id", "integer", None, "NO", "nextval('todo_id_seq'::regclass)"),
        ("title", "character varying", 200, "NO", None),
        ("description", "text", None, "YES", None),
        ("is_completed", "boolean", None, "NO", "false"),
        ("user_id", "integer", None, "NO", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
        ("updated_at", "timestamp with time zone", None, "NO", "now()"),
    ],
}

# Columns later revisions add to the specification's tables, appended in order at head.
PG_ADDED_LATER = {
    "user": [],
    "todo": [
        ("version", "integer", None, "NO", "1"),  # 0002: optimistic concurrency
        ("client_key", "character varying", 64, "YES", None),  # 0004: inserts safe to retry
        ("due_date", "date", None, "YES", None),  # 0006: due dates, priorities, done times
        ("due_time", "time without time zone", None, "YES", None),
        ("priority", "smallint", None, "NO", "0"),
        ("completed_at", "timestamp with time zone", None, "YES", None),
    ],
}

PG_INDEXES = {
    "user": {
        "user_pkey": 'CREATE UNIQUE INDEX user_pkey ON public."user" USING btree (id)',
        "idx_user_email_unique": (
            'CREATE UNIQUE INDEX idx_user_email_unique ON public."user" USING btree (email)'
        ),
    },
    "todo": {
        "todo_pkey": "CREATE UNIQUE INDEX todo_pkey ON public.todo USING btree (id)",
        "idx_todo_user_id": "CREATE INDEX idx_todo_user_id ON public.todo USING btree (user_id)",
    },
}
PG_INDEXES_ADDED_LATER = {
    "user": {},
    "todo": {
        "idx_todo_user_id_client_key_unique": (  # 0004
            "CREATE UNIQUE INDEX idx_todo_user_id_client_key_unique ON public.todo "
            "USING btree (user_id, client_key)"
        ),
        "idx_todo_user_id_due_date": (  # 0006
            "CREATE INDEX idx_todo_user_id_due_date ON public.todo USING btree (user_id, due_date)"
        ),
    },
}

PG_CONSTRAINTS = {
    "user": {("user_pkey", "p", "PRIMARY KEY (id)")},
    "todo": {
        ("todo_pkey", "p", "PRIMARY KEY (id)"),
        (
            "todo_user_id_fkey",
            "f",
            'FOREIGN KEY (user_id) REFERENCES "user"(id) ON DELETE CASCADE',
        ),
    },
}


PG_CONSTRAINTS_ADDED_LATER = {
    "user": set(),
    "todo": {  # 0006
        ("ck_todo_priority_range", "c", "CHECK (((priority >= 0) AND (priority <= 3)))"),
        (
            "ck_todo_due_time_needs_date",
            "c",
            "CHECK (((due_time IS NULL) OR (due_date IS NOT NULL)))",
        ),
    },
}


@postgresql_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_postgresql_columns_are_exactly_the_specification(at, table: str) -> None:
    revision, database = at
    columns = rows(
        database,
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :table "
        "ORDER BY ordinal_position",
        table=table,
    )
    later = PG_ADDED_LATER[table] if revision == "head" else []
    assert columns == PG_COLUMNS[table] + later


@postgresql_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_postgresql_ids_are_serial(at, table: str) -> None:
    _, database = at
    # serial: the sequence belongs to the column (dropped with it), not just a default.
    [(sequence,)] = rows(
        database,
        "SELECT pg_get_serial_sequence(quote_ident(:table), 'id')",
        table=table,
    )
    assert sequence == f"public.{table}_id_seq"


@postgresql_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_postgresql_indexes_are_exactly_the_specification(at, table: str) -> None:
    revision, database = at
    indexes = rows(
        database,
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' AND tablename = :table",
        table=table,
    )
    later = PG_INDEXES_ADDED_LATER[table] if revision == "head" else {}
    assert dict(indexes) == PG_INDEXES[table] | later


@postgresql_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_postgresql_constraints_are_exactly_the_specification(at, table: str) -> None:
    revision, database = at
    constraints = rows(
        database,
        "SELECT conname, contype::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(quote_ident(:table))",
        table=table,
    )
    expected = PG_CONSTRAINTS[table] | (
        PG_CONSTRAINTS_ADDED_LATER[table] if revision == "head" else set()
    )
    assert set(constraints) == expected
    assert len(constraints) == len(expected)


@postgresql_only
def test_postgresql_public_schema_holds_nothing_else(at) -> None:
    revision, database = at
    relations = rows(
        database,
        "SELECT relname, relkind::text FROM pg_class WHERE relnamespace = 'public'::regnamespace",
    )
    assert sorted(relations) == sorted(
        [
            ("todo_tui_alembic_version", "r"),
            ("todo_tui_alembic_version_pkc", "i"),
            ("user", "r"),
            ("user_pkey", "i"),
            ("user_id_seq", "S"),
            ("idx_user_email_unique", "i"),
            ("todo", "r"),
            ("todo_pkey", "i"),
            ("todo_id_seq", "S"),
            ("idx_todo_user_id", "i"),
        ]
        + (
            [
                ("idx_todo_user_id_client_key_unique", "i"),  # 0004
                ("todo_change_counter", "r"),
                ("todo_change_counter_pkey", "i"),
                ("login_session", "r"),  # 0005
                ("login_session_pkey", "i"),
                ("login_session_id_seq", "S"),
                ("idx_login_session_user_id", "i"),
                ("idx_login_session_token_hash_unique", "i"),
                ("idx_todo_user_id_due_date", "i"),  # 0006
                ("tag", "r"),
                ("tag_pkey", "i"),
                ("tag_id_seq", "S"),
                ("idx_tag_user_name_unique", "i"),
                ("todo_tag", "r"),
                ("todo_tag_pkey", "i"),
                ("idx_todo_tag_tag_id", "i"),
            ]
            if revision == "head"
            else []
        )
    )
    triggers = rows(
        database,
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid IN (to_regclass('\"user\"'), to_regclass('todo'))",
    )
    # 0003: NOTIFY on every change of a todo, for live updates between terminals.
    # 0004: the change counter that polling reads, moved once per statement since 0006.
    counters = [("todo_count_delete",), ("todo_count_insert",), ("todo_count_update",)]
    expected = [*counters, ("todo_notify_change",)] if revision == "head" else []
    assert sorted(triggers) == expected
    per_statement = rows(
        database,
        "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'todo_count_%' AND tgtype & 1 = 0 "
        "ORDER BY 1",
    )
    assert per_statement == (counters if revision == "head" else [])
    functions = rows(
        database,
        "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
    )
    assert functions == (
        [("todo_count_change",), ("todo_notify_change",)] if revision == "head" else []
    )


@postgresql_only
def test_postgresql_change_counter_table(migrated_database: Database) -> None:
    columns = rows(
        migrated_database,
        "SELECT column_name, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'todo_change_counter' ORDER BY ordinal_position",
    )
    assert columns == [("user_id", "integer", "NO", None), ("counter", "bigint", "NO", "0")]
    constraints = rows(
        migrated_database,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass('todo_change_counter') ORDER BY 1",
    )
    assert constraints == [
        ("todo_change_counter_pkey", "PRIMARY KEY (user_id)"),
        (
            "todo_change_counter_user_id_fkey",
            'FOREIGN KEY (user_id) REFERENCES "user"(id) ON DELETE CASCADE',
        ),
    ]


# ---------------------------------------------------------------------------------------
# SQLite: the same names, lengths enforced by CHECK constraints, and the pragmas.

SQLITE_COLUMNS = {
    # (cid, name, type, notnull, default, pk)
    "user": [
        (0, "id", "INTEGER", 1, None, 1),
        (1, "email", "VARCHAR(255)", 1, None, 0),
        (2, "hashed_password", "VARCHAR(255)", 1, None, 0),
        (3, "created_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
        (4, "updated_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
    ],
    "todo": [
        (0, "id", "INTEGER", 1, None, 1),
        (1, "title", "VARCHAR(200)", 1, None, 0),
        (2, "description", "TEXT", 0, None, 0),
        (3, "is_completed", "BOOLEAN", 1, "0", 0),
        (4, "user_id", "INTEGER", 1, None, 0),
        (5, "created_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
        (6, "updated_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
    ],
}

SQLITE_ADDED_LATER = {
    "user": [],
    "todo": [
        (7, "version", "INTEGER", 1, "1", 0),  # 0002
        (8, "client_key", "VARCHAR(64)", 0, None, 0),  # 0004
        (9, "due_date", "DATE", 0, None, 0),  # 0006
        (10, "due_time", "TIME", 0, None, 0),
        (11, "priority", "SMALLINT", 1, "0", 0),
        (12, "completed_at", "DATETIME", 0, None, 0),
    ],
}

SQLITE_INDEXES = {
    # name: (unique, origin, partial, columns)
    "user": {"idx_user_email_unique": (1, "c", 0, ["email"])},
    "todo": {"idx_todo_user_id": (0, "c", 0, ["user_id"])},
}
SQLITE_INDEXES_ADDED_LATER = {
    "user": {},
    "todo": {
        "idx_todo_user_id_client_key_unique": (1, "c", 0, ["user_id", "client_key"]),
        "idx_todo_user_id_due_date": (0, "c", 0, ["user_id", "due_date"]),
    },
}

SQLITE_NAMED_CONSTRAINTS = {
    "user": [
        "CONSTRAINT ck_user_email_length CHECK (length(email) <= 255)",
        "CONSTRAINT ck_user_hashed_password_length CHECK (length(hashed_password) <= 255)",
    ],
    "todo": [
        "CONSTRAINT todo_user_id_fkey FOREIGN KEY(user_id) REFERENCES user (id) ON DELETE CASCADE",
        "CONSTRAINT ck_todo_title_length CHECK (length(title) <= 200)",
    ],
}
SQLITE_NAMED_CONSTRAINTS_ADDED_LATER = {
    "user": [],
    "todo": [  # 0006, inline with their columns
        "CONSTRAINT ck_todo_due_time_needs_date CHECK (due_time IS NULL OR due_date IS NOT NULL)",
        "CONSTRAINT ck_todo_priority_range CHECK (priority BETWEEN 0 AND 3)",
    ],
}


@sqlite_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_sqlite_columns(at, table: str) -> None:
    revision, database = at
    later = SQLITE_ADDED_LATER[table] if revision == "head" else []
    assert rows(database, f'PRAGMA table_info("{table}")') == SQLITE_COLUMNS[table] + later


@sqlite_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_sqlite_indexes(at, table: str) -> None:
    revision, database = at
    indexes = {}
    for _seq, name, unique, origin, partial in rows(database, f'PRAGMA index_list("{table}")'):
        columns = [row[2] for row in rows(database, f'PRAGMA index_info("{name}")')]
        indexes[name] = (unique, origin, partial, columns)
    later = SQLITE_INDEXES_ADDED_LATER[table] if revision == "head" else {}
    assert indexes == SQLITE_INDEXES[table] | later


@sqlite_only
def test_sqlite_foreign_key(at) -> None:
    _, database = at
    assert rows(database, 'PRAGMA foreign_key_list("user")') == []
    assert rows(database, 'PRAGMA foreign_key_list("todo")') == [
        (0, 0, "user", "user_id", "id", "NO ACTION", "CASCADE", "NONE")
    ]


@sqlite_only
@pytest.mark.parametrize("table", ["user", "todo"])
def test_sqlite_named_constraints_and_autoincrement(at, table: str) -> None:
    revision, database = at
    [(sql,)] = rows(
        database,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table",
        table=table,
    )
    expected = SQLITE_NAMED_CONSTRAINTS[table] + (
        SQLITE_NAMED_CONSTRAINTS_ADDED_LATER[table] if revision == "head" else []
    )
    for constraint in expected:
        assert constraint in sql
    assert sql.count("CONSTRAINT") == len(expected)
    # Like PostgreSQL's sequences, ids of deleted rows are never handed out again.
    assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in sql


@sqlite_only
def test_sqlite_file_holds_nothing_else(at) -> None:
    revision, database = at
    objects = rows(database, "SELECT type, name FROM sqlite_master")
    assert sorted(objects) == sorted(
        [
            ("table", "todo_tui_alembic_version"),
            ("index", "sqlite_autoindex_todo_tui_alembic_version_1"),
            ("table", "user"),
            ("index", "idx_user_email_unique"),
            ("table", "todo"),
            ("index", "idx_todo_user_id"),
            ("table", "sqlite_sequence"),  # SQLite's own, for AUTOINCREMENT
        ]
        + (
            [
                ("index", "idx_todo_user_id_client_key_unique"),  # 0004
                ("table", "todo_change_counter"),
                ("trigger", "todo_count_insert"),
                ("trigger", "todo_count_update"),
                ("trigger", "todo_count_delete"),
                ("table", "login_session"),  # 0005
                ("index", "idx_login_session_user_id"),
                ("index", "idx_login_session_token_hash_unique"),
                ("index", "idx_todo_user_id_due_date"),  # 0006
                ("table", "tag"),
                ("index", "idx_tag_user_name_unique"),
                ("table", "todo_tag"),
                ("index", "sqlite_autoindex_todo_tag_1"),
                ("index", "idx_todo_tag_tag_id"),
            ]
            if revision == "head"
            else []
        )
    )


@sqlite_only
def test_sqlite_change_counter_table(migrated_database: Database) -> None:
    assert rows(migrated_database, 'PRAGMA table_info("todo_change_counter")') == [
        (0, "user_id", "INTEGER", 1, None, 1),
        (1, "counter", "BIGINT", 1, "0", 0),
    ]
    assert rows(migrated_database, 'PRAGMA foreign_key_list("todo_change_counter")') == [
        (0, 0, "user", "user_id", "id", "NO ACTION", "CASCADE", "NONE")
    ]


@postgresql_only
def test_postgresql_login_session_table(migrated_database: Database) -> None:
    columns = rows(
        migrated_database,
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = 'login_session' ORDER BY ordinal_position",
    )
    assert columns == [
        ("id", "integer", None, "NO", "nextval('login_session_id_seq'::regclass)"),
        ("user_id", "integer", None, "NO", None),
        ("token_hash", "character varying", 64, "NO", None),
        ("label", "character varying", 200, "NO", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
        ("last_used_at", "timestamp with time zone", None, "NO", "now()"),
        ("expires_at", "timestamp with time zone", None, "NO", None),
    ]
    constraints = rows(
        migrated_database,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass('login_session') ORDER BY 1",
    )
    assert constraints == [
        ("login_session_pkey", "PRIMARY KEY (id)"),
        (
            "login_session_user_id_fkey",
            'FOREIGN KEY (user_id) REFERENCES "user"(id) ON DELETE CASCADE',
        ),
    ]
    indexes = rows(
        migrated_database,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'login_session'",
    )
    assert dict(indexes) == {
        "login_session_pkey": (
            "CREATE UNIQUE INDEX login_session_pkey ON public.login_session USING btree (id)"
        ),
        "idx_login_session_user_id": (
            "CREATE INDEX idx_login_session_user_id ON public.login_session USING btree (user_id)"
        ),
        "idx_login_session_token_hash_unique": (
            "CREATE UNIQUE INDEX idx_login_session_token_hash_unique ON public.login_session "
            "USING btree (token_hash)"
        ),
    }


@sqlite_only
def test_sqlite_login_session_table(migrated_database: Database) -> None:
    assert rows(migrated_database, 'PRAGMA table_info("login_session")') == [
        (0, "id", "INTEGER", 1, None, 1),
        (1, "user_id", "INTEGER", 1, None, 0),
        (2, "token_hash", "VARCHAR(64)", 1, None, 0),
        (3, "label", "VARCHAR(200)", 1, None, 0),
        (4, "created_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
        (5, "last_used_at", "DATETIME", 1, "CURRENT_TIMESTAMP", 0),
        (6, "expires_at", "DATETIME", 1, None, 0),
    ]
    assert rows(migrated_database, 'PRAGMA foreign_key_list("login_session")') == [
        (0, 0, "user", "user_id", "id", "NO ACTION", "CASCADE", "NONE")
    ]
    [(sql,)] = rows(migrated_database, "SELECT sql FROM sqlite_master WHERE name = 'login_session'")
    for constraint in (
        "CONSTRAINT login_session_user_id_fkey FOREIGN KEY(user_id) REFERENCES user (id) "
        "ON DELETE CASCADE",
        "CONSTRAINT ck_login_session_token_hash_length CHECK (length(token_hash) <= 64)",
        "CONSTRAINT ck_login_session_label_length CHECK (length(label) <= 200)",
    ):
        assert constraint in sql
    assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in sql


def test_deleting_a_user_removes_their_login_sessions(database: Database) -> None:
    _fresh_connections(database)
    doomed = _user_with_todos(database, "doomed@example.com", 1)
    kept = _user_with_todos(database, "kept@example.com", 1)
    with database.engine.begin() as connection:
        for owner, digest in ((doomed, "a" * 64), (kept, "b" * 64)):
            connection.execute(
                sa.text(
                    "INSERT INTO login_session (user_id, token_hash, label, expires_at) "
                    "VALUES (:owner, :digest, 'laptop', CURRENT_TIMESTAMP)"
                ),
                {"owner": owner, "digest": digest},
            )
        connection.execute(sa.text('DELETE FROM "user" WHERE id = :id'), {"id": doomed})
    assert rows(database, "SELECT user_id FROM login_session") == [(kept,)]


def test_app_connections_are_configured_also_after_a_migration(databases) -> None:
    """SQLite: foreign keys on (else no cascade) and WAL. PostgreSQL: autocommit. A migration
    changes these on its connection (schema.migration_connection); the pool must get it back
    as it was."""
    database = databases.empty()
    upgrade_to_head(database)
    upgrade_to_head(database)  # nothing to do, but it takes the same path

    def check() -> None:
        with database.engine.connect() as connection:
            run = connection.exec_driver_sql
            if database.dialect == "sqlite":
                assert run("PRAGMA foreign_keys").scalar() == 1
                assert run("PRAGMA journal_mode").scalar() == "wal"
            else:
                assert connection.connection.driver_connection.autocommit is True
                assert run("SHOW application_name").scalar() == "todo-tui"
            connection.rollback()

    check()  # the pooled connection the migrations used
    database.engine.dispose()
    check()  # a new one


# ---------------------------------------------------------------------------------------
# Both: lengths, server defaults, cascades, downgrade.


@pytest.mark.parametrize(
    ("table", "column", "limit"),
    [("user", "email", 255), ("user", "hashed_password", 255), ("todo", "title", 200)],
)
def test_lengths_are_enforced_by_the_database(
    database: Database, table: str, column: str, limit: int
) -> None:
    """Raw SQL, past every Python check. SQLite counts characters like PostgreSQL does."""

    base = {"email": "a@example.com", "hashed_password": "h"}
    if table == "todo":
        base = {"user_id": _user_with_todos(database, "owner@example.com", 0)}

    def insert(values: dict[str, str]) -> None:
        names = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        with database.engine.begin() as connection:
            connection.execute(sa.text(f'INSERT INTO "{table}" ({names}) VALUES ({marks})'), values)

    with pytest.raises(sa.exc.DBAPIError) as caught:
        insert({**base, column: "é" * (limit + 1)})
    message = str(caught.value.orig)
    if database.dialect == "sqlite":
        assert f"CHECK constraint failed: ck_{table}_{column}_length" in message
    else:
        assert f"value too long for type character varying({limit})" in message
    assert rows(database, f'SELECT count(*) FROM "{table}" WHERE length({column}) > 1') == [(0,)]

    insert({**base, column: "é" * limit})
    assert rows(database, f'SELECT length({column}) FROM "{table}"') == [(limit,)]


def test_server_defaults_fill_a_plain_sql_insert(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO \"user\" (email, hashed_password) VALUES ('d@example.com', 'h')"
        )
        connection.exec_driver_sql(
            "INSERT INTO todo (title, user_id) SELECT 'plain', id FROM \"user\""
        )
    [(is_completed, description, created, updated)] = rows(
        database, "SELECT is_completed, description, created_at, updated_at FROM todo"
    )
    assert not is_completed and description is None
    assert created is not None and updated is not None
    with database.session() as session:
        todo = session.exec(sa.select(Todo)).scalar_one()
        user = session.get(User, todo.user_id)
    assert todo.is_completed is False
    assert todo.created_at.tzinfo is not None and user.created_at.tzinfo is not None


def _fresh_connections(database: Database) -> None:
    """Drop pooled connections: the next one is set up by the app alone, not by a migration
    (which turns SQLite's foreign keys off and on again itself)."""
    database.engine.dispose()


def _user_with_todos(database: Database, email: str, count: int) -> int:
    with database.session() as session:
        user = User(email=email, hashed_password="h")
        session.add(user)
        session.commit()
        session.add_all(Todo(title=f"{email} {n}", user_id=user.id) for n in range(count))
        session.commit()
        return user.id


@pytest.mark.parametrize("todos_loaded", [False, True], ids=["by-database", "by-session"])
def test_deleting_a_user_through_the_orm_removes_their_todos(
    database: Database, todos_loaded: bool
) -> None:
    _fresh_connections(database)
    doomed = _user_with_todos(database, "doomed@example.com", 3)
    kept = _user_with_todos(database, "kept@example.com", 2)
    with database.session() as session:
        user = session.get(User, doomed)
        if todos_loaded:
            assert len(user.todos) == 3
        session.delete(user)
        session.commit()
    assert rows(database, "SELECT user_id, count(*) FROM todo GROUP BY user_id") == [(kept, 2)]
    assert rows(database, 'SELECT id FROM "user"') == [(kept,)]


def test_deleting_a_user_with_plain_sql_removes_their_todos(database: Database) -> None:
    _fresh_connections(database)
    doomed = _user_with_todos(database, "doomed@example.com", 3)
    kept = _user_with_todos(database, "kept@example.com", 2)
    with database.engine.begin() as connection:
        connection.execute(sa.text('DELETE FROM "user" WHERE id = :id'), {"id": doomed})
    assert rows(database, "SELECT user_id, count(*) FROM todo GROUP BY user_id") == [(kept, 2)]


def test_a_todo_needs_an_existing_user(database: Database) -> None:
    _fresh_connections(database)
    with pytest.raises(sa.exc.IntegrityError), database.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO todo (title, user_id) VALUES ('orphan', 12345)")
    assert rows(database, "SELECT count(*) FROM todo") == [(0,)]


def test_downgrade_to_base_removes_everything(databases) -> None:
    database = databases.migrated()
    _user_with_todos(database, "a@example.com", 2)
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    if database.dialect == "sqlite":
        left = rows(database, "SELECT type, name FROM sqlite_master")
        assert sorted(left) == [
            ("index", "sqlite_autoindex_todo_tui_alembic_version_1"),
            ("table", "sqlite_sequence"),  # SQLite never drops it, but it is emptied
            ("table", "todo_tui_alembic_version"),
        ]
        assert rows(database, "SELECT * FROM sqlite_sequence") == []
    else:
        left = rows(
            database,
            "SELECT relname, relkind::text FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace",
        )
        assert sorted(left) == [
            ("todo_tui_alembic_version", "r"),
            ("todo_tui_alembic_version_pkc", "i"),
        ]
    assert rows(database, "SELECT * FROM todo_tui_alembic_version") == []
    assert schema_status(database).state is SchemaState.EMPTY
