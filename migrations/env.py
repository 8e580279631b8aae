"""Alembic environment for todo-tui.

Run by `alembic …` from the repository root and by the app itself (todo_tui.schema), which
passes its own connection, already inside the migration transaction and lock, in
`config.attributes["connection"]`. pytest-alembic passes a Connection or an Engine there.

todo-tui records its revision in a version table of its own (todo_tui.schema.VERSION_TABLE),
not Alembic's default `alembic_version`, which another application in the same database may
own. From the command line, a setting or a database it cannot use is one sentence on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString

from todo_tui.models import SQLModel, UTCDateTime
from todo_tui.schema import VERSION_TABLE

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: object, autogen_context) -> str | bool:
    """Generated migrations use plain SQLAlchemy types, so they need no sqlmodel import."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names) -> bool:
    # Other tables in the same database are not ours to compare or drop.
    if type_ == "table":
        return name in target_metadata.tables
    return True


def configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        render_item=render_item,
        include_name=include_name,
        version_table=VERSION_TABLE,
        on_version_apply=config.attributes.get("on_version_apply"),
        # SQLite too: db.py sends BEGIN itself, so its DDL is transactional.
        transactional_ddl=True,
        **kwargs,
    )


def run_with(connection: Connection) -> None:
    configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_with(given)
    elif isinstance(given, Engine):
        with given.connect() as connection:
            run_with(connection)
    else:
        # From the command line: the app's own URL resolution, transaction and lock.
        from todo_tui.db import Database
        from todo_tui.schema import migration_connection

        with one_sentence_on_failure():
            database = Database(command_line_settings())
            try:
                with migration_connection(database) as connection:
                    run_with(connection)
            finally:
                database.dispose()


def command_line_settings():
    from todo_tui.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        print(f"todo-tui: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


@contextmanager
def one_sentence_on_failure() -> Iterator[None]:
    """A database that cannot be reached is a sentence and exit status 4, as in `todo-tui db`."""
    from todo_tui.faults import DatabaseFault

    try:
        yield
    except DatabaseFault as fault:
        if not fault.is_connection_problem:
            raise
        print(f"todo-tui: {fault.sentence}", file=sys.stderr)
        raise SystemExit(4) from None


def run_migrations_offline() -> None:
    database = command_line_settings().database
    configure(
        url=database.url,
        literal_binds=True,
        render_as_batch=database.is_sqlite,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
