"""The quick-add line: a title with tags, a priority and a due date typed into it.

    Pay rent due:tomorrow #home !high

- `#word` adds the tag `word`; `!high`, `!medium`, `!low` (or `!h`, `!m`, `!l`) set the
  priority; `due:WHEN` sets the due date, WHEN in the words of dates.py. WHEN is one word,
  where `_` stands for a space (`due:next_fri`, `due:in_3_days`), or quoted
  (`due:"next fri 9am"`); a time goes after `@` (`due:fri@17:30`, `due:tomorrow@9am`).
- Each token is a whole word; it is taken out of the title, and the rest of the title is
  kept as typed, its spaces closed up (a title without tokens is kept exactly).
- A backslash before `#`, `!` or `due:` keeps it literally (`\\#1 fan` is the title "#1
  fan"); `\\\\` is one backslash.

Standard library only: `read_quick_add` takes the due date's reader, so the UI can read
on its thread with `dates.read_fast` and leave the rest to a worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from todo_tui.dates import DateUnreadable, Due, read_due, short_date
from todo_tui.validation import tag_problem

PRIORITIES = {"high": 3, "h": 3, "medium": 2, "med": 2, "m": 2, "low": 1, "l": 1}
PRIORITY_NAMES = {0: "", 1: "low", 2: "medium", 3: "high"}

# A word: a quoted due:"…" whole, else anything up to a space; a backslash escapes the next
# character (a space included).
_WORD = re.compile(r'(?:\\.|due:"[^"]*"?|[^\s\\])+', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QuickAdd:
    """How a quick-add line was read."""

    title: str
    tags: tuple[str, ...] = ()
    priority: int = 0
    due_text: str = ""  # WHEN as typed, "" when none
    due: Due | None = None
    problems: tuple[str, ...] = field(default=())

    def describe(self, today: date) -> str:
        """`Pay rent · due Fri 4 Dec · high · #home`."""
        parts = [self.title or "(no title)"]
        if self.due is not None:
            parts.append(f"due {short_date(self.due, today)}")
        if self.priority:
            parts.append(PRIORITY_NAMES[self.priority])
        parts.extend(f"#{tag}" for tag in self.tags)
        return " · ".join(parts)


_ESCAPE = re.compile(r"\\([#!\\])|\\(?=due:)", re.IGNORECASE)


def _unescape(text: str) -> str:
    """`\\#`, `\\!`, `\\\\` and `\\due:` as the literal text; every other backslash is kept."""
    return _ESCAPE.sub(lambda match: match[1] or "", text)


def split_quick_add(text: str) -> QuickAdd:
    """The tokens of `text`, the due date left unread (`due_text`)."""
    title_words: list[str] = []
    tags: dict[str, str] = {}
    priority = 0
    due_text = ""
    problems: list[str] = []
    tokens = 0
    for match in _WORD.finditer(text):
        word = match[0]
        lower = word.lower()
        if lower.startswith("due:") and len(word) > 4:
            when = word[4:]
            when = when[1:].removesuffix('"') if when.startswith('"') else when.replace("_", " ")
            due_text = when.replace("@", " at ").strip()
            tokens += 1
        elif word.startswith("!") and lower[1:] in PRIORITIES:
            priority = PRIORITIES[lower[1:]]
            tokens += 1
        elif word.startswith("#") and len(word) > 1:
            tokens += 1
            name = _unescape(word[1:])
            if problem := tag_problem(name):
                problems.append(problem)
            else:
                tags.setdefault(name.lower(), name)
        else:
            title_words.append(_unescape(word))
    return QuickAdd(
        # No token: the title exactly as typed (its escapes aside).
        title=" ".join(title_words) if tokens else _unescape(text).strip(),
        tags=tuple(sorted(tags.values(), key=str.casefold)),
        priority=priority,
        due_text=due_text,
        problems=tuple(problems),
    )


def read_quick_add(
    text: str,
    today: date,
    read: Callable[[str, date], Due | None] = read_due,
) -> QuickAdd:
    """`text` read, its due date by `read` (by default the full reader: off the UI thread).
    A due date that cannot be read is in `problems`."""
    parsed = split_quick_add(text)
    if not parsed.due_text:
        return parsed
    try:
        due = read(parsed.due_text, today)
    except DateUnreadable as unreadable:
        return _with(parsed, problems=(*parsed.problems, str(unreadable)))
    return _with(parsed, due=due)


def _with(parsed: QuickAdd, **changes) -> QuickAdd:
    values = {name: getattr(parsed, name) for name in QuickAdd.__slots__}
    return QuickAdd(**(values | changes))
