"""The benchmark's databases: on a loopback PostgreSQL server (created and dropped by the
run) and in SQLite files, migrated and seeded with one user's todos."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from benchmarks.report import log

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
EMAIL = "bench@example.com"
PASSWORD = "benchmark password"


class Postgres:
    """Creates benchmark databases on a loopback server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        from todo_tui.config import load_settings

        self.admin_url = load_settings(database_url=admin_url, environ={}).database.url
        host = sa.make_url(self.admin_url).host or ""
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit(f"benchmarks talk to 127.0.0.1 only, not {host}")
        self.engine = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        self.created: list[str] = []

    def version(self) -> str:
        with self.engine.connect() as connection:
            return connection.exec_driver_sql("SHOW server_version").scalar_one()

    def new_database(self) -> str:
        name = f"todo_tui_bench_{uuid.uuid4().hex[:10]}"
        with self.engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return sa.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with self.engine.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.engine.dispose()


def migrate(url: str) -> None:
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.schema import upgrade_to_head

    database = Database(load_settings(database_url=url, environ={}))
    try:
        upgrade_to_head(database)
    finally:
        database.dispose()


def seed(url: str, size: int) -> int:
    """One user with `size` todos (a third done, some with descriptions); the user's id."""
    import bcrypt

    engine = sa.create_engine(url)
    user = sa.table("user", sa.column("id"), sa.column("email"), sa.column("hashed_password"))
    todo = sa.table(
        "todo",
        sa.column("title"),
        sa.column("description"),
        sa.column("is_completed"),
        sa.column("user_id"),
    )
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                sa.insert(user).values(email=EMAIL, hashed_password=hashed).returning(user.c.id)
            ).scalar_one()
            rows = [
                {
                    "title": f"Todo number {i}: water the plants and call the plumber",
                    "description": "Some details\non two lines" if i % 4 == 0 else None,
                    "is_completed": i % 3 == 0,
                    "user_id": user_id,
                }
                for i in range(size)
            ]
            for start in range(0, size, 2000):
                connection.execute(sa.insert(todo), rows[start : start + 2000])
    finally:
        engine.dispose()
    return user_id


def seed_history(url: str, size: int, open_: int) -> int:
    """One user with `size` todos of which `open_` are open (spread evenly, some with
    descriptions), in one INSERT … SELECT (the database's defaults and triggers apply as to
    any insert); the user's id."""
    import bcrypt

    engine = sa.create_engine(url)
    user = sa.table("user", sa.column("id"), sa.column("email"), sa.column("hashed_password"))
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    numbers = (
        "generate_series(1, :size) AS n(i)"
        if engine.dialect.name == "postgresql"
        else "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :size) "
        "SELECT i FROM n)"
    )
    insert = sa.text(
        "INSERT INTO todo (title, description, is_completed, user_id) "
        "SELECT 'Todo number ' || i || ': water the plants and call the plumber', "
        "CASE WHEN i % 4 = 0 THEN 'Some details' END, "
        f"i % :every <> 0, :user_id FROM {numbers}"
    )
    try:
        with engine.begin() as connection:
            user_id = connection.execute(
                sa.insert(user).values(email=EMAIL, hashed_password=hashed).returning(user.c.id)
            ).scalar_one()
            connection.execute(insert, {"size": size, "every": size // open_, "user_id": user_id})
    finally:
        engine.dispose()
    return user_id


@contextlib.contextmanager
def maybe_postgres(enabled: bool) -> Iterator[Postgres | None]:
    if not enabled:
        yield None
        return
    try:
        server = Postgres(os.environ.get("TODO_TUI_BENCH_DATABASE_URL", DEFAULT_SERVER))
        server.version()
    except sa.exc.OperationalError as exc:
        log(f"PostgreSQL is not reachable ({exc.orig}); SQLite only.")
        yield None
        return
    try:
        yield server
    finally:
        server.close()
