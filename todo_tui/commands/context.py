"""What every todo command does first: open the database, check its schema, and find the
user logged in on this computer (the same token file and session as the app's). One round
trip each; an error becomes one sentence and an exit status."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from todo_tui.commands.status import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    say_error,
)

if TYPE_CHECKING:
    from todo_tui.config import Settings
    from todo_tui.db import Database
    from todo_tui.records import UserRecord

NOT_LOGGED_IN = "You are not logged in on this computer: run `todo-tui login` first."


class CommandFailed(Exception):
    """Stop the command with this exit status; its sentence was said already."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def fail(sentence: str, status: int) -> CommandFailed:
    say_error(sentence)
    return CommandFailed(status)


@contextmanager
def opened(settings: Settings) -> Iterator[Database]:
    """The database, its schema up to date; every fault inside becomes CommandFailed."""
    from todo_tui.db import Database
    from todo_tui.faults import DatabaseFault

    path = settings.database.sqlite_path
    if path is not None and not path.exists():  # a command makes no database file
        raise fail(
            f"There is no todo list at {path} yet: open todo-tui to make one and an account.",
            EXIT_REFUSED,
        )
    try:
        database = Database(settings)
    except DatabaseFault as fault:
        raise fail(fault.sentence, EXIT_UNREACHABLE) from None
    try:
        _check_schema(database)
        yield database
    except DatabaseFault as fault:
        status = EXIT_UNREACHABLE if fault.is_connection_problem else EXIT_REFUSED
        raise fail(fault.sentence, status) from None
    finally:
        database.dispose()


def _check_schema(database: Database) -> None:
    from todo_tui.schema import SchemaState, schema_status

    status = schema_status(database)
    if status.state is SchemaState.UP_TO_DATE:
        return
    if status.state is SchemaState.UNREACHABLE:
        raise fail(status.summary, EXIT_UNREACHABLE)
    raise fail(f"{status.summary.rstrip('.')}: run `todo-tui db upgrade` first.", EXIT_REFUSED)


def session_user(database: Database) -> UserRecord:
    """The user of this computer's session for `database` (moving its end on, as a launch
    of the app does); CommandFailed(2) with one sentence when there is none."""
    from todo_tui import sessions

    resumed = sessions.resume_saved(database)
    if resumed.session is None:
        raise fail(resumed.notice or NOT_LOGGED_IN, EXIT_BAD_INPUT)
    return resumed.session.user
