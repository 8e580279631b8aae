"""Plain read objects that services hand to the UI (no ORM, no heavy imports).

A todo's fields are written out here once: `TodoRecord` is what the database holds (its
columns follow from it, see todos.COLUMNS), `TodoDraft` what a user edits of it (the form,
the conflict dialog, a kept draft and the todo services all take one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time

from todo_tui.dates import DateUnreadable, Due, read_due
from todo_tui.faults import InvalidInput
from todo_tui.validation import clean_description, clean_tags, clean_title

PRIORITY_NAMES = ("", "low", "medium", "high")  # by priority: 0 none … 3 high
PRIORITY_OF_NAME = {"": 0, "none": 0, "low": 1, "l": 1, "medium": 2, "m": 2, "high": 3, "h": 3}


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    email: str


@dataclass(frozen=True, slots=True)
class TodoRecord:
    id: int
    title: str
    description: str | None
    is_completed: bool
    created_at: datetime
    updated_at: datetime
    version: int = 1
    due_date: date | None = None
    due_time: time | None = None
    priority: int = 0  # 0 none, 1 low, 2 medium, 3 high
    completed_at: datetime | None = None
    tags: tuple[str, ...] = ()  # sorted case-insensitively

    @property
    def due(self) -> Due | None:
        return None if self.due_date is None else Due(self.due_date, self.due_time)


@dataclass(frozen=True, slots=True)
class TodoDraft:
    """What a user edits of a todo, as typed; each default is an empty field (what a todo
    without a value shows), and each field's name is its widget's id in the form."""

    title: str = ""
    description: str = ""
    due: str = ""  # in words ("fri 9am"); a todo's own due reads back as ISO
    priority: str = ""  # "", "low", "medium" or "high"
    tags: str = ""  # names separated by spaces

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    @classmethod
    def of(cls, todo: TodoRecord | None) -> TodoDraft:
        """The draft that `todo` holds (None: a new todo's empty draft)."""
        if todo is None:
            return cls()
        return cls(
            title=todo.title,
            description=todo.description or "",
            due="" if todo.due is None else todo.due.iso(),
            priority=PRIORITY_NAMES[todo.priority],
            tags=" ".join(todo.tags),
        )

    def stored(self, today: date | None = None) -> dict[str, object]:
        """The fields as the database keeps them; InvalidInput when one cannot be kept.
        Words of a due date are read against `today` (by default the local date)."""
        try:
            due = read_due(self.due, today or date.today())
        except DateUnreadable as unreadable:
            raise InvalidInput("due", str(unreadable)) from None
        priority = PRIORITY_OF_NAME.get(self.priority.strip().lower())
        if priority is None:
            raise InvalidInput("priority", f"{self.priority!r} is not a priority.")
        return {
            "title": clean_title(self.title),
            "description": clean_description(self.description),
            "due_date": None if due is None else due.date,
            "due_time": None if due is None else due.time,
            "priority": priority,
            "tags": clean_tags(self.tags),
        }

    def saved_in(self, todo: TodoRecord, today: date | None = None) -> bool:
        """Whether `todo` holds this draft, as stored (tags compared whatever their case)."""
        try:
            stored = self.stored(today)
        except InvalidInput:
            return False  # what cannot be stored is in no todo
        tags = stored.pop("tags")
        if [t.lower() for t in tags] != [t.lower() for t in todo.tags]:
            return False
        return all(getattr(todo, name) == value for name, value in stored.items())
