"""Populated databases of earlier releases upgraded with every row kept: one at 0001 through
the launch screen's offer and back down to 0001; one at 0003 (the previous release, with
edited and deleted todos) to head and back down to 0003; one at 0004 (the release before
login sessions, with client keys and change counters) to 0005 and back down to 0004."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from tests.pilot import log_in, make_app, screen_name, settle
from todo_tui.auth import hash_password
from todo_tui.db import Database
from todo_tui.schema import SchemaState, alembic_config, migration_connection, schema_status
from todo_tui.widgets.todo_table import TodoTable

PASSWORD = "correct horse"
TODOS = [("Water the plants", "Twice a week", False), ("File taxes", None, True)]


def migrate(database: Database, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with migration_connection(database) as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def rows(database: Database, table: str, columns: str) -> list[tuple]:
    with database.engine.connect() as connection:
        result = connection.exec_driver_sql(f'SELECT {columns} FROM "{table}" ORDER BY id')
        return [tuple(row) for row in result]


USER_COLUMNS = "id, email, hashed_password, created_at, updated_at"
TODO_COLUMNS = "id, title, description, is_completed, user_id, created_at, updated_at"


async def test_0001_with_data_upgrades_through_the_launch_screen_and_back(databases, tmp_path):
    database = databases.empty()
    migrate(database, "0001")
    with database.engine.begin() as connection:
        for n, email in enumerate(["ann@example.com", "bob@example.com"], start=1):
            connection.execute(
                sa.text('INSERT INTO "user" (id, email, hashed_password) VALUES (:n, :e, :h)'),
                {"n": n, "e": email, "h": hash_password(PASSWORD, rounds=4)},
            )
            for title, description, done in TODOS:
                connection.execute(
                    sa.text(
                        "INSERT INTO todo (title, description, is_completed, user_id) "
                        "VALUES (:title, :description, :done, :user_id)"
                    ),
                    {
                        "title": f"{title} ({n})",
                        "description": description,
                        "done": done,
                        "user_id": n,
                    },
                )
    users, todos = rows(database, "user", USER_COLUMNS), rows(database, "todo", TODO_COLUMNS)
    assert len(todos) == 4

    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "SchemaDialog"
        assert [r.id for r in app.screen.status.pending] == ["0002", "0003", "0004", "0005", "0006"]
        await pilot.press("enter")  # Upgrade
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        await log_in(pilot, "ann@example.com", PASSWORD)
        shown = app.screen.query_one(TodoTable).all_todos
        assert sorted((t.title, t.is_completed, t.version) for t in shown) == [
            ("File taxes (1)", True, 1),
            ("Water the plants (1)", False, 1),
        ]

    assert schema_status(database).state is SchemaState.UP_TO_DATE
    assert rows(database, "user", USER_COLUMNS) == users
    assert rows(database, "todo", TODO_COLUMNS) == todos
    assert {version for (version,) in rows(database, "todo", "version")} == {1}

    migrate(database, "0001", down=True)
    assert schema_status(database).current == ("0001",)
    assert rows(database, "user", USER_COLUMNS) == users
    assert rows(database, "todo", TODO_COLUMNS) == todos


async def test_0003_with_data_upgrades_to_head_and_back(databases) -> None:
    """What the previous release wrote (versions moved by edits, ids freed by deletes) keeps
    every row and version; every owner gets a change counter that the triggers then move."""
    database = databases.empty()
    migrate(database, "0003")
    with database.engine.begin() as connection:
        run = connection.exec_driver_sql
        for n in (1, 2):
            run(
                'INSERT INTO "user" (id, email, hashed_password) VALUES (?, ?, ?)'
                if database.dialect == "sqlite"
                else 'INSERT INTO "user" (id, email, hashed_password) VALUES (%s, %s, %s)',
                (n, f"user{n}@example.com", hash_password(PASSWORD, rounds=4)),
            )
        connection.execute(
            sa.text(
                "INSERT INTO todo (title, description, is_completed, user_id, version) "
                "VALUES (:title, NULL, :done, :owner, :version)"
            ),
            [
                {"title": f"Todo {i}", "done": i % 2 == 0, "owner": 1 + i % 2, "version": i}
                for i in range(1, 7)
            ],
        )
        run("DELETE FROM todo WHERE title = 'Todo 3'")
    users, todos = rows(database, "user", USER_COLUMNS), rows(database, "todo", TODO_COLUMNS)
    versions = rows(database, "todo", "id, version")

    migrate(database, "head")
    assert schema_status(database).state is SchemaState.UP_TO_DATE
    assert rows(database, "user", USER_COLUMNS) == users
    assert rows(database, "todo", TODO_COLUMNS) == todos
    assert rows(database, "todo", "id, version, client_key") == [(i, v, None) for i, v in versions]
    # 0006: done todos were completed when last changed; no dates, priorities or tags yet.
    for done, completed, updated in rows(
        database, "todo", "is_completed, completed_at, updated_at"
    ):
        assert completed == (updated if done else None)
    assert {r for r in rows(database, "todo", "due_date, due_time, priority")} == {(None, None, 0)}
    counters = "SELECT user_id, counter FROM todo_change_counter ORDER BY user_id"
    with database.engine.begin() as connection:
        # 0006 gave owner 1's three done todos their completed_at: three changes.
        assert [tuple(r) for r in connection.exec_driver_sql(counters)] == [(1, 3), (2, 0)]
        connection.exec_driver_sql("UPDATE todo SET version = version + 1 WHERE title = 'Todo 1'")
        connection.exec_driver_sql("DELETE FROM todo WHERE title = 'Todo 4'")
        assert [tuple(r) for r in connection.exec_driver_sql(counters)] == [(1, 4), (2, 1)]

    migrate(database, "0003", down=True)
    assert schema_status(database).current == ("0003",)
    assert rows(database, "user", USER_COLUMNS) == users
    assert len(rows(database, "todo", TODO_COLUMNS)) == len(todos) - 1


async def test_0004_with_data_upgrades_to_0005_and_back(databases) -> None:
    """Every account, todo, client key and change counter of 0004 is kept by 0005, which
    only adds the empty login_session table; a session then works, and going back down
    drops the sessions alone."""
    database = databases.empty()
    migrate(database, "0004")
    with database.engine.begin() as connection:
        for n in (1, 2):
            connection.execute(
                sa.text('INSERT INTO "user" (id, email, hashed_password) VALUES (:n, :e, :h)'),
                {"n": n, "e": f"user{n}@example.com", "h": hash_password(PASSWORD, rounds=4)},
            )
        connection.execute(
            sa.text(
                "INSERT INTO todo (title, is_completed, user_id, version, client_key) "
                "VALUES (:title, :done, :owner, :version, :key)"
            ),
            [
                {
                    "title": f"Todo {i}",
                    "done": i % 2 == 0,
                    "owner": 1 + i % 2,
                    "version": i,
                    "key": f"key-{i}" if i % 3 else None,
                }
                for i in range(1, 7)
            ],
        )
        connection.exec_driver_sql("DELETE FROM todo WHERE title = 'Todo 5'")
    users, todos = rows(database, "user", USER_COLUMNS), rows(database, "todo", TODO_COLUMNS)
    extra = rows(database, "todo", "id, version, client_key")
    counters = "SELECT user_id, counter FROM todo_change_counter ORDER BY user_id"
    with database.engine.connect() as connection:
        counted = [tuple(r) for r in connection.exec_driver_sql(counters)]
    assert counted == [(1, 3), (2, 4)]  # inserts and the delete, moved by 0004's triggers

    migrate(database, "0005")
    assert schema_status(database).current == ("0005",)
    assert rows(database, "user", USER_COLUMNS) == users
    assert rows(database, "todo", TODO_COLUMNS) == todos
    assert rows(database, "todo", "id, version, client_key") == extra
    with database.engine.connect() as connection:
        assert [tuple(r) for r in connection.exec_driver_sql(counters)] == counted
    assert rows(database, "login_session", "id") == []

    from todo_tui import sessions
    from todo_tui.records import UserRecord

    owner = UserRecord(id=1, email="user1@example.com")
    started = database.run(lambda s: sessions.create(s, user=owner, label="laptop"))
    assert database.run(lambda s: sessions.resume(s, token=started.token)).user.id == 1

    migrate(database, "0004", down=True)
    assert schema_status(database).current == ("0004",)
    assert rows(database, "user", USER_COLUMNS) == users
    assert rows(database, "todo", TODO_COLUMNS) == todos
    assert rows(database, "todo", "id, version, client_key") == extra
