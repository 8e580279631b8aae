"""`todo-tui export` and `todo-tui import`: their arguments, and what each prints.

Machine output (the export, a dry run's report) goes to stdout; errors are one sentence on
stderr; a progress bar (Rich) is drawn on stderr when it is a terminal. Exit statuses: 0
done, 1 the database needs an upgrade first, 2 bad input (the file, or no account to act
for: not logged in), 4 the database cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from todo_tui.transfer import EXPORT_FORMATS, IMPORT_FORMATS

if TYPE_CHECKING:
    from todo_tui.config import Settings
    from todo_tui.db import Database
    from todo_tui.transfer.service import ImportResult

EXIT_OK = 0
EXIT_NEEDS_UPGRADE = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 4


def add_commands(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="print your todos (JSON by default)")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="json")
    export.add_argument(
        "--group-by", choices=("tag", "due"), default="tag", help="Markdown's sections"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (yours only)")
    imported = commands.add_parser(
        "import", help="add todos from a file: todo-tui JSON, taskwarrior, todo.txt, iCalendar, CSV"
    )
    imported.add_argument("source", metavar="FILE", help="the file, or - for standard input")
    imported.add_argument(
        "--format", choices=IMPORT_FORMATS, help="the file's format (detected by default)"
    )
    imported.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be added, what is skipped and why, and the field mapping; "
        "write nothing",
    )


def say_error(sentence: str) -> None:
    print(f"todo-tui: {sentence}", file=sys.stderr)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run `export` or `import` for the user logged in on this computer."""
    from todo_tui.db import Database
    from todo_tui.faults import DatabaseFault
    from todo_tui.transfer.items import ImportRefused

    if args.command == "import":
        try:
            data = read_source(args.source)
        except ImportRefused as refused:
            say_error(refused.message)
            return EXIT_BAD_INPUT
    try:
        database = Database(settings)
    except DatabaseFault as fault:
        say_error(fault.sentence)
        return EXIT_UNREACHABLE
    try:
        if (problem := _not_ready(database)) is not None:
            return problem
        if (owner_id := _session_owner(database)) is None:
            return EXIT_BAD_INPUT
        if args.command == "export":
            return run_export(database, owner_id=owner_id, args=args)
        return run_import(database, owner_id=owner_id, data=data, args=args)
    except DatabaseFault as fault:
        say_error(fault.sentence)
        return EXIT_UNREACHABLE if fault.is_connection_problem else EXIT_BAD_INPUT
    finally:
        database.dispose()


def _not_ready(database: Database) -> int | None:
    from todo_tui.schema import SchemaState, schema_status

    status = schema_status(database)
    if status.state is SchemaState.UP_TO_DATE:
        return None
    if status.state is SchemaState.UNREACHABLE:
        say_error(status.summary)
        return EXIT_UNREACHABLE
    say_error(f"{status.summary.rstrip('.')}: run `todo-tui db upgrade` first.")
    return EXIT_NEEDS_UPGRADE


def _session_owner(database: Database) -> int | None:
    """The id of the user logged in here (the app's session), else None, said."""
    from todo_tui import sessions
    from todo_tui.commands.context import NOT_LOGGED_IN

    resumed = sessions.resume_saved(database)
    if resumed.session is None:
        say_error(resumed.notice or NOT_LOGGED_IN)
        return None
    return resumed.session.user.id


def read_source(source: str) -> bytes:
    """The bytes of FILE or of standard input ("-"); ImportRefused when unreadable or too big."""
    from todo_tui.transfer.items import MAX_FILE_BYTES, ImportRefused

    if source == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise ImportRefused(
                f"Standard input holds more than {MAX_FILE_BYTES // 1_000_000} MB; todo-tui "
                "imports files of up to that, so split it and import each part."
            )
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImportRefused(
                f"{source} is {size / 1_000_000:.1f} MB; todo-tui imports files of up to "
                f"{MAX_FILE_BYTES // 1_000_000} MB, so split it and import each part."
            )
        with path.open("rb") as file:
            return file.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ImportRefused(f"There is no file {source}.") from None
    except IsADirectoryError:
        raise ImportRefused(f"{source} is a folder, not a file.") from None
    except OSError as error:
        raise ImportRefused(f"{source} cannot be read ({error.strerror}).") from None


def run_export(database: Database, *, owner_id: int, args: argparse.Namespace) -> int:
    from todo_tui.files import write_private
    from todo_tui.transfer.service import export_todos

    with database.session() as session:
        text = export_todos(session, owner_id=owner_id, format=args.format, group_by=args.group_by)
    if args.output is None or args.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return EXIT_OK
    try:
        write_private(Path(args.output), text)
    except OSError as error:
        say_error(f"{args.output} cannot be written ({error.strerror}).")
        return EXIT_BAD_INPUT
    return EXIT_OK


def run_import(database: Database, *, owner_id: int, data: bytes, args: argparse.Namespace) -> int:
    from todo_tui.transfer import read_import
    from todo_tui.transfer.items import ImportRefused
    from todo_tui.transfer.service import import_plan

    try:
        plan = read_import(data, args.format)
    except ImportRefused as refused:
        say_error(f"{refused.message.removesuffix('.')}; nothing was imported.")
        return EXIT_BAD_INPUT
    bar = _progress_bar(len(plan.items), enabled=not args.dry_run)
    with bar as progress, database.session() as session:
        result = import_plan(
            session, owner_id=owner_id, plan=plan, dry_run=args.dry_run, progress=progress
        )
    print(report(result, verbose=args.dry_run))
    return EXIT_OK


def report(result: ImportResult, *, verbose: bool) -> str:
    """The summary; with `verbose` (a dry run), each todo, each skip and the field mapping."""
    lines = [result.summary]
    if verbose:
        if result.added:
            lines.append("Would add:")
            lines += [f"  {item.where}: {item.title}" for item in result.added]
        if result.skipped:
            lines.append("Skipped:")
            lines += [f"  {s.where}: {s.title} ({s.reason})" for s in result.skipped]
        lines.append("Field mapping:")
        lines += [f"  {source} -> {target}" for source, target in result.mapping]
    return "\n".join(lines)


@contextmanager
def _progress_bar(total: int, *, enabled: bool):
    """A progress callback drawing a bar on stderr when it is a terminal, else None."""
    if not enabled or total < 1000 or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=_stderr_console(), transient=True) as bar:
        task = bar.add_task("Importing", total=total)
        update: Callable[[int, int], None] = lambda done, _total: bar.update(  # noqa: E731
            task, completed=done
        )
        yield update


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)
