"""`todo-tui login`, `logout`, `whoami`: the session of this computer for this database,
the very one the app uses (the same token file, the same `login_session` row).

The password never comes from an argument or the environment (others can read those in
`ps` or /proc): from a prompt without echo on a terminal, else the first line of standard
input (after the email, when that comes from standard input too).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from todo_tui.commands.context import CommandFailed, fail, opened, session_user
from todo_tui.commands.status import EXIT_BAD_INPUT, EXIT_OK, say_error
from todo_tui.display import sanitize

if TYPE_CHECKING:
    from todo_tui.config import Settings
    from todo_tui.db import Database


def run_account_command(settings: Settings, args: argparse.Namespace) -> int:
    from todo_tui.faults import InvalidInput

    try:
        with opened(settings) as database:
            if args.command == "login":  # asked once the database is known to be there
                return login(database, *_credentials(settings, args.email))
            if args.command == "logout":
                return logout(database)
            print(sanitize(session_user(database).email))
            return EXIT_OK
    except CommandFailed as failed:
        return failed.status
    except InvalidInput as refused:
        say_error(refused.message)
        return EXIT_BAD_INPUT


def _line(prompt: str) -> str:
    """A line of standard input (no newline); CommandFailed(2) at its end."""
    if sys.stdin.isatty():
        try:
            return input(prompt)
        except EOFError:
            pass
    else:
        line = sys.stdin.readline()
        if line:
            return line.removesuffix("\n").removesuffix("\r")
    raise fail("Standard input ended before the email and password were read.", EXIT_BAD_INPUT)


def _credentials(settings: Settings, email: str | None) -> tuple[str, str]:
    if email is None:
        from todo_tui import tokens

        last = tokens.last_email(settings.config_dir, settings.database)
        typed = _line(f"Email [{last}]: " if last and sys.stdin.isatty() else "Email: ")
        email = typed.strip() or (last if sys.stdin.isatty() else "")
    if not email.strip():
        raise fail("Say your email: `todo-tui login EMAIL`.", EXIT_BAD_INPUT)
    if sys.stdin.isatty():
        try:
            password = getpass.getpass("Password: ")
        except EOFError:
            raise fail("No password was typed.", EXIT_BAD_INPUT) from None
    else:
        password = _line("")
    return email.strip(), password


def login(database: Database, email: str, password: str) -> int:
    from todo_tui import sessions, tokens
    from todo_tui.auth import authenticate

    settings = database.settings
    where = settings.database
    user = database.run(
        lambda s: authenticate(s, email=email, password=password, rounds=settings.bcrypt_rounds)
    )
    previous = tokens.load(where).token
    started = database.run(lambda s: sessions.create(s, user=user))
    if previous is not None:  # the session this computer had before ends: one per file
        database.run(lambda s: sessions.end_token(s, token=previous))
    if sessions.keep(where, started) is not None:
        database.run(lambda s: sessions.end(s, session_id=started.id))
        folder = tokens.token_path(where).parent
        raise fail(f"You cannot log in here: {folder} cannot be written.", EXIT_BAD_INPUT)
    tokens.remember_email(settings.config_dir, where, user.email)
    print(f"Logged in as {sanitize(user.email)} on {where}.")
    return EXIT_OK


def logout(database: Database) -> int:
    from todo_tui import sessions, tokens

    where = database.settings.database
    saved = tokens.load(where)
    if saved.token is None:
        if (exposed := tokens.exposed_token(where)) is not None:
            database.run(lambda s: sessions.end_token(s, token=exposed), retry=True)
        tokens.discard(where)
        print("You were not logged in on this computer.")
        return EXIT_OK
    database.run(lambda s: sessions.end_token(s, token=saved.token), retry=True)
    tokens.discard(where)
    print("Logged out: this computer's session has ended.")
    return EXIT_OK
