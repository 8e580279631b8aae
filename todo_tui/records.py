"""Plain read objects that services hand to the UI (no ORM, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
