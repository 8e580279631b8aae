"""Revision 0006 (due dates, priorities, completion times, tags) on a populated database of
the previous release: every row and version kept, done todos' completed_at their
updated_at, the change counter's triggers still there (SQLite), the new CHECKs and unique
tag names enforced by the database itself, and the way back down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.test_upgrade_with_data import migrate, rows
from todo_tui.auth import hash_password
from todo_tui.db import Database
from todo_tui.schema import SchemaState, schema_status

TODO_COLUMNS = "id, title, description, is_completed, user_id, version, created_at, updated_at"


def populated_at_0004(database: Database) -> None:
    migrate(database, "0004")
    with database.engine.begin() as connection:
        connection.execute(
            sa.text('INSERT INTO "user" (id, email, hashed_password) VALUES (:id, :email, :h)'),
            [
                {"id": n, "email": f"user{n}@example.com", "h": hash_password("pw", rounds=4)}
                for n in (1, 2)
            ],
        )
        connection.execute(
            sa.text(
                "INSERT INTO todo (title, description, is_completed, user_id, version, "
                "updated_at, client_key) VALUES (:title, :d, :done, :owner, :version, "
                "'2026-11-20 10:00:00+00', :key)"
            ),
            [
                {
                    "title": f"Todo {i}",
                    "d": "notes" if i % 3 else None,
                    "done": i % 2 == 0,
                    "owner": 1 + i % 2,
                    "version": i,
                    "key": f"key-{i}" if i % 2 else None,
                }
                for i in range(1, 9)
            ],
        )
        connection.execute(sa.text("DELETE FROM todo WHERE title = 'Todo 5'"))


def run(database: Database, sql: str, **params) -> list[tuple]:
    with database.engine.begin() as connection:
        result = connection.execute(sa.text(sql), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def test_a_populated_0004_database_upgrades_with_every_row_and_back(databases) -> None:
    database = databases.empty()
    populated_at_0004(database)
    before = rows(database, "todo", TODO_COLUMNS)
    keys = rows(database, "todo", "id, client_key")
    assert len(before) == 7

    migrate(database, "head")
    assert schema_status(database).state is SchemaState.UP_TO_DATE
    assert rows(database, "todo", TODO_COLUMNS) == before
    assert rows(database, "todo", "id, client_key") == keys
    new = rows(database, "todo", "id, due_date, due_time, priority, is_completed")
    assert {(d, t, p) for _, d, t, p, _ in new} == {(None, None, 0)}
    # Done todos were completed when they were last changed; open ones are not completed.
    completed = dict(rows(database, "todo", "id, completed_at"))
    updated = dict(rows(database, "todo", "id, updated_at"))
    done = {todo_id for todo_id, *_, is_done in new if is_done}
    assert done and all(completed[i] == updated[i] for i in done)
    assert all(completed[i] is None for i in completed if i not in done)
    assert rows(database, "tag", "id") == [] and run(database, "SELECT * FROM todo_tag") == []

    migrate(database, "0004", down=True)
    assert schema_status(database).current == ("0004",)
    assert rows(database, "todo", TODO_COLUMNS) == before


def test_the_change_counter_still_moves_after_the_upgrade(databases) -> None:
    """On SQLite a table copy would have dropped 0004's triggers without a word."""
    database = databases.empty()
    populated_at_0004(database)
    migrate(database, "head")
    counter = "SELECT counter FROM todo_change_counter WHERE user_id = 2"
    [(start,)] = run(database, counter)
    run(database, "UPDATE todo SET priority = 2 WHERE title = 'Todo 1'")
    run(database, "INSERT INTO todo (title, user_id, due_date) VALUES ('New', 2, '2026-12-04')")
    run(database, "DELETE FROM todo WHERE title = 'Todo 3'")
    assert run(database, counter) == [(start + 3,)]
    # One statement of many rows moves the counter by the rows it changed, per owner.
    [(other,)] = run(database, "SELECT counter FROM todo_change_counter WHERE user_id = 1")
    run(
        database,
        "INSERT INTO todo (title, user_id) VALUES ('a', 2), ('b', 2), ('c', 2), ('d', 1)",
    )
    run(database, "UPDATE todo SET priority = 1 WHERE title IN ('a', 'b', 'd')")
    run(database, "DELETE FROM todo WHERE title IN ('a', 'b', 'c', 'd')")
    assert run(database, counter) == [(start + 3 + 3 + 2 + 3,)]
    assert run(database, "SELECT counter FROM todo_change_counter WHERE user_id = 1") == [
        (other + 3,)
    ]
    if database.dialect == "sqlite":
        triggers = run(database, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert sorted(triggers) == [
            ("todo_count_delete",),
            ("todo_count_insert",),
            ("todo_count_update",),
        ]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ("priority = 4", "ck_todo_priority_range"),
        ("priority = -1", "ck_todo_priority_range"),
        ("due_time = '09:00:00'", "ck_todo_due_time_needs_date"),
    ],
)
def test_the_database_refuses_what_the_checks_forbid(
    database: Database, values: str, constraint: str
) -> None:
    run(database, "INSERT INTO \"user\" (email, hashed_password) VALUES ('c@example.com', 'h')")
    run(database, "INSERT INTO todo (title, user_id) SELECT 'checked', id FROM \"user\"")
    with pytest.raises(sa.exc.IntegrityError) as caught:
        run(database, f"UPDATE todo SET {values}")
    assert constraint in str(caught.value.orig)
    assert run(database, "SELECT priority, due_time FROM todo") == [(0, None)]


