"""Command line: `todo-tui` opens the app; `todo-tui db status|upgrade` serve scripts."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace

from platformdirs import user_log_path

from todo_tui import __version__
from todo_tui.config import APP_NAME, ConfigError, Settings, load_settings

EXIT_OK = 0
EXIT_NEEDS_UPGRADE = 1
EXIT_BAD_CONFIG = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="todo-tui",
        description="A terminal todo list on PostgreSQL (Neon) or a local SQLite file.",
        epilog="DATABASE_URL comes from --database-url, the environment, ./.env, or defaults "
        "to a SQLite file in your user data directory.",
    )
    parser.add_argument("--version", action="version", version=f"todo-tui {__version__}")
    parser.add_argument("--database-url", metavar="URL", help="the database to use")
    parser.add_argument("--echo-sql", action="store_true", help="log every SQL statement")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    db = commands.add_parser("db", help="check or upgrade the database schema, for scripts")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "status",
        help="print the schema state; exit 0 when up to date, 1 when an upgrade is needed, "
        "3 when todo-tui will not change it, 4 when unreachable",
    )
    upgrade = db_commands.add_parser("upgrade", help="apply every pending migration")
    upgrade.add_argument(
        "--adopt",
        action="store_true",
        help="first record an unversioned database whose tables match a revision exactly "
        "(the newest such) as that revision, then upgrade from there",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(database_url=args.database_url, echo_sql=args.echo_sql)
    except ConfigError as exc:
        print(f"todo-tui: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    if args.command == "db":
        return run_db_command(settings, args.db_command, adopt=getattr(args, "adopt", False))
    from todo_tui.app import TodoApp

    settings = log_to_file(settings)
    app = TodoApp(settings=settings)
    app.run()
    app.finish_database_work()
    return app.return_code or EXIT_OK


def log_to_file(settings: Settings) -> Settings:
    """The terminal belongs to the app: logs (and --echo-sql's statements) go to a file."""
    path = user_log_path(APP_NAME) / "todo-tui.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return replace(settings, echo_sql=False)  # nowhere to write: no echo on the screen
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    if settings.echo_sql:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    # SQLAlchemy's own echo would print to stdout, under the app's screen.
    return replace(settings, echo_sql=False)


def run_db_command(settings: Settings, action: str, *, adopt: bool = False) -> int:
    from todo_tui.db import Database
    from todo_tui.errors import DatabaseFault
    from todo_tui.schema import SchemaState, schema_status, upgrade_to_head

    print(f"Database: {settings.database}")
    try:
        database = Database(settings)
    except DatabaseFault as fault:
        print(f"todo-tui: {fault.sentence}", file=sys.stderr)
        return EXIT_UNREACHABLE
    try:
        status = schema_status(database)
        if (
            action == "upgrade"
            and status.can_upgrade
            and (adopt or status.state is not SchemaState.UNVERSIONED)
        ):
            try:
                status = upgrade_to_head(
                    database,
                    lambda rev: print(f"Applied {rev.id}: {rev.message}"),
                    adopt=adopt,
                )
            except DatabaseFault as fault:
                print(f"todo-tui: {fault.sentence} The schema is unchanged.", file=sys.stderr)
                return EXIT_UNREACHABLE if fault.is_connection_problem else EXIT_REFUSED
        print(status.summary)
        for revision in status.pending:
            print(f"  pending {revision.id}: {revision.message}")
        for difference in status.differences:
            print(f"  differs: {difference}")
        if status.state is SchemaState.UNVERSIONED and status.adoptable:
            print("Run `todo-tui db upgrade --adopt` to adopt it and upgrade.")
        return {
            SchemaState.UP_TO_DATE: EXIT_OK,
            SchemaState.BEHIND: EXIT_NEEDS_UPGRADE,
            SchemaState.EMPTY: EXIT_NEEDS_UPGRADE,
            SchemaState.UNREACHABLE: EXIT_UNREACHABLE,
        }.get(status.state, EXIT_REFUSED)
    finally:
        database.dispose()
