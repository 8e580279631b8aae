"""The logged-in user's todos: keyboard-first, updated in place after every action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, get_args

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from todo_tui import todos
from todo_tui.errors import DatabaseFault, InvalidInput
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.screens.todo_form import TodoForm
from todo_tui.widgets.todo_table import FilterBy, SortBy, TodoTable

if TYPE_CHECKING:
    from todo_tui.app import TodoApp

FILTERS: tuple[FilterBy, ...] = get_args(FilterBy)
SORTS: tuple[SortBy, ...] = get_args(SortBy)
SORT_NAMES = {
    "newest": "newest",
    "oldest": "oldest",
    "title": "title",
    "updated": "recently updated",
}


class TodoListScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a todo"),
        Binding("e,enter", "edit", "Edit", tooltip="Edit the selected todo"),
        Binding(
            "space", "toggle", "Done", key_display="␣", tooltip="Mark the selected todo done or not"
        ),
        Binding("d", "delete", "Delete", tooltip="Delete the selected todo"),
        Binding("u", "undo", "Undo", tooltip="Undo the last delete or done change"),
        Binding("slash", "search", "Search", tooltip="Search titles and descriptions"),
        Binding("f", "cycle_filter", "Filter", tooltip="Show all, active or done todos"),
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by newest, oldest, title or updated"),
        Binding("r", "reload", "Reload", tooltip="Reload the list from the database"),
        Binding("ctrl+l", "log_out", "Log out", tooltip="Log out"),
        Binding("q", "app.quit", "Quit", tooltip="Quit todo-tui"),
        Binding("escape", "close_search", "Clear search", tooltip="Clear and close the search"),
    ]
    PALETTE_BINDINGS = [b for b in BINDINGS if b.action != "close_search"]

    app: TodoApp

    def __init__(self, user: UserRecord) -> None:
        super().__init__()
        self.user = user
        # The last delete or done change, as the todo was before it.
        self.undoable: tuple[str, TodoRecord] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="list-status", markup=False)
        yield Input(placeholder="Search titles and descriptions", id="search")
        yield TodoTable(id="todos", now=self.app.clock)
        yield Footer(compact=True)

    @property
    def table(self) -> TodoTable:
        return self.query_one("#todos", TodoTable)

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self.table.focus()
        self.sub_title = self.user.email
        self.action_reload()

    def _refresh_status(self) -> None:
        table = self.table
        active, done = table.counts
        parts = [f"showing {table.filter_by}", f"sorted by {SORT_NAMES[table.sort_by]}"]
        if table.query:
            parts.append(f"{table.visible_count} matching")
        self.query_one("#list-status", Static).update("  ·  ".join(parts))
        self.sub_title = f"{self.user.email} — {active} active, {done} done"

    def _run(
        self, work: Callable[[], object], done: Callable, failed: Callable | None = None
    ) -> None:
        self.app.call_database(self, work, done=done, failed=failed)

    # -- loading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        owner_id = self.user.id

        def work() -> list[TodoRecord]:
            assert self.app.database is not None
            with self.app.database.session() as session:
                return todos.list_todos(session, owner_id=owner_id)

        self._run(work, self._loaded)

    def _loaded(self, records: list[TodoRecord]) -> None:
        self.table.set_todos(records)
        self._refresh_status()

    def _saved(self, record: TodoRecord | None) -> None:
        if record is None:
            return
        self.table.upsert(record)
        self.table.move_cursor_to(record.id)
        self._refresh_status()

    # -- actions ---------------------------------------------------------------------------

    def action_add(self) -> None:
        self.app.push_screen(TodoForm(self.user), self._saved)

    def action_edit(self) -> None:
        if (todo := self.table.cursor_todo) is not None:
            self.app.push_screen(TodoForm(self.user, todo), self._saved)

    def action_toggle(self) -> None:
        if (todo := self.table.cursor_todo) is not None:
            self._set_completed(todo, not todo.is_completed)

    @on(TodoTable.ToggleClicked)
    def _toggle_clicked(self, event: TodoTable.ToggleClicked) -> None:
        if (todo := self.table.get(event.todo_id)) is not None:
            self._set_completed(todo, not todo.is_completed)

    def _set_completed(self, todo: TodoRecord, completed: bool, *, undoing: bool = False) -> None:
        owner_id = self.user.id

        def work() -> TodoRecord:
            assert self.app.database is not None
            with self.app.database.session() as session:
                return todos.set_completed(
                    session, owner_id=owner_id, todo_id=todo.id, completed=completed
                )

        def done(record: TodoRecord) -> None:
            self.undoable = None if undoing else ("toggle", todo)
            self.table.upsert(record)
            self._refresh_status()

        def failed(failure: InvalidInput | DatabaseFault) -> None:
            self.table.upsert(todo)
            self._refresh_status()
            self.app.show_failure(failure)

        # Shown at once, so a second press toggles back; the database confirms in order.
        self.table.upsert(replace(todo, is_completed=completed))
        self._refresh_status()
        self._run(work, done, failed)

    def action_delete(self) -> None:
        if (todo := self.table.cursor_todo) is None:
            return

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(todo)

        self.app.push_screen(
            ConfirmDialog("Delete this todo?", todo.title, confirm="Delete"), answered
        )

    def _delete(self, todo: TodoRecord) -> None:
        owner_id = self.user.id

        def work() -> TodoRecord:
            assert self.app.database is not None
            with self.app.database.session() as session:
                return todos.delete_todo(session, owner_id=owner_id, todo_id=todo.id)

        def done(deleted: TodoRecord) -> None:
            self.undoable = ("delete", deleted)
            self.table.remove(deleted.id)
            self._refresh_status()
            self.notify("Deleted. Press u to undo.", markup=False, timeout=4)

        self._run(work, done)

    def action_undo(self) -> None:
        if self.undoable is None:
            self.notify("Nothing to undo.", markup=False, timeout=3)
            return
        kind, before = self.undoable
        if kind == "toggle":
            self._set_completed(before, before.is_completed, undoing=True)
            return
        owner_id = self.user.id

        def work() -> TodoRecord:
            assert self.app.database is not None
            with self.app.database.session() as session:
                return todos.restore_todo(session, owner_id=owner_id, todo=before)

        def done(record: TodoRecord) -> None:
            self.undoable = None
            self._saved(record)

        self._run(work, done)

    # -- view ------------------------------------------------------------------------------

    def action_cycle_filter(self) -> None:
        table = self.table
        table.filter_by = FILTERS[(FILTERS.index(table.filter_by) + 1) % len(FILTERS)]
        self._refresh_status()

    def action_cycle_sort(self) -> None:
        table = self.table
        table.sort_by = SORTS[(SORTS.index(table.sort_by) + 1) % len(SORTS)]
        self._refresh_status()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.table.query = event.value
        self._refresh_status()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_search":
            return self.query_one("#search", Input).display
        return True

    def action_close_search(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.table.focus()

    def action_log_out(self) -> None:
        self.app.open_login()
