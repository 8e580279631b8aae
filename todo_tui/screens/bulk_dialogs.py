"""The list's two small dialogs for the selected or marked todos: tags to add and remove,
and a due date in words (read like the form's Due field, dateparser only in a worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from todo_tui import bindings
from todo_tui.dates import NEEDS_PARSER, Due
from todo_tui.faults import InvalidInput
from todo_tui.screens.due_words import ReadsDueWords
from todo_tui.screens.todo_form import TagSuggester
from todo_tui.validation import TagEdit

if TYPE_CHECKING:
    from todo_tui.screens.host import Host


def _which(count: int) -> str:
    return f"the {count} marked todos" if count > 1 else "this todo"


class TagsDialog(ModalScreen[TagEdit | None]):
    """Tags to add (`work`) and to remove (`-home`) on `count` todos, completed from the
    user's `tags`; dismissed with the edit, None when cancelled."""

    BINDINGS = bindings.TAGS
    AUTO_FOCUS = "#tag-edit"

    def __init__(self, count: int, tags: list[str]) -> None:
        super().__init__()
        self.todo_count = count
        self.user_tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(id="tags-dialog", classes="dialog"):
            yield Static(f"Tag {_which(self.todo_count)}", classes="dialog-title", markup=False)
            yield Input(
                id="tag-edit",
                placeholder="work -home",
                suggester=TagSuggester(self.user_tags, removals=True),
            )
            yield Static("", id="tag-edit-error", classes="field-error", markup=False)
            yield Static(
                "A word adds that tag, -word removes it; → completes from your tags. "
                "Enter applies, Escape changes nothing.",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        self.query_one("#tag-edit-error", Static).display = False

    @on(Input.Changed, "#tag-edit")
    def _typed(self) -> None:
        self.query_one("#tag-edit-error", Static).display = False

    @on(Input.Submitted, "#tag-edit")
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            edit = TagEdit.read(event.value)
        except InvalidInput as bad:
            error = self.query_one("#tag-edit-error", Static)
            error.update(str(bad))
            error.display = True
            return
        self.dismiss(edit)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True, slots=True)
class NewDue:
    due: Due | None  # None: no due date


class DueDialog(ReadsDueWords, ModalScreen[NewDue | None]):
    """A due date in words for `count` todos, with the date it reads them as; empty clears
    it. Dismissed with the due, None when cancelled."""

    BINDINGS = bindings.DUE
    AUTO_FOCUS = "#due-words"

    app: Host

    def __init__(self, count: int, words: str = "") -> None:
        super().__init__()
        self.todo_count = count
        self.start_words = words
        self._readings = {}
        self._apply_when_read = False  # Enter pressed while dateparser was still reading

    def compose(self) -> ComposeResult:
        with Vertical(id="due-dialog", classes="dialog"):
            yield Static(
                f"Due date of {_which(self.todo_count)}", classes="dialog-title", markup=False
            )
            yield Input(self.start_words, id="due-words", placeholder="fri, tomorrow 9am, 24 dec")
            yield Static("", id="due-preview", markup=False)
            yield Static(
                "In words, as in the form; empty clears the due date. "
                "Enter applies, Escape changes nothing.",
                classes="dialog-note",
            )

    def on_mount(self) -> None:
        self._preview()

    @on(Input.Changed, "#due-words")
    def _preview(self) -> None:
        reading = self._read(self.query_one("#due-words", Input).value)
        preview = self.query_one("#due-preview", Static)
        preview.update(self._say(reading, none="→ no due date"))
        preview.set_class(isinstance(reading, str), "-unreadable")

    def _reading_arrived(self) -> None:
        self._preview()
        if self._apply_when_read:
            self._apply_when_read = False
            self._submitted()

    @on(Input.Submitted, "#due-words")
    def _submitted(self) -> None:
        reading = self._read(self.query_one("#due-words", Input).value)
        if reading is NEEDS_PARSER:
            self._apply_when_read = True  # the reading on its way applies when it comes
        elif reading is None or isinstance(reading, Due):
            self.dismiss(NewDue(reading))
        # else the preview says why the words name no date

    def action_cancel(self) -> None:
        self.dismiss(None)
