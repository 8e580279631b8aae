"""Plain read objects that services hand to the UI (no ORM, no heavy imports).

A todo's fields are written out here once: `TodoRecord` is what the database holds (its
columns follow from it, see todos.COLUMNS), `TodoDraft` what a user edits of it (the form,
the conflict dialog, a kept draft and the todo services all take one).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from todo_tui.faults import InvalidInput
from todo_tui.validation import clean_description, clean_title


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


@dataclass(frozen=True, slots=True)
class TodoDraft:
    """What a user edits of a todo, as typed; each default is an empty field (what a todo
    without a value shows), and each field's name is its widget's id in the form."""

    title: str = ""
    description: str = ""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    @classmethod
    def of(cls, todo: TodoRecord | None) -> TodoDraft:
        """The draft that `todo` holds (None: a new todo's empty draft)."""
        if todo is None:
            return cls()
        values = {name: getattr(todo, name) for name in cls.names()}
        return cls(**{name: value for name, value in values.items() if value is not None})

    def stored(self) -> dict[str, object]:
        """The fields as the database keeps them; InvalidInput when one cannot be kept."""
        return {
            "title": clean_title(self.title),
            "description": clean_description(self.description),
        }

    def saved_in(self, todo: TodoRecord) -> bool:
        """Whether `todo` holds this draft, as stored."""
        try:
            stored = self.stored()
        except InvalidInput:
            return False  # what cannot be stored is in no todo
        return all(getattr(todo, name) == value for name, value in stored.items())
