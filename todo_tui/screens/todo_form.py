"""Add or edit a todo: title with a live counter (a new todo's title takes the quick-add
syntax, with a line saying how it is read), optional multi-line description, due date in
words with the date it resolves to, priority, and tags completed from the user's own."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from todo_tui import bindings, todos
from todo_tui.dates import NEEDS_PARSER, Due
from todo_tui.drafts import Draft
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.messages import ReportsWorkFailures
from todo_tui.quickadd import PRIORITY_NAMES, QuickAdd, split_quick_add
from todo_tui.records import TodoDraft, TodoRecord, UserRecord
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.screens.conflict import KEEP_MINE, TAKE_THEIRS, ConflictDialog
from todo_tui.screens.due_words import ReadsDueWords
from todo_tui.screens.forms import show_errors
from todo_tui.todos import TodoConflict, TodoNotFound
from todo_tui.validation import DESCRIPTION_MAX, TITLE_MAX, title_problem
from todo_tui.widgets.capped import CappedInput, CappedTextArea, PasteChanged
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.screens.host import Host

# Failures after which a save that was sent may have landed: the form asks the database.
OUTCOME_UNKNOWN = {FaultKind.CONNECTION_LOST, FaultKind.TIMED_OUT, FaultKind.UNREACHABLE}
RECONCILE_EVERY = 2.0  # seconds between look-ups while the database cannot be asked
RECONCILE_TRIES = 30
OVERRULED = " — not saved: the title's due: is"
# What a save sent: the todo it edits (None: an insert), its version, the draft.
Sent = tuple[TodoRecord | None, int, TodoDraft]


def _value(field: Input | TextArea | Select) -> str:
    if isinstance(field, TextArea):
        return field.text
    if isinstance(field, Select):
        return "" if field.value is Select.NULL else str(field.value)
    return field.value


PRIORITY_CHOICES = [("none", ""), ("low", "low"), ("medium", "medium"), ("high", "high")]


class TagSuggester(Suggester):
    """Completes the last word of the Tags field from the user's tags (case-insensitive).
    `removals`: a leading '-' (a tag to take off) stays in front of the name completed."""

    def __init__(self, names: list[str], *, removals: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = names
        self.removals = removals

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        word = (last.removeprefix("-") if self.removals else last).removeprefix("#")
        if not word:
            return None
        taken = {name.lower() for name in head.split()}
        for name in self.names:
            if name.lower().startswith(word.lower()) and name.lower() not in taken:
                return f"{head} {last[: len(last) - len(word)]}{name}".lstrip()
        return None


class TodoForm(ReadsDueWords, ReportsWorkFailures, ModalScreen[TodoRecord | None]):
    """Saves through the database and is dismissed with the saved todo (None: cancelled).

    On failure the form stays open with everything the user typed. A new todo carries a
    key made once per form (`client_key`) through every retry: saving it again after a lost
    reply finds the first attempt instead of adding a second copy.
    """

    BINDINGS = bindings.FORM

    # The title is focused in on_mount, without the scroll to centre that auto-focus does.
    AUTO_FOCUS = ""

    app: Host

    def __init__(
        self,
        user: UserRecord,
        todo: TodoRecord | None = None,
        *,
        text: Draft | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        """`text`: a kept draft to start from instead of the todo's own text; `tags`: the
        user's tags, for completion."""
        super().__init__()
        self._tags = list(tags)
        self.user = user
        self.todo = todo
        self._text = text
        self.client_key = (text and text.client_key) or secrets.token_hex(16)
        # A save whose outcome is unknown: what was sent (see `_reconciled`); the form asks
        # the database until it knows.
        self._unknown: Sent | None = None
        self._reconcile_tries = 0
        self._save_when_read = False  # saved while dateparser was still reading the due
        self._readings = {}

    def _typed(self) -> TodoDraft:
        """What the form holds now: each field of the draft from the widget of its name."""
        return TodoDraft(**{name: _value(self.query_one(f"#{name}")) for name in TodoDraft.names()})

    def _quick(self) -> QuickAdd | None:
        """A new todo's title read as quick add; None when editing (a title is a title)."""
        if self.todo is not None:
            return None
        return split_quick_add(self.query_one("#title", Input).value)

    def _to_save(self) -> TodoDraft:
        """What a save sends: the fields, with what the quick-add title sets over them, and
        due words the form has read as the date they name (nothing left to parse)."""
        typed = self._typed()
        quick = self._quick()
        if quick is not None:
            typed = replace(
                typed,
                title=quick.title,
                due=quick.due_text or typed.due,
                priority=PRIORITY_NAMES[quick.priority] if quick.priority else typed.priority,
                tags=" ".join([*typed.tags.split(), *quick.tags]),
            )
        due = self._read(typed.due)
        if isinstance(due, Due):
            typed = replace(typed, due=due.iso())
        return typed

    def draft(self) -> Draft | None:
        """What the form holds, when it differs from what is saved (for keeping at exit)."""
        typed, todo = self._typed(), self.todo
        if typed == TodoDraft.of(todo):
            return None
        if todo is not None:
            return Draft(typed, todo.id, todo.version)
        return Draft(typed, client_key=self.client_key)

    def compose(self) -> ComposeResult:
        todo = self.todo
        # A restored draft, or the todo's own text.
        start = self._text.text if self._text is not None else TodoDraft.of(todo)
        title, description = start.title, start.description
        self._suggester = TagSuggester(self._tags)
        with Vertical(id="todo-form", classes="dialog"):
            with DialogBody(classes="dialog-body", keys_scroll=False):
                yield Static("Edit todo" if todo else "New todo", classes="form-title")
                with Horizontal(id="title-label-row"):
                    yield Label("Title")
                    yield Static("", id="title-counter", markup=False)
                # No select-on-focus: the first key must not replace the title being edited.
                yield CappedInput(
                    title,
                    id="title",
                    placeholder="What needs doing?",
                    select_on_focus=False,
                    max_length=TITLE_MAX,
                )
                yield Static("", id="quick-preview", classes="form-note", markup=False)
                yield Static("", id="title-error", classes="field-error", markup=False)
                yield Label("Description (optional)")
                yield CappedTextArea(
                    description,
                    id="description",
                    soft_wrap=True,
                    max_length=DESCRIPTION_MAX,
                )
                yield Static("", id="description-note", classes="form-note", markup=False)
                yield Static("", id="description-error", classes="field-error", markup=False)
                with Horizontal(id="due-row"):
                    with Vertical(id="due-column"):
                        yield Label("Due (in words)")
                        yield Input(
                            start.due,
                            id="due",
                            placeholder="fri, tomorrow 9am, 24 dec",
                            select_on_focus=False,
                        )
                        yield Static("", id="due-preview", classes="form-note", markup=False)
                        yield Static("", id="due-error", classes="field-error", markup=False)
                    with Vertical(id="priority-column"):
                        yield Label("Priority")
                        yield Select(
                            PRIORITY_CHOICES,
                            # A kept draft's file may hold anything: only a choice is shown.
                            value=start.priority
                            if start.priority in dict(PRIORITY_CHOICES).values()
                            else "",
                            allow_blank=False,
                            id="priority",
                        )
                        yield Static("", id="priority-error", classes="field-error", markup=False)
                    with Vertical(id="tags-column"):
                        yield Label("Tags")
                        yield Input(
                            start.tags,
                            id="tags",
                            placeholder="home work",
                            suggester=self._suggester,
                            select_on_focus=False,
                        )
                        yield Static("", id="tags-error", classes="field-error", markup=False)
            with Horizontal(id="form-buttons", classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        show_errors(self, {})
        self.query_one("#description-note", Static).display = False
        self._count(self.query_one("#title", Input).value)
        self._preview_title()
        self._preview_due()
        # Not scrolled to the centre (what focus does): the heading and counter stay in sight.
        self.query_one("#title", Input).focus(scroll_visible=False)

    @on(Input.Changed, "#title")
    def _title_changed(self, event: Input.Changed) -> None:
        self._count(event.value)
        error = self.query_one("#title-error", Static)
        if error.display and title_problem(event.value) is None:
            error.display = False  # fixed (typed or pasted): the complaint goes

    @on(Input.Changed, "#title")
    def _title_read(self) -> None:
        self._preview_title()
        self._preview_due()  # the title's due: overrules the field

    @on(Input.Changed, "#due")
    def _due_changed(self) -> None:
        self.query_one("#due-error", Static).display = False
        self._preview_due()

    def _reading_arrived(self) -> None:
        self._preview_title()
        self._preview_due()
        if self._save_when_read:
            self._save_when_read = False
            self.action_save()

    def _preview_due(self) -> None:
        preview = self.query_one("#due-preview", Static)
        reading = self._read(self.query_one("#due", Input).value)
        quick = self._quick()
        overruled = reading is not None and quick is not None and bool(quick.due_text)
        preview.update(self._say(reading) + (OVERRULED if overruled else ""))
        preview.set_class(isinstance(reading, str), "-unreadable")
        preview.display = reading is not None

    def _preview_title(self) -> None:
        preview = self.query_one("#quick-preview", Static)
        quick = self._quick()
        raw = self.query_one("#title", Input).value
        tokens = quick and (quick.tags or quick.priority or quick.due_text or quick.problems)
        if not (tokens or (quick is not None and "\\" in raw)):
            preview.display = False  # nothing in it but a title
            return
        today = self._today()
        reading = self._read(quick.due_text) if quick.due_text else None
        problems = list(quick.problems)
        if isinstance(reading, str):
            problems.append(reading)
        due = reading if isinstance(reading, Due) else None
        text = QuickAdd(quick.title, quick.tags, quick.priority, quick.due_text, due).describe(
            today
        )
        if reading is NEEDS_PARSER:
            text += " · due …"
        preview.update("→ " + text + "".join(f"\n{p}" for p in problems))
        preview.set_class(bool(problems), "-unreadable")
        preview.display = True

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
        quick = self._quick()
        if problem := title_problem(title if quick is None else quick.title):
            show_errors(self, {"title": problem})
            self.query_one("#title", Input).focus(scroll_visible=False)
            return
        if quick is not None and quick.problems:
            show_errors(self, {"title": quick.problems[0]})
            return
        draft = self._to_save()
        due = self._read(draft.due)
        if due is NEEDS_PARSER:
            self._save_when_read = True  # the reading on its way saves when it comes
            return
        if isinstance(due, str):
            field = "title" if quick is not None and quick.due_text else "due"
            show_errors(self, {field: due})
            return
        self._save(version=self.todo.version if self.todo else 0)

    def _save(self, *, version: int) -> None:
        """Save what the form holds now, as an edit of `version` (or a new todo)."""
        self._send(self._to_save(), self.todo, self.client_key, version=version)
        self._unknown = None
        show_errors(self, {})
        self.set_class(True, "-busy")

    @work(exit_on_error=False)
    async def _send(
        self, draft: TodoDraft, todo: TodoRecord | None, key: str, *, version: int
    ) -> None:
        owner_id = self.user.id
        database = self.app.database
        assert database is not None
        sent: list[bool] = []  # made true once a connection is there to send the write

        def write(session) -> TodoRecord:
            session.connection()  # a failure before this: nothing was sent
            sent.append(True)
            if todo is None:
                return todos.add_todo(session, owner_id=owner_id, draft=draft, client_key=key)
            return todos.update_todo(
                session,
                owner_id=owner_id,
                todo_id=todo.id,
                version=version,
                draft=draft,
                # The tags at `version`, when known: unchanged, they cost no statement.
                seen_tags=todo.tags if version == todo.version else None,
            )

        try:
            # Retried: the key finds an insert that landed, an update recognises itself.
            record = await self.app.database_call(lambda: database.run(write, retry=True))
        except (InvalidInput, DatabaseFault) as failure:
            self._failed(failure, sent=(todo, version, draft) if sent else None)
            return
        if not self._holds(record):
            # What landed is not what the form holds now (typed while the save was on its
            # way, or an earlier attempt whose reply was lost): saved over it, as an edit.
            self.todo = record
            self._save(version=record.version)
            return
        self.dismiss(record)

    def _holds(self, record: TodoRecord) -> bool:
        """Whether `record` holds what the form holds, as stored."""
        return self._to_save().saved_in(record, self._today())

    # -- a save whose outcome is unknown ---------------------------------------------------

    def _outcome_unknown(self, failure: DatabaseFault, sent: Sent) -> None:
        """Say what is known, then ask the database whether the save landed."""
        reason = (
            "The database did not answer in time"
            if failure.kind is FaultKind.TIMED_OUT
            else "The connection was lost before the database answered"
        )
        show_errors(
            self,
            {"title": f"{reason}: this todo may be saved. Press ctrl+s — it is never saved twice."},
        )
        self._unknown = sent
        self._reconcile_tries = 0
        self._reconcile()

    def _reconcile(self) -> None:
        if self._unknown is None or self.has_class("-busy"):
            return  # settled, or a save is on its way: its answer settles it
        edited = self._unknown[0]
        owner_id, key = self.user.id, self.client_key
        self._reconcile_tries += 1

        self._look_up(edited, owner_id, key)

    @work(exclusive=True, exit_on_error=False)
    async def _look_up(self, edited: TodoRecord | None, owner_id: int, key: str) -> None:
        database = self.app.database
        assert database is not None

        def find(session) -> TodoRecord | None:
            if edited is None:
                return todos.get_by_client_key(session, owner_id=owner_id, client_key=key)
            return todos.get_todo(session, owner_id=owner_id, todo_id=edited.id)

        try:
            record = await self.app.database_call(lambda: database.run(find, retry=True))
        except (InvalidInput, DatabaseFault):
            # The database cannot be asked yet: ask again soon (bounded), the sentence stays.
            if self._reconcile_tries < RECONCILE_TRIES:
                self.set_timer(RECONCILE_EVERY, self._reconcile)
            return
        self._reconciled(record)

    def _reconciled(self, record: TodoRecord | None) -> None:
        if self._unknown is None or self.has_class("-busy"):
            return
        edited, version, draft = self._unknown
        # Not there, or not this save's doing: it may still land (a statement in flight),
        # so the sentence stays, and ctrl+s settles it.
        if record is None or (
            edited is not None
            and (record.version != todos.next_version(version) or not draft.saved_in(record))
        ):
            return
        self._unknown = None
        if self._holds(record):
            self.app.notify("Saved.", markup=False, timeout=4)
            self.dismiss(record)
            return
        self.todo = record  # saved as it was; what was typed since is an edit of it
        self.query_one(".form-title", Static).update("Edit todo")
        show_errors(
            self,
            {"title": "Saved as it was when you pressed ctrl+s; press ctrl+s to save the rest."},
        )

    def _failed(
        self,
        failure: InvalidInput | DatabaseFault,
        *,
        sent: Sent | None = None,
    ) -> None:
        self.set_class(False, "-busy")
        if (
            sent is not None
            and isinstance(failure, DatabaseFault)
            and failure.kind in OUTCOME_UNKNOWN
        ):
            self._outcome_unknown(failure, sent)
        elif isinstance(failure, TodoConflict):
            self.app.push_screen(
                ConflictDialog(self._to_save(), failure.current),
                lambda choice: self._resolved(choice, failure.current),
            )
        elif isinstance(failure, TodoNotFound) and self.todo is not None:
            self.todo = None  # the next save adds it back, under a key of its own
            self.client_key = secrets.token_hex(16)
            self.query_one(".form-title", Static).update("New todo (the original was deleted)")
            show_errors(
                self,
                {
                    "title": "This todo was deleted in another terminal. Your text is kept: "
                    "save to add it again, or press Escape to drop it."
                },
            )
        else:
            field = failure.field if failure.field in TodoDraft.names() else "title"
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
        typed = self._typed()
        if typed == TodoDraft.of(self.todo):
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        # What the user typed is not thrown away on one key press.
        self.app.push_screen(
            ConfirmDialog(
                "Discard your changes?",
                typed.title or typed.description,
                confirm="Discard",
                classes="-over-form",  # the form stays in sight behind the question
            ),
            answered,
        )
