"""The logged-in user's todos: keyboard-first, updated in place after every action."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from todo_tui import bindings, drafts, history, preferences, reconcile, todos, views
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.live import ChangeFeed, Changes, Snapshot
from todo_tui.messages import ReportsWorkFailures
from todo_tui.records import TodoDraft, TodoRecord, UserRecord
from todo_tui.screens.account import AccountActions
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.screens.details_panel import DetailsPanel
from todo_tui.screens.list_changes import MarksAndHistory
from todo_tui.screens.tag_picker import TagPicker
from todo_tui.screens.todo_form import TodoForm
from todo_tui.todos import TodoConflict, TodoNotFound
from todo_tui.widgets.details import TodoDetails
from todo_tui.widgets.header import Header
from todo_tui.widgets.todo_table import SORT_ORDER, TodoTable

if TYPE_CHECKING:
    from todo_tui.screens.host import Host

T = TypeVar("T")
WIDE = 100  # columns from which the details pane shows beside the list
SORT_NAMES = {
    "due": "due date",
    "priority": "priority",
    "newest": "newest",
    "oldest": "oldest",
    "title": "title",
    "updated": "recently updated",
}


class TodoListScreen(AccountActions, MarksAndHistory, ReportsWorkFailures, Screen[None]):
    BINDINGS = bindings.LIST
    PALETTE_BINDINGS = [b for b in BINDINGS if b.action not in {"close", "app.quit"}]

    app: Host

    def __init__(self, user: UserRecord) -> None:
        super().__init__()
        self.user = user
        # Set before the Header mounts, as Screen sets its own: a change after it would reach
        # the watchers of a Header still mounting (or of one going with the screen before).
        self.sub_title = user.email
        self.history = history.History()
        self._stepping = asyncio.Lock()  # one undo or redo at a time, in the order pressed
        self._pane_wanted = True  # the details pane, on a wide terminal (i hides it)
        self.feed: ChangeFeed | None = None
        # A snapshot from the feed (and when it was taken) that arrived before the list
        # first loaded.
        self._early_snapshot: tuple[Snapshot, float] | None = None
        self._loaded_once = False
        self._catching_up = reconcile.CatchUp()  # minds this terminal's own adds

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="list-status", markup=False)
        yield Input(placeholder="Search titles and descriptions; #word for a tag", id="search")
        with Horizontal(id="list-body"):
            # Kept: a catch-up looks up thousands of todos, a query_one each would cost ~25 ms.
            self._table = TodoTable(id="todos", now=self.app.clock)
            yield self._table
            self._details = TodoDetails(id="details", now=self.app.clock)
            yield self._details
        yield Footer(compact=True)

    @property
    def table(self) -> TodoTable:
        return self._table

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self._apply_preferences()
        self._place_details()
        self.table.focus()
        self.action_reload()
        self._start_feed()
        self._follow_session()
        self._at_next_midnight()

    # -- preferences: remembered per account on this computer ------------------------------

    @property
    def account(self) -> str:
        return preferences.account_key(self.app.settings.database.masked, self.user.id)

    def _apply_preferences(self) -> None:
        """The view, sort and theme this account last had here; else config.toml's
        defaults; else the usual ones."""
        remembered = preferences.load_account(self.app.settings.config_dir, self.account)
        defaults = self.app.user_defaults

        def chosen(name: str, allowed: Callable[[object], bool], usual: str) -> str:
            for value in (remembered.get(name), defaults.get(name)):
                if allowed(value):
                    return value
            return usual

        # A remembered tag's view whose tag has gone since: this, once the list is loaded.
        self._default_view = defaults.get("view", views.DEFAULT_VIEW)
        self.table.view = chosen("view", views.known, views.DEFAULT_VIEW)
        sort = chosen("sort", lambda value: value in SORT_ORDER, SORT_ORDER[0])
        self.table.sort_by = sort  # type: ignore[assignment]
        theme = chosen("theme", lambda value: value in self.app.available_themes, self.app.theme)
        if theme != self.app.theme:
            self.app.theme = theme
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _remember(self, **values: str) -> None:
        # After the frame: the switch shows first, the file is written next.
        directory = self.app.settings.config_dir
        self.call_after_refresh(preferences.save_account, directory, self.account, **values)

    def _theme_changed(self, _: Any) -> None:
        self._remember(theme=self.app.theme)

    def _key(self, binding_id: str) -> str:
        """The first key that runs the binding now (the user may have changed it)."""
        binding = next(b for b in bindings.LIST if b.id == binding_id)
        key = bindings.keys_in_force(binding, self.app.keymap_in_force)[0]
        return self.app.get_key_display(replace(binding, key=key, key_display=None))

    # -- the details of the selected todo ----------------------------------------------

    def on_resize(self) -> None:
        self._place_details()

    def _place_details(self) -> None:
        self._details.display = self._pane_wanted and self.size.width >= WIDE
        self._show_details()

    def _show_details(self) -> None:
        if self._details.display:
            self._details.show_todo(self.table.cursor_todo)

    @on(TodoTable.Highlighted)
    def _highlighted(self) -> None:
        self._show_details()

    def action_details(self) -> None:
        if self.size.width >= WIDE:
            self._pane_wanted = not self._pane_wanted
            self._place_details()
        elif (todo := self.table.cursor_todo) is not None:
            self.app.push_screen(DetailsPanel(todo))

    def _offer_draft(self) -> None:
        """The text of a form the last run was ended in (by a signal), offered back once."""
        database = self.app.settings.database
        if (draft := drafts.load(database, self.user.id)) is None:
            return
        if any(TodoDraft.of(todo) == draft.text for todo in self.table.all_todos):
            # the save that was on its way when the app ended did land
            drafts.discard(database, self.user.id)
            return

        def answered(restore: bool | None) -> None:
            drafts.discard(database, self.user.id)
            if not restore:
                return
            todo = self.table.get(draft.todo_id) if draft.todo_id is not None else None
            if todo is not None and draft.version is not None:
                todo = replace(todo, version=draft.version)  # changed since: a conflict
            form = TodoForm(self.user, todo, text=draft, tags=self._tag_names())
            self.app.push_screen(form, self._edited_as(todo) if todo else self._added)

        text = draft.text
        detail = text.title + (f"\n{text.description}" if text.description else "")
        self.app.push_screen(
            ConfirmDialog("Restore the todo you were writing?", detail, confirm="Restore"),
            answered,
        )

    def _start_feed(self) -> None:
        assert self.app.database is not None
        self.feed = ChangeFeed(
            self.app.database,
            self.user.id,
            on_changes=lambda changes: self._from_feed(self._changed_elsewhere, changes),
            on_snapshot=lambda snapshot, taken_at: self._from_feed(
                self._catch_up, snapshot, taken_at
            ),
            on_online=lambda online: self._from_feed(self._online_changed, online),
            idle_for=self.app.idle_for,
            thread=self.app.database_thread,  # the app's one connection, between its jobs
        )
        self.app.input_signal.subscribe(self, self._user_is_back)
        self.feed.start()

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()

    def _from_feed(self, callback: Callable, *arguments: object) -> None:
        def deliver() -> None:
            if self.is_attached:  # the screen may have gone (logged out) meanwhile
                callback(*arguments)

        self.app.on_ui(deliver)

    def _user_is_back(self, _: None) -> None:
        if self.feed is not None and self.feed.paused:
            self.feed.resume()

    # -- changes made elsewhere ----------------------------------------------------------------

    def _changed_elsewhere(self, changes: Changes) -> None:
        """A batch of changes (the feed gathers those that arrive together): one rebuild
        for all the deletes, one fetch for the rest."""
        plan = reconcile.changed_elsewhere(self.table.versions, changes)
        self.table.remove_many(plan.remove)
        self._fetch(plan.fetch)
        self._refresh_status()

    def _catch_up(self, snapshot: Snapshot, taken_at: float) -> None:
        """Catch up with the database: drop what is gone, fetch what is newer (see
        `reconcile.CatchUp`)."""
        if not self._loaded_once:
            self._early_snapshot = (snapshot, taken_at)
            return
        plan = self._catching_up.plan(self.table.versions, snapshot, taken_at)
        self.table.remove_many(plan.remove)
        self._refresh_status()
        self._fetch(plan.fetch)

    def _fetch(self, todo_ids: set[int]) -> None:
        if not todo_ids:
            return
        self._fetch_by_ids(todo_ids)

    @work(exit_on_error=False)
    async def _fetch_by_ids(self, todo_ids: set[int]) -> None:
        owner_id = self.user.id
        self._apply(
            *await self._call(lambda s: todos.list_by_ids(s, owner_id=owner_id, todo_ids=todo_ids))
        )

    def _online_changed(self, online: bool) -> None:
        if not online and (stopped := self._stopped()) is not None:
            if self.feed is not None:
                self.feed.stop()  # no reconnecting: the file itself went or is damaged
            self.notify(stopped.sentence, severity="error", markup=False, timeout=30)
            self._refresh_status()
            return
        self._refresh_status()
        if online:
            self.notify("Reconnected to the database.", markup=False, timeout=4)
        else:
            self.notify(
                "Lost the connection to the database: reconnecting. What is shown stays "
                "readable; changes cannot be saved until it is back.",
                severity="warning",
                markup=False,
                timeout=8,
            )

    def _stopped(self) -> DatabaseFault | None:
        return self.app.database.stopped if self.app.database is not None else None

    def _tag_names(self) -> list[str]:
        """The user's tags, from the todos the list holds: what the form completes from."""
        return self.table.tag_names()

    def _refresh_status(self) -> None:
        table = self.table
        shown = table.visible_count
        # Left-aligned and first: on a narrow terminal the end of the line is what is cut.
        parts = [f"{views.name_of(table.view)}: {shown} shown, {sum(table.counts) - shown} hidden"]
        if marked := table.marked:
            parts.append(f"{len(marked)} marked")
        if self._stopped() is not None:
            parts.append("read-only: nothing more is saved")
        elif self.feed is not None and self.feed.offline:
            parts.append("offline: reconnecting…")
        if table.search_text:
            parts.append("searching")
        parts.append(f"sorted by {SORT_NAMES[table.sort_by]}")
        self.query_one("#list-status", Static).update("  ·  ".join(parts))
        self._show_details()

    async def _call(self, work: Callable[[Session], T], *, retry: bool = True) -> T:
        """`work(session)` on the database thread; `retry`: repeated once if the connection
        drops (every read and write here is safe to repeat: see todos.py)."""
        database = self.app.database
        assert database is not None
        return await self.app.database_call(lambda: database.run(work, retry=retry))

    def _apply(self, *records: TodoRecord) -> None:
        """Show each record unless the list already holds a newer version of it."""
        self.table.upsert_many(reconcile.to_show(self.table.versions, records))
        self._refresh_status()

    # -- loading ---------------------------------------------------------------------------

    @work(exit_on_error=False)
    async def action_reload(self) -> None:
        owner_id = self.user.id
        records = await self._call(lambda s: todos.list_todos(s, owner_id=owner_id))
        self.table.set_todos(records)
        self._drop_gone_tag_view()
        self._refresh_status()
        if not self._loaded_once:
            self._offer_draft()  # once the list is known: an edit's todo, a landed save
        self._loaded_once = True
        if (early := self._early_snapshot) is not None:
            self._early_snapshot = None
            self._catch_up(*early)

    def _saved(self, record: TodoRecord | None) -> None:
        if record is None:
            return
        self._apply(record)
        self.table.move_cursor_to(record.id)

    def _added(self, record: TodoRecord | None) -> None:
        """A todo this terminal added (or put back): see `_catch_up`."""
        if record is not None:
            self._catching_up.added(record.id, time.monotonic())
            self.history.done(history.added(record))
        self._saved(record)

    def _edited_as(self, before: TodoRecord) -> Callable[[TodoRecord | None], None]:
        def edited(record: TodoRecord | None) -> None:
            if record is not None and record != before:
                self.history.done(history.edited(before, record))
            self._saved(record)

        return edited

    def _gone(self, todo: TodoRecord) -> None:
        self.table.remove_todo(todo.id)
        self._refresh_status()
        self.notify("That todo was deleted in another terminal.", markup=False, timeout=5)

    # -- actions ---------------------------------------------------------------------------

    def action_add(self) -> None:
        self.app.push_screen(TodoForm(self.user, tags=self._tag_names()), self._added)

    def action_edit(self) -> None:
        if (todo := self.table.cursor_todo) is not None:
            form = TodoForm(self.user, todo, tags=self._tag_names())
            self.app.push_screen(form, self._edited_as(todo))

    def action_toggle_done(self) -> None:
        if marked := self._marked_todos():
            # All done, unless all are done already: then all open again.
            completed = not all(todo.is_completed for todo in marked)
            changes = [
                history.Change(todo, replace(todo, is_completed=completed))
                for todo in marked
                if todo.is_completed != completed
            ]
            self._bulk(changes, "done" if completed else "open again")
        elif (todo := self.table.cursor_todo) is not None:
            self._set_completed(todo, not todo.is_completed)

    @on(TodoTable.ToggleClicked)
    def _toggle_clicked(self, event: TodoTable.ToggleClicked) -> None:
        if (todo := self.table.get(event.todo_id)) is not None:
            self._set_completed(todo, not todo.is_completed)

    def _set_completed(self, todo: TodoRecord, completed: bool) -> None:
        # Shown at once (as the database will return it), so a second press toggles back;
        # the database thread applies the presses in order.
        self.table.upsert(todos.completed_as(todo, completed))
        self._refresh_status()
        self._save_completed(todo, completed)

    @work(exit_on_error=False)
    async def _save_completed(self, todo: TodoRecord, completed: bool) -> None:
        owner_id, todo_id, version = self.user.id, todo.id, todo.version
        try:
            record = await self._call(
                lambda s: todos.set_completed(
                    s, owner_id=owner_id, todo_id=todo_id, version=version, completed=completed
                )
            )
        except TodoNotFound:
            self._gone(todo)
            return
        except TodoConflict as conflict:
            self.table.upsert(conflict.current)
            message = "This todo was changed in another terminal: here is its latest version."
            self.notify(message, severity="warning", markup=False, timeout=6)
            self._refresh_status()
            return
        except (InvalidInput, DatabaseFault):
            self.table.upsert(todo)
            self._refresh_status()
            raise  # the app says what went wrong
        self.history.done(history.toggled([(todo, record)]))
        self._apply(record)

    def action_delete(self) -> None:
        if marked := self._marked_todos():
            n = len(marked)
            detail = "\n".join(todo.title for todo in marked)
            question = f"Delete the {n} marked todos?" if n > 1 else "Delete the marked todo?"

            def answered(confirmed: bool | None) -> None:
                if confirmed:
                    self._bulk([history.Change(todo, None) for todo in marked], "delete")

            self.app.push_screen(ConfirmDialog(question, detail, confirm="Delete"), answered)
        elif (todo := self.table.cursor_todo) is not None:
            self._confirm_delete(todo, "Delete this todo?")

    def _confirm_delete(self, todo: TodoRecord, question: str) -> None:
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._delete(todo)

        detail = todo.title + (f"\n{todo.description}" if todo.description else "")
        self.app.push_screen(ConfirmDialog(question, detail, confirm="Delete"), answered)

    @work(exit_on_error=False)
    async def _delete(self, todo: TodoRecord) -> None:
        owner_id, todo_id, version = self.user.id, todo.id, todo.version
        attempts = 0

        def delete(session: Session) -> TodoRecord:
            nonlocal attempts
            attempts += 1
            try:
                return todos.delete_todo(
                    session, owner_id=owner_id, todo_id=todo_id, version=version
                )
            except TodoNotFound:
                if attempts == 1:
                    raise
                return todo  # retried: the first attempt deleted it, its reply was lost

        try:
            deleted = await self._call(delete)
        except TodoNotFound:
            self._gone(todo)
            return
        except TodoConflict as conflict:
            self.table.upsert(conflict.current)
            self._refresh_status()
            question = "This todo was changed in another terminal. Delete it anyway?"
            self._confirm_delete(conflict.current, question)
            return
        self.history.done(history.deleted([deleted]))
        self.table.remove_todo(deleted.id)
        self._refresh_status()
        self.notify(f"Deleted. Press {self._key('list.undo')} to undo.", markup=False, timeout=4)

    # -- view ------------------------------------------------------------------------------

    def action_view(self, view: str) -> None:
        if views.known(view):
            self.table.view = view
            self._remember(view=view)
            self._refresh_status()

    def action_next_view(self) -> None:
        self.action_view(views.after(self.table.view))

    def action_pick_tag(self) -> None:
        if not (tags := self.table.tag_counts()):
            self.notify(
                "No todo has a tag yet: #word in a title adds one.", markup=False, timeout=4
            )
            return

        def picked(tag: str | None) -> None:
            if tag is not None:
                self.action_view(views.tag_view(tag))

        self.app.push_screen(TagPicker(tags), picked)

    def _drop_gone_tag_view(self) -> None:
        """A tag's view whose tag no todo has any more (remembered from an earlier run, or
        gone since the last load): the default view."""
        tag = views.tag_of(self.table.view)
        if tag is not None and tag.lower() not in {t.lower() for t in self.table.tag_names()}:
            self.table.view = self._default_view

    def _at_next_midnight(self) -> None:
        """Filter again just after midnight (the app's clock): a timer that fires early
        filters for nothing and is set again."""
        now = self.app.clock().astimezone()
        midnight = datetime.combine(now.date() + timedelta(days=1), day_time(), now.tzinfo)
        self.set_timer((midnight - now).total_seconds() + 0.5, self._new_day)

    def _new_day(self) -> None:
        self.table.refilter()
        self._refresh_status()
        self._at_next_midnight()

    def action_cycle_sort(self) -> None:
        table = self.table
        table.sort_by = SORT_ORDER[(SORT_ORDER.index(table.sort_by) + 1) % len(SORT_ORDER)]
        self._remember(sort=table.sort_by)
        self._refresh_status()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.table.search_text = event.value
        self._refresh_status()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close":
            return self.query_one("#search", Input).display or bool(self.table.marked)
        return True

    def action_close(self) -> None:
        search = self.query_one("#search", Input)
        if search.display:
            search.value = ""
            search.display = False
            self.table.focus()
        else:
            self.table.clear_marks()
        self._refresh_status()
        self.refresh_bindings()
