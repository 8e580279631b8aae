"""How a todo is shown on one terminal line, whatever draws it (the app's list, `todo-tui
list`): user text made safe, the priority's marks, and the list's default order.

Standard library only: the command line imports it without Textual.
"""

from __future__ import annotations

from datetime import date

from todo_tui.records import TodoRecord

PRIORITY_MARKS = ("", "!", "!!", "!!!")  # by priority: none, low, medium, high

# C0 -> visible "control pictures"; DEL, C1, bidi overrides and line separators
# -> U+FFFD, because any of them could move the terminal cursor or reorder text.
_SANITIZE: dict[int, int] = {c: 0x2400 + c for c in range(0x20)}
_SANITIZE[0x7F] = 0x2421
_SANITIZE.update({c: 0xFFFD for c in range(0x80, 0xA0)})
_SANITIZE.update({c: 0xFFFD for c in (0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF)})
_SANITIZE.update({c: 0xFFFD for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})

_NO_DATE = date.max.toordinal() + 1  # after every date
_NO_TIME = 24 * 60  # after every time of the day: an all-day todo after the timed ones


def sanitize(text: str) -> str:
    """Make user text safe to put on one terminal line, keeping it readable."""
    return text.translate(_SANITIZE)


def due_order(record: TodoRecord) -> tuple[object, ...]:
    """The default order's key: open first; overdue, then by due date and time (no date
    last), then priority, then newest."""
    day = record.due_date.toordinal() if record.due_date else _NO_DATE
    at = record.due_time.hour * 60 + record.due_time.minute if record.due_time else _NO_TIME
    return (
        record.is_completed,
        day,
        at,
        -record.priority,
        -record.created_at.timestamp(),
        -record.id,
    )


def haystack(record: TodoRecord) -> str:
    """What a search looks in, casefolded: the title, the description and `#tag`s."""
    tags = " ".join(f"#{tag}" for tag in record.tags).casefold()
    return f"{record.title.casefold()}\0{(record.description or '').casefold()}\0{tags}"
