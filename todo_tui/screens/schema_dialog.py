"""The launch-time offer: upgrade, adopt, or refuse, depending on the schema state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, LoadingIndicator, Static

from todo_tui.schema import Revision, SchemaState, SchemaStatus, upgrade_to_head
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.app import TodoApp

TITLES = {
    SchemaState.BEHIND: "Database upgrade needed",
    SchemaState.EMPTY: "New database",
    SchemaState.UNVERSIONED: "Database not created by todo-tui's migrations",
    SchemaState.AHEAD: "Database from a newer todo-tui",
}


class SchemaDialog(ModalScreen[bool]):
    """Dismissed with True once the database is at head, False to quit."""

    BINDINGS = [Binding("q,escape", "quit", "Quit", show=False)]

    app: TodoApp

    def __init__(self, status: SchemaStatus) -> None:
        super().__init__()
        self.status = status
        self.applied: list[Revision] = []

    def compose(self) -> ComposeResult:
        status = self.status
        with Vertical(id="schema-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static(TITLES[status.state], id="schema-title", markup=False)
                yield Static(
                    f"Database: {self.app.settings.database.masked}\n"
                    f"Current revision: {', '.join(status.current) or 'none'}\n"
                    f"This todo-tui needs: {status.head}",
                    id="schema-facts",
                    markup=False,
                )
                yield Static(status.summary, id="schema-summary", markup=False)
                yield Static(self._details(), id="schema-details", markup=False)
                yield LoadingIndicator(id="schema-busy")
                yield Static("", id="schema-error", markup=False)
            with Horizontal(id="schema-buttons", classes="buttons"):
                if self.status.can_upgrade:
                    label = (
                        "Adopt and upgrade"
                        if status.state is SchemaState.UNVERSIONED
                        else ("Create tables" if status.state is SchemaState.EMPTY else "Upgrade")
                    )
                    yield Button(label, id="upgrade", variant="primary")
                yield Button("Quit", id="quit")

    def _details(self) -> str:
        if self.status.differences:
            return "What differs:\n" + "\n".join(f"  • {d}" for d in self.status.differences)
        lines = []
        for revision in self.status.pending:
            mark = "✓" if revision in self.applied else "•"
            lines.append(f"  {mark} {revision.id}  {revision.message}")
        return ("Migrations to apply:\n" + "\n".join(lines)) if lines else ""

    def on_mount(self) -> None:
        self.query_one("#upgrade" if self.status.can_upgrade else "#quit", Button).focus()

    @on(Button.Pressed, "#upgrade")
    def upgrade(self) -> None:
        self.set_class(True, "-busy")
        self.set_class(False, "-failed")
        self.query_one("#schema-buttons").display = False
        adopt = self.status.state is SchemaState.UNVERSIONED

        def work() -> SchemaStatus:
            assert self.app.database is not None
            return upgrade_to_head(
                self.app.database,
                lambda rev: self.app.call_from_thread(self._applied, rev),
                adopt=adopt,
            )

        self.app.call_database(self, work, done=self._upgraded, failed=self._upgrade_failed)

    def _applied(self, revision: Revision) -> None:
        self.applied.append(revision)
        self.query_one("#schema-details", Static).update(self._details())

    def _upgraded(self, status: SchemaStatus) -> None:
        if status.state is SchemaState.UP_TO_DATE:
            self.dismiss(True)
        else:  # applied, but then found otherwise (another todo-tui, or unreachable)
            self._upgrade_failed(status.summary, unchanged=False)

    def _upgrade_failed(self, failure: Exception | str, *, unchanged: bool = True) -> None:
        self.applied.clear()
        self.set_class(False, "-busy")
        self.set_class(True, "-failed")
        suffix = " The schema is unchanged: nothing was applied." if unchanged else ""
        self.query_one("#schema-error", Static).update(f"{failure}{suffix}")
        self.query_one("#schema-details", Static).update(self._details())
        self.query_one("#schema-buttons").display = True
        if self.status.can_upgrade:
            upgrade = self.query_one("#upgrade", Button)
            upgrade.label = "Retry"
            upgrade.focus()

    @on(Button.Pressed, "#quit")
    def action_quit(self) -> None:
        if not self.has_class("-busy"):
            self.dismiss(False)
