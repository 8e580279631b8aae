"""A save that met a newer version: show both and let the user choose."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from todo_tui import bindings
from todo_tui.records import TodoDraft, TodoRecord
from todo_tui.widgets.dialog import DialogBody, excerpt

KEEP_MINE = "mine"
TAKE_THEIRS = "theirs"


def describe(draft: TodoDraft, done: bool | None = None) -> str:
    """Every field of `draft`, one to a line: what the two sides are compared by."""
    state = "" if done is None else ("[done] " if done else "[not done] ")
    description = excerpt(draft.description) if draft.description else "(no description)"
    tags = " ".join(f"#{name}" for name in draft.tags.split()) or "none"
    return (
        f"{state}{excerpt(draft.title)}\n{description}\n"
        f"Due: {draft.due or 'none'}\nPriority: {draft.priority or 'none'}\nTags: {tags}"
    )


class ConflictDialog(ModalScreen[str | None]):
    """Dismissed with KEEP_MINE, TAKE_THEIRS or None (cancel: back to the form)."""

    BINDINGS = bindings.CONFLICT

    def __init__(self, mine: TodoDraft, theirs: TodoRecord) -> None:
        """`mine`: what the form holds; `theirs`: the todo as the database holds it now."""
        super().__init__()
        # Keeping mine saves its fields; done or not stays as saved, so both sides say so.
        self.mine = describe(mine, theirs.is_completed)
        self.theirs = describe(TodoDraft.of(theirs), theirs.is_completed)

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static("Changed in another terminal", id="conflict-title")
                yield Static(
                    "This todo was saved elsewhere after you opened it. Which version stays?",
                    id="conflict-explain",
                )
                with Horizontal(id="conflict-versions"):
                    with Vertical(classes="conflict-side"):
                        yield Static("Yours", classes="conflict-label")
                        yield Static(self.mine, id="conflict-mine", markup=False)
                    with Vertical(classes="conflict-side"):
                        yield Static("Theirs (saved)", classes="conflict-label")
                        yield Static(self.theirs, id="conflict-theirs", markup=False)
            with Horizontal(id="conflict-buttons", classes="buttons"):
                yield Button("Keep mine (k)", id="keep-mine", variant="primary")
                yield Button("Take theirs (t)", id="take-theirs")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#keep-mine", Button).focus()

    @on(Button.Pressed, "#keep-mine")
    def action_keep_mine(self) -> None:
        self.dismiss(KEEP_MINE)

    @on(Button.Pressed, "#take-theirs")
    def action_take_theirs(self) -> None:
        self.dismiss(TAKE_THEIRS)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
