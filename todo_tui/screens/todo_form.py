"""Add or edit a todo: title with a live counter, optional multi-line description."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from todo_tui import todos
from todo_tui.errors import DatabaseFault, InvalidInput
from todo_tui.records import TodoRecord, UserRecord
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.screens.conflict import KEEP_MINE, TAKE_THEIRS, ConflictDialog
from todo_tui.screens.forms import show_errors
from todo_tui.todos import TodoConflict, TodoNotFound
from todo_tui.validation import DESCRIPTION_MAX, TITLE_MAX, title_problem
from todo_tui.widgets.capped import CappedInput, CappedTextArea, PasteChanged
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.app import TodoApp


class TodoForm(ModalScreen[TodoRecord | None]):
    """Saves through the database and is dismissed with the saved todo (None: cancelled).

    On failure the form stays open with everything the user typed.
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    # The title is focused in on_mount, without the scroll to centre that auto-focus does.
    AUTO_FOCUS = ""

    app: TodoApp

    def __init__(self, user: UserRecord, todo: TodoRecord | None = None) -> None:
        super().__init__()
        self.user = user
        self.todo = todo

    def compose(self) -> ComposeResult:
        todo = self.todo
        with Vertical(id="todo-form", classes="dialog"):
            with DialogBody(classes="dialog-body", keys_scroll=False):
                yield Static("Edit todo" if todo else "New todo", classes="form-title")
                with Horizontal(id="title-label-row"):
                    yield Label("Title")
                    yield Static("", id="title-counter", markup=False)
                # No select-on-focus: the first key must not replace the title being edited.
                yield CappedInput(
                    todo.title if todo else "",
                    id="title",
                    placeholder="What needs doing?",
                    select_on_focus=False,
                    max_length=TITLE_MAX,
                )
                yield Static("", id="title-error", classes="field-error", markup=False)
                yield Label("Description (optional)")
                yield CappedTextArea(
                    (todo.description or "") if todo else "",
                    id="description",
                    soft_wrap=True,
                    max_length=DESCRIPTION_MAX,
                )
                yield Static("", id="description-note", classes="form-note", markup=False)
                yield Static("", id="description-error", classes="field-error", markup=False)
            with Horizontal(id="form-buttons", classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        show_errors(self, {})
        self.query_one("#description-note", Static).display = False
        self._count(self.query_one("#title", Input).value)
        # Not scrolled to the centre (what focus does): the heading and counter stay in sight.
        self.query_one("#title", Input).focus(scroll_visible=False)

    @on(Input.Changed, "#title")
    def _title_changed(self, event: Input.Changed) -> None:
        self._count(event.value)
        error = self.query_one("#title-error", Static)
        if error.display and title_problem(event.value) is None:
            error.display = False  # fixed (typed or pasted): the complaint goes

    @on(PasteChanged, "#title")
    def _title_paste_changed(self, event: PasteChanged) -> None:
        self._count(self.query_one("#title", Input).value, note=event.note)

    @on(PasteChanged, "#description")
    def _description_paste_changed(self, event: PasteChanged) -> None:
        note = self.query_one("#description-note", Static)
        note.update(event.note)
        note.display = True

    @on(TextArea.Changed, "#description")
    def _description_changed(self, event: TextArea.Changed) -> None:
        # The note about a cut paste stays while the text is still at the limit.
        if len(event.text_area.text) < DESCRIPTION_MAX:
            self.query_one("#description-note", Static).display = False

    def _count(self, value: str, *, note: str = "") -> None:
        length = len(value.strip())
        counter = self.query_one("#title-counter", Static)
        counter.update(f"{length}/{TITLE_MAX}" + (f" — {note}" if note else ""))
        counter.set_class(length > TITLE_MAX, "-over")

    @on(Input.Submitted, "#title")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.has_class("-busy"):
            return
        title = self.query_one("#title", Input).value
        if problem := title_problem(title):
            show_errors(self, {"title": problem})
            self.query_one("#title", Input).focus(scroll_visible=False)
            return
        self._save(version=self.todo.version if self.todo else 0)

    def _save(self, *, version: int) -> None:
        """Save what the form holds now, as an edit of `version` (or a new todo)."""
        title = self.query_one("#title", Input).value
        description = self.query_one("#description", TextArea).text
        owner_id, todo = self.user.id, self.todo

        def work() -> TodoRecord:
            assert self.app.database is not None
            if todo is None:  # an insert is not retried: it may have landed
                return self.app.database.run(
                    lambda s: todos.add_todo(
                        s, owner_id=owner_id, title=title, description=description
                    )
                )
            return self.app.database.run(
                lambda s: todos.update_todo(
                    s,
                    owner_id=owner_id,
                    todo_id=todo.id,
                    version=version,
                    title=title,
                    description=description,
                ),
                retry=True,
            )

        # The work first: restyling for "-busy" takes a few ms of the UI thread, and the
        # answer cannot arrive before this handler returns.
        self.app.call_database(self, work, done=self.dismiss, failed=self._failed)
        show_errors(self, {})
        self.set_class(True, "-busy")

    def _failed(self, failure: InvalidInput | DatabaseFault) -> None:
        self.set_class(False, "-busy")
        if isinstance(failure, TodoConflict):
            mine = self.query_one("#title", Input).value
            description = self.query_one("#description", TextArea).text
            self.app.push_screen(
                ConflictDialog(mine, description, failure.current),
                lambda choice: self._resolved(choice, failure.current),
            )
        elif isinstance(failure, TodoNotFound) and self.todo is not None:
            self.todo = None  # the next save adds it back
            self.query_one(".form-title", Static).update("New todo (the original was deleted)")
            show_errors(
                self,
                {
                    "title": "This todo was deleted in another terminal. Your text is kept: "
                    "save to add it again, or press Escape to drop it."
                },
            )
        else:
            field = failure.field if failure.field in {"title", "description"} else "title"
            sentence = str(failure)
            show_errors(
                self,
                {field: f"Not saved: {sentence[:1].lower()}{sentence[1:]} Press ctrl+s to retry."},
            )

    def _resolved(self, choice: str | None, theirs: TodoRecord) -> None:
        if choice == KEEP_MINE:
            self._save(version=theirs.version)
        elif choice == TAKE_THEIRS:
            self.dismiss(theirs)
        # Cancel: back to the form, everything as typed.

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.has_class("-busy"):
            return
        title = self.query_one("#title", Input).value
        description = self.query_one("#description", TextArea).text
        before = (self.todo.title, self.todo.description or "") if self.todo else ("", "")
        if (title, description) == before:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        # What the user typed is not thrown away on one key press.
        self.app.push_screen(
            ConfirmDialog(
                "Discard your changes?",
                title or description,
                confirm="Discard",
                classes="-over-form",  # the form stays in sight behind the question
            ),
            answered,
        )
