"""Command line: `todo-tui` opens the app; its commands (todo_tui/commands/, export and
import in todo_tui/transfer/, `db status|upgrade` here) serve the shell and scripts.

Every error it prints is one line on stderr that starts with "todo-tui: ".
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from typing import NoReturn

from platformdirs import user_log_path

from todo_tui import __version__
from todo_tui.commands import COMMANDS
from todo_tui.commands import add_commands as add_todo_commands
from todo_tui.commands.status import EXIT_STATUSES
from todo_tui.config import APP_NAME, ConfigError, Settings, default_sqlite_path, load_settings
from todo_tui.files import PRIVATE_FILE, create_private_file, make_private_folder

EXIT_OK = 0
EXIT_NEEDS_UPGRADE = 1
EXIT_BAD_CONFIG = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
LOG_FILE = "todo-tui.log"
DESCRIPTION = """\
todo-tui with no command opens the app: a terminal todo list on PostgreSQL (Neon) or a
local SQLite file. The commands below are for the shell and for scripts.

  todo-tui                     open the app: no command is needed
  todo-tui add TEXT...         add a todo: Pay rent due:tomorrow #home !high
  todo-tui list                your open todos (--view, --tag, --search, --json)
  todo-tui done|undone ID...   mark todos done or not done
  todo-tui edit ID --title ... change a todo (--due, --tag, --untag, --priority)
  todo-tui rm ID...            delete todos
  todo-tui login|logout|whoami the session of this computer (the app's too)
  todo-tui export / import     your todos out (json, csv, markdown, todotxt, ical) and in
  todo-tui db status|upgrade   is the schema up to date? apply the pending migrations"""
EPILOG = """\
where the data lives: in DATABASE_URL, from --database-url, the environment or ./.env;
without one, in a SQLite file, {sqlite_path}. For Neon, put the
connection string from its dashboard in ./.env (or export it):
  DATABASE_URL=postgresql://USER:PASSWORD@HOST.neon.tech/neondb?sslmode=require

{exit_statuses}"""


def say_error(sentence: str) -> None:
    """The one shape of every error the command line prints."""
    print(f"todo-tui: {sentence}", file=sys.stderr)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_CONFIG, f"todo-tui: {message} (see todo-tui --help).\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="todo-tui",
        usage="todo-tui [options] [COMMAND ...]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=DESCRIPTION,
        epilog=EPILOG.format(sqlite_path=default_sqlite_path(), exit_statuses=EXIT_STATUSES),
    )
    parser.add_argument("--version", action="version", version=f"todo-tui {__version__}")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="the database to use; other users of this computer can read it (password "
        "included) in `ps`, so prefer DATABASE_URL in the environment or in ./.env",
    )
    parser.add_argument("--echo-sql", action="store_true", help="log every SQL statement")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands (optional)")
    add_todo_commands(commands)
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
    # export and import: todo_tui/transfer/command.py
    from todo_tui.transfer.command import add_commands as add_transfer_commands

    add_transfer_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(database_url=args.database_url, echo_sql=args.echo_sql)
    except ConfigError as exc:
        say_error(str(exc))
        return EXIT_BAD_CONFIG
    if args.command == "db":
        start_log()
        return run_db_command(settings, args.db_command, adopt=getattr(args, "adopt", False))
    if args.command in COMMANDS:
        start_log()
        from todo_tui.commands import run as run_command

        return run_command(settings, args)
    if args.command in ("export", "import"):
        start_log()
        return run_transfer_command(settings, args)
    from todo_tui.app import TodoApp

    settings = log_to_file(settings)
    app = TodoApp(settings=settings)
    app.run()
    app.finish_database_work()
    return app.return_code or EXIT_OK


def run_transfer_command(settings: Settings, args: argparse.Namespace) -> int:
    """`todo-tui export` / `todo-tui import` for the user logged in on this computer."""
    from todo_tui.transfer.command import run

    return run(settings, args)


def log_to_file(settings: Settings) -> Settings:
    """The terminal belongs to the app: logs (and --echo-sql's statements) go to a file."""
    if not start_log():
        return replace(settings, echo_sql=False)  # nowhere to write: no echo on the screen
    if settings.echo_sql:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    # SQLAlchemy's own echo would print to stdout, under the app's screen.
    return replace(settings, echo_sql=False)


def start_log() -> bool:
    """Warnings and errors to the log file, readable by its owner only; False when it cannot
    be written (then nothing is logged: the command line says what matters itself)."""
    path = user_log_path(APP_NAME) / LOG_FILE
    try:
        make_private_folder(path.parent)
        if not create_private_file(path):
            os.chmod(path, PRIVATE_FILE)  # an older todo-tui made it 0644
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    return not isinstance(handler, logging.NullHandler)


def run_db_command(settings: Settings, action: str, *, adopt: bool = False) -> int:
    from todo_tui.db import Database
    from todo_tui.faults import DatabaseFault
    from todo_tui.schema import SchemaState, schema_status, upgrade_to_head

    print(f"Database: {settings.database}")
    path = settings.database.sqlite_path
    if action == "status" and path is not None and not path.exists():
        # A check creates nothing: `db upgrade` or the app make the file.
        print(f"There is no database file yet at {path}: `todo-tui db upgrade` creates it.")
        return EXIT_NEEDS_UPGRADE
    try:
        database = Database(settings)
    except DatabaseFault as fault:
        say_error(fault.sentence)
        return EXIT_UNREACHABLE
    try:
        status = schema_status(database)
        for notice in database.notices:
            say_error(notice)
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
                say_error(f"{fault.sentence} The schema is unchanged.")
                return EXIT_UNREACHABLE if fault.is_connection_problem else EXIT_REFUSED
        if status.state is SchemaState.UNREACHABLE:
            say_error(status.summary)
        else:
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
