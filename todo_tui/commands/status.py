"""The exit statuses of the todo commands, and the one shape of their errors."""

from __future__ import annotations

import sys

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_BAD_INPUT = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4

EXIT_STATUSES = """\
exit status:
  0  done
  1  nothing matched: an ID that is no todo of yours, or a list with no todo in it
  2  bad input: a wrong argument, a date that cannot be read, not logged in
  3  refused: the todo changed meanwhile (nothing written), or the database is not
     ready (no file yet: open the app; or it needs `todo-tui db upgrade`)
  4  the database cannot be reached"""


def say_error(sentence: str) -> None:
    """Errors: one sentence on stderr; stdout is for what a script reads."""
    print(f"todo-tui: {sentence}", file=sys.stderr)
