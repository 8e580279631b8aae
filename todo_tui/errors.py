"""The two kinds of failure a screen shows: bad input and database faults.

No heavy imports: screens catch these without importing SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class InvalidInput(Exception):
    """A value the user typed was refused; `field` names the input it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FaultKind(StrEnum):
    UNREACHABLE = "unreachable"
    CONNECTION_LOST = "connection lost"
    AUTHENTICATION = "authentication failed"
    SSL_REQUIRED = "SSL required"
    TIMED_OUT = "timed out"
    SCHEMA = "schema problem"
    CONFLICT = "conflict"
    REJECTED = "value rejected"
    # The SQLite file: its disk is full, it or its folder cannot be written, it is damaged,
    # or it was deleted, moved or replaced while the app had it open.
    DISK_FULL = "disk full"
    READ_ONLY = "read-only"
    DAMAGED = "damaged"
    FILE_GONE = "file gone"
    UNEXPECTED = "unexpected"


class DatabaseFault(Exception):
    """A database error classified into one plain sentence (never a traceback)."""

    def __init__(self, kind: FaultKind, sentence: str, *, field: str | None = None) -> None:
        super().__init__(sentence)
        self.kind = kind
        self.sentence = sentence
        self.field = field

    @property
    def is_connection_problem(self) -> bool:
        return self.kind in {
            FaultKind.UNREACHABLE,
            FaultKind.CONNECTION_LOST,
            FaultKind.AUTHENTICATION,
            FaultKind.SSL_REQUIRED,
            FaultKind.TIMED_OUT,
        }