def test_tag_names_are_unique_per_user_whatever_their_case(database: Database) -> None:
    run(
        database,
        "INSERT INTO \"user\" (email, hashed_password) VALUES ('a@example.com', 'h'), "
        "('b@example.com', 'h')",
    )
    [(ann,), (bob,)] = run(database, 'SELECT id FROM "user" ORDER BY id')
    run(database, "INSERT INTO tag (user_id, name) VALUES (:u, 'Home')", u=ann)
    run(database, "INSERT INTO tag (user_id, name) VALUES (:u, 'home')", u=bob)  # another user
    with pytest.raises(sa.exc.IntegrityError):
        run(database, "INSERT INTO tag (user_id, name) VALUES (:u, 'HOME')", u=ann)
    assert len(run(database, "SELECT id FROM tag")) == 2


def test_links_go_with_their_todo_their_tag_and_their_owner(database: Database) -> None:
    run(database, "INSERT INTO \"user\" (email, hashed_password) VALUES ('a@example.com', 'h')")
    [(ann,)] = run(database, 'SELECT id FROM "user"')
    run(database, "INSERT INTO todo (title, user_id) VALUES ('one', :u), ('two', :u)", u=ann)
    run(database, "INSERT INTO tag (user_id, name) VALUES (:u, 'a'), (:u, 'b')", u=ann)
    run(database, "INSERT INTO todo_tag (todo_id, tag_id) SELECT todo.id, tag.id FROM todo, tag")
    assert len(run(database, "SELECT * FROM todo_tag")) == 4
    run(database, "DELETE FROM todo WHERE title = 'one'")
    assert len(run(database, "SELECT * FROM todo_tag")) == 2
    run(database, "DELETE FROM tag WHERE name = 'a'")
    assert len(run(database, "SELECT * FROM todo_tag")) == 1
    run(database, 'DELETE FROM "user"')
    assert run(database, "SELECT count(*) FROM tag") == [(0,)]
    assert run(database, "SELECT count(*) FROM todo_tag") == [(0,)]


def test_tag_tables_have_the_names_of_the_specification(migrated_database: Database) -> None:
    if migrated_database.dialect == "sqlite":
        [(sql,)] = run(migrated_database, "SELECT sql FROM sqlite_master WHERE name = 'tag'")
        assert "CONSTRAINT ck_tag_name_length CHECK (length(name) <= 50)" in sql
        assert (
            "CONSTRAINT tag_user_id_fkey FOREIGN KEY(user_id) REFERENCES user (id) "
            "ON DELETE CASCADE" in sql
        )
        assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in sql
        [(index,)] = run(
            migrated_database,
            "SELECT sql FROM sqlite_master WHERE name = 'idx_tag_user_name_unique'",
        )
        assert index == "CREATE UNIQUE INDEX idx_tag_user_name_unique ON tag (user_id, lower(name))"
        return
    constraints = run(
        migrated_database,
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid IN ('tag'::regclass, 'todo_tag'::regclass) ORDER BY 1, 2",
    )
    assert constraints == [
        ("tag", "tag_pkey", "PRIMARY KEY (id)"),
        (
            "tag",
            "tag_user_id_fkey",
            'FOREIGN KEY (user_id) REFERENCES "user"(id) ON DELETE CASCADE',
        ),
        ("todo_tag", "todo_tag_pkey", "PRIMARY KEY (todo_id, tag_id)"),
        (
            "todo_tag",
            "todo_tag_tag_id_fkey",
            "FOREIGN KEY (tag_id) REFERENCES tag(id) ON DELETE CASCADE",
        ),
        (
            "todo_tag",
            "todo_tag_todo_id_fkey",
            "FOREIGN KEY (todo_id) REFERENCES todo(id) ON DELETE CASCADE",
        ),
    ]
    indexes = run(
        migrated_database,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('tag', 'todo_tag') "
        "ORDER BY 1",
    )
    assert indexes == [
        (
            "idx_tag_user_name_unique",
            "CREATE UNIQUE INDEX idx_tag_user_name_unique ON public.tag "
            "USING btree (user_id, lower((name)::text))",
        ),
        (
            "idx_todo_tag_tag_id",
            "CREATE INDEX idx_todo_tag_tag_id ON public.todo_tag USING btree (tag_id)",
        ),
        ("tag_pkey", "CREATE UNIQUE INDEX tag_pkey ON public.tag USING btree (id)"),
        (
            "todo_tag_pkey",
            "CREATE UNIQUE INDEX todo_tag_pkey ON public.todo_tag USING btree (todo_id, tag_id)",
        ),
    ]
    columns = run(
        migrated_database,
        "SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, "
        "column_default FROM information_schema.columns WHERE table_name IN ('tag', 'todo_tag') "
        "ORDER BY table_name, ordinal_position",
    )
    assert columns == [
        ("tag", "id", "integer", None, "NO", "nextval('tag_id_seq'::regclass)"),
        ("tag", "user_id", "integer", None, "NO", None),
        ("tag", "name", "character varying", 50, "NO", None),
        ("tag", "created_at", "timestamp with time zone", None, "NO", "now()"),
        ("todo_tag", "todo_id", "integer", None, "NO", None),
        ("todo_tag", "tag_id", "integer", None, "NO", None),
    ]
