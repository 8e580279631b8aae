"""The list's marks, bulk actions and undo history: a part of TodoListScreen, apart only
to keep each module short. Every change goes through `bulk.apply`, one database call,
version-checked; each action is one undo step."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work

from todo_tui import bulk, history
from todo_tui.faults import InvalidInput
from todo_tui.records import TodoRecord
from todo_tui.screens.bulk_dialogs import DueDialog, NewDue, TagsDialog
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.validation import TagEdit

if TYPE_CHECKING:
    from todo_tui.screens.todo_list import TodoListScreen

    _Base = TodoListScreen
else:
    _Base = object


class MarksAndHistory(_Base):
    """Needs the screen's `table`, `history`, `_call`, `_apply`, `_catching_up`, `_key`
    and `_refresh_status`."""

    _stepping: asyncio.Lock

    def action_clear_done(self) -> None:
        done = [todo for todo in self.table.all_todos if todo.is_completed]
        if not done:
            self.notify("No done todos to clear.", markup=False, timeout=3)
            return
        question = (
            f"Delete the {len(done)} done todos?" if len(done) > 1 else "Delete the done todo?"
        )
        detail = "\n".join(todo.title for todo in done)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._bulk([history.Change(todo, None) for todo in done], "clear done")

        self.app.push_screen(ConfirmDialog(question, detail, confirm="Delete"), answered)

    # -- marks and bulk actions: one round trip, one undo step -----------------------------

    def action_mark(self, direction: int = 1) -> None:
        if (todo := self.table.cursor_todo) is not None:
            had_marks = bool(self.table.marked)
            self.table.toggle_mark(todo.id)
            self.table.action_cursor_by(direction)
            self._refresh_status()
            if had_marks != bool(self.table.marked):
                self.refresh_bindings()  # Escape clears the marks: the footer says so

    def _marked_todos(self) -> list[TodoRecord]:
        table = self.table
        return [todo for todo_id in sorted(table.marked) if (todo := table.get(todo_id))]

    def _chosen_todos(self) -> list[TodoRecord]:
        """The marked todos, else the selected one."""
        if marked := self._marked_todos():
            return marked
        return [todo] if (todo := self.table.cursor_todo) is not None else []

    def action_tag(self) -> None:
        if not (chosen := self._chosen_todos()):
            return

        def answered(edit: TagEdit | None) -> None:
            if edit is None:
                return
            try:
                retagged = [(todo, edit.applied_to(todo.tags)) for todo in chosen]
            except InvalidInput as bad:
                self.notify(str(bad), severity="error", markup=False, timeout=6)
                return
            changes = [
                history.Change(todo, replace(todo, tags=tags))
                for todo, tags in retagged
                if not bulk.same_tags(tags, todo.tags)
            ]
            if not changes:
                self.notify("Those tags were already so.", markup=False, timeout=3)
                return
            self._bulk(changes, "tags")

        self.app.push_screen(TagsDialog(len(chosen), self._tag_names()), answered)

    def action_redate(self) -> None:
        if not (chosen := self._chosen_todos()):
            return
        dues = {todo.due for todo in chosen}
        words = due.iso() if len(dues) == 1 and (due := next(iter(dues))) is not None else ""

        def answered(new: NewDue | None) -> None:
            if new is None:
                return
            due_date, due_time = (new.due.date, new.due.time) if new.due else (None, None)
            changes = [
                history.Change(todo, replace(todo, due_date=due_date, due_time=due_time))
                for todo in chosen
                if todo.due != new.due
            ]
            if not changes:
                self.notify("That due date was already so.", markup=False, timeout=3)
                return
            self._bulk(changes, "due date")

        self.app.push_screen(DueDialog(len(chosen), words), answered)

    @work(exit_on_error=False)
    async def _bulk(self, changes: list[history.Change], what: str) -> None:
        if not changes:
            return
        applied = await self._apply_changes(changes)
        self.table.clear_marks()
        self.refresh_bindings()
        if applied.done:
            # Undone by the reverse of what was done, to each todo as it is now.
            undo = [history.Change(now, change.current) for change, now in applied.done]
            self.history.done(history.Step(what, tuple(undo)))
        if applied.conflicts:
            n = len(applied.conflicts)
            message = (
                f"{n} of these todos changed in another terminal and were left as they are."
                if n > 1
                else "One of these todos changed in another terminal and was left as it is."
            )
            self.notify(message, severity="warning", markup=False, timeout=6)
        elif what == "clear done":
            self.notify(
                f"Cleared {len(applied.done)} done. Press {self._key('list.undo')} to undo.",
                markup=False,
                timeout=4,
            )
        self._refresh_status()

    async def _apply_changes(self, changes: list[history.Change]) -> bulk.Applied:
        """Apply on the database (one call) and show the outcome: what landed, and what
        the database holds of what did not."""
        owner_id = self.user.id
        applied = await self._call(lambda s: bulk.apply(s, owner_id=owner_id, changes=changes))
        self.table.remove_many(c.todo_id for c, now in applied.done if now is None)
        for change, now in applied.done:
            if now is not None and change.current is None:  # put back: see `_catch_up`
                self._catching_up.added(now.id, time.monotonic())
        shown = [now for _, now in applied.done if now is not None]
        shown += [now for _, now in applied.conflicts if now is not None]
        self.table.remove_many(c.todo_id for c, now in applied.conflicts if now is None)
        self._apply(*shown)
        return applied

    # -- undo and redo -----------------------------------------------------------------

    def action_undo(self) -> None:
        self._step(undo=True)

    def action_redo(self) -> None:
        self._step(undo=False)

    @work(exit_on_error=False)
    async def _step(self, *, undo: bool) -> None:
        """Undo (or redo) the next step, each todo version-checked: one changed elsewhere
        since is asked about (undo anyway, or leave it), never overwritten unasked. Presses
        in quick succession take their steps one after the other."""
        async with self._stepping:
            step = self.history.next_undo() if undo else self.history.next_redo()
            if step is None:
                self.notify(f"Nothing to {'undo' if undo else 'redo'}.", markup=False, timeout=3)
                return
            await self._apply_step(step, undo=undo)

    async def _apply_step(self, step: history.Step, *, undo: bool) -> None:
        applied = await self._apply_changes(list(step.changes))
        done = list(applied.done)
        if applied.conflicts:
            n = len(applied.conflicts)
            word = "Undo" if undo else "Redo"
            question = (
                f"This todo was changed in another terminal since. {word} anyway?"
                if n == 1
                else f"{n} of these todos were changed in another terminal since. {word} anyway?"
            )
            detail = "\n".join(
                (now or change.current or change.target).title  # type: ignore[union-attr]
                for change, now in applied.conflicts
            )
            dialog = ConfirmDialog(question, detail, confirm=f"{word} anyway")
            if await self.app.push_screen(dialog, wait_for_dismiss=True):
                again = await self._apply_changes(bulk.forced(applied.conflicts))
                done += again.done
        if undo:
            self.history.undone(step, done)
        else:
            self.history.redone(step, done)
        if done:
            verb = "Undone" if undo else "Redone"
            self.notify(f"{verb}: {step.what}.", markup=False, timeout=3)
            if (first := done[0][1]) is not None:
                self.table.move_cursor_to(first.id)
        self._refresh_status()
