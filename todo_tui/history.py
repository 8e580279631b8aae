"""Undo and redo: the list's changes as steps, plain data (no Textual, no database).

A step is what one action did: for each todo, what it is now (`current`, None: it does not
exist) and what undoing brings back (`target`, None: it goes). Undoing a step applies it
(see bulk.apply, which checks each `current` version like any write) and puts its inverse
on the redo stack; a new action clears the redo stack.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from todo_tui.records import TodoRecord

DEPTH = 100  # steps kept; the oldest go first


@dataclass(frozen=True, slots=True)
class Change:
    current: TodoRecord | None  # as the database holds it now (None: not there)
    target: TodoRecord | None  # what applying the change brings back (None: delete it)

    @property
    def todo_id(self) -> int:
        record = self.current or self.target
        assert record is not None
        return record.id


@dataclass(frozen=True, slots=True)
class Step:
    what: str  # "add", "edit", "done", "delete", "tags"…: said when undone / redone
    changes: tuple[Change, ...]


def added(record: TodoRecord) -> Step:
    return Step("add", (Change(record, None),))


def edited(before: TodoRecord, after: TodoRecord) -> Step:
    return Step("edit", (Change(after, before),))


def toggled(pairs: list[tuple[TodoRecord, TodoRecord]], what: str = "done") -> Step:
    """`pairs`: (before, after) of each todo marked done or not."""
    return Step(what, tuple(Change(after, before) for before, after in pairs))


def deleted(records: list[TodoRecord], what: str = "delete") -> Step:
    return Step(what, tuple(Change(None, record) for record in records))


class History:
    def __init__(self, depth: int = DEPTH) -> None:
        self._undo: deque[Step] = deque(maxlen=depth)
        self._redo: deque[Step] = deque(maxlen=depth)

    def done(self, step: Step) -> None:
        """A new action: undoable, and what was undone can no longer be redone."""
        self._undo.append(step)
        self._redo.clear()

    def next_undo(self) -> Step | None:
        return self._undo[-1] if self._undo else None

    def next_redo(self) -> Step | None:
        return self._redo[-1] if self._redo else None

    def undone(self, step: Step, done: list[tuple[Change, TodoRecord | None]]) -> None:
        """`step` (the next undo) was applied: `done`, each change that landed and the
        todo as it is now. Its reverse goes on the redo stack."""
        self._undo.remove(step)
        if inverse := self._applied(step, done):
            self._redo.append(inverse)

    def redone(self, step: Step, done: list[tuple[Change, TodoRecord | None]]) -> None:
        self._redo.remove(step)
        if inverse := self._applied(step, done):
            self._undo.append(inverse)

    def _applied(self, step: Step, done: list[tuple[Change, TodoRecord | None]]) -> Step | None:
        """The reverse of what landed; and the steps left, which expect the todos as they
        were brought back, now expect them as the database returned them (same content,
        a newer version), so they do not take their own history for a conflict."""
        now = {
            (change.target.id, change.target.version): record
            for change, record in done
            if change.target is not None and record is not None
        }
        for stack in (self._undo, self._redo):
            for index, other in enumerate(stack):
                changes = tuple(
                    replace(c, current=now.get((c.current.id, c.current.version), c.current))
                    if c.current is not None
                    else c
                    for c in other.changes
                )
                stack[index] = replace(other, changes=changes)
        reverse = tuple(Change(record, change.current) for change, record in done)
        return Step(step.what, reverse) if reverse else None

    def __len__(self) -> int:
        return len(self._undo)

    @property
    def redo_count(self) -> int:
        return len(self._redo)
