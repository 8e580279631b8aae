"""The todo commands of the command line: `add`, `list`, `done`, `undone`, `edit`, `rm`,
and the account's `login`, `logout`, `whoami`.

This module only declares their arguments (it is imported by every launch, the app's
too); each command's work is imported when it runs, and none imports Textual.
"""

from __future__ import annotations

import argparse

from todo_tui.commands.status import EXIT_STATUSES
from todo_tui.views import VIEWS

TODO_COMMANDS = ("add", "list", "done", "undone", "edit", "rm")
ACCOUNT_COMMANDS = ("login", "logout", "whoami")
COMMANDS = TODO_COMMANDS + ACCOUNT_COMMANDS
PRIORITY_CHOICES = ("high", "medium", "low", "none")


def todo_id(text: str) -> int:
    """A todo's id as typed: a positive whole number."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a todo's id (a number such as 12)")
    return int(text)


def add_commands(commands: argparse._SubParsersAction) -> None:
    epilog = EXIT_STATUSES
    raw = argparse.RawDescriptionHelpFormatter
    add = commands.add_parser(
        "add",
        help="add a todo, read like the app's quick-add line: #tag !high due:WHEN",
        epilog=epilog,
        formatter_class=raw,
    )
    add.add_argument("text", nargs="+", metavar="TEXT", help="e.g. Pay rent due:tomorrow #home")
    add.add_argument("--json", action="store_true", help="print the new todo as a JSON item")

    listed = commands.add_parser(
        "list", help="print your open todos as a table", epilog=epilog, formatter_class=raw
    )
    listed.add_argument(
        "--view",
        choices=list(VIEWS),
        default="open",
        help="today: open and due today or overdue; upcoming: open and due in the next 7 "
        "days, after today; open (the default); nodate: open with no due date; done; all",
    )
    listed.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="only todos with TAG (repeatable)"
    )
    listed.add_argument("--search", metavar="WORDS", help="only todos whose text holds WORDS")
    listed.add_argument(
        "--json", action="store_true", help="print JSON items (the schema: see the README)"
    )

    for name, what in (("done", "mark todos done"), ("undone", "mark todos not done")):
        toggled = commands.add_parser(name, help=what, epilog=epilog, formatter_class=raw)
        toggled.add_argument("ids", nargs="+", type=todo_id, metavar="ID")

    edit = commands.add_parser(
        "edit",
        help="change a todo's title, due date, tags or priority",
        epilog=epilog,
        formatter_class=raw,
    )
    edit.add_argument("id", type=todo_id, metavar="ID")
    edit.add_argument("--title", help="the new title")
    edit.add_argument("--due", metavar="WHEN", help='the due date in words; "" removes it')
    edit.add_argument("--tag", action="append", default=[], metavar="TAG", help="add TAG")
    edit.add_argument("--untag", action="append", default=[], metavar="TAG", help="remove TAG")
    edit.add_argument("--priority", choices=PRIORITY_CHOICES)

    removed = commands.add_parser("rm", help="delete todos", epilog=epilog, formatter_class=raw)
    removed.add_argument("ids", nargs="+", type=todo_id, metavar="ID")

    login = commands.add_parser(
        "login",
        help="log in on this computer: the password from a prompt, or standard input",
        epilog=epilog,
        formatter_class=raw,
    )
    login.add_argument(
        "email", nargs="?", help="your email (asked for, or the first line of standard input)"
    )
    commands.add_parser("logout", help="end this computer's session", epilog=epilog)
    commands.add_parser("whoami", help="print the email logged in here", epilog=epilog)


def run(settings, args: argparse.Namespace) -> int:
    """Run the command; ctrl+c and a reader that stops reading (`| head`) end it quietly."""
    import os
    import sys

    try:
        if args.command in ACCOUNT_COMMANDS:
            from todo_tui.commands.account import run_account_command

            return run_account_command(settings, args)
        from todo_tui.commands.todo_commands import run_todo_command

        return run_todo_command(settings, args)
    except KeyboardInterrupt:
        print(file=sys.stderr)  # after the ^C the terminal shows
        return 130  # 128 + SIGINT, as shells report it
    except BrokenPipeError:
        # Python would complain again flushing stdout at exit: point it at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
