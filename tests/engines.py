"""Databases for the tests: fresh ones for a module (on the test server, or on a server the
tests start), a second Database on a test database's data, and the test server's URL with
parts changed (for the tests of the engine and of the classification of its errors)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import sqlalchemy as sa

from todo_tui.config import Settings, load_settings
from todo_tui.db import Database
from todo_tui.schema import upgrade_to_head


@contextmanager
def fresh(database: Database, **changes) -> Iterator[Database]:
    """A second Database on the same data with its own (new) engine and pool."""
    other = Database(replace(database.settings, **changes))
    try:
        yield other
    finally:
        other.dispose()


def server_url(db: Database, **changes) -> str:
    """The test server's URL with some parts changed, as a user would type it."""
    url = sa.make_url(db.settings.database.url).set(**changes)
    return url.render_as_string(hide_password=False).replace("+psycopg2", "")


# -- fresh databases for a module ---------------------------------------------------------

TEST_BCRYPT_ROUNDS = 4


@contextmanager
def admin_connection(url: str) -> Iterator[sa.Connection]:
    """A superuser connection outside any transaction (CREATE / DROP DATABASE), closed after."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def create_database(admin_url: str, *, owner: str | None = None) -> str:
    """A new, empty PostgreSQL database with a unique name; its name."""
    name = f"todo_tui_test_{uuid.uuid4().hex[:12]}"
    owned = f" OWNER {owner}" if owner else ""
    with admin_connection(admin_url) as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"{owned}')
    return name


def drop_databases(admin_url: str, names: list[str]) -> None:
    with admin_connection(admin_url) as connection:
        for name in names:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Databases:
    """Fresh databases by URL, each a Database with test settings, dropped by `close()` (at
    the end of the module). Subclasses say where a new one comes from (`new_url`) and how
    the created ones are dropped (`drop`)."""

    dialect: str

    def __init__(self) -> None:
        self.created: list[str] = []
        self.databases: list[Database] = []

    def new_url(self) -> str:
        raise NotImplementedError

    def drop(self, names: list[str]) -> None:
        raise NotImplementedError

    def settings(self, url: str | None = None) -> Settings:
        settings = load_settings(database_url=url or self.new_url(), environ={})
        return replace(settings, bcrypt_rounds=TEST_BCRYPT_ROUNDS)

    def empty(self) -> Database:
        database = Database(self.settings())
        self.databases.append(database)
        return database

    def migrated(self) -> Database:
        database = self.empty()
        upgrade_to_head(database)
        return database

    def close(self) -> None:
        for database in self.databases:
            database.dispose()
        if self.created:
            self.drop(self.created)
