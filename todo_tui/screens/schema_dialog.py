"""The launch-time offer for a database that already exists: upgrade, adopt, or refuse.

It says in words what will change (each migration's `description`), the revision ids only
as details; for a SQLite file it offers a backup copy first. (A SQLite file the app has just
made gets its tables without this dialog: see startup.check_schema.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, LoadingIndicator, Static

from todo_tui import bindings
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.messages import ReportsWorkFailures
from todo_tui.schema import (
    LEGACY_VERSION_TABLE,
    VERSION_TABLE,
    Revision,
    SchemaState,
    SchemaStatus,
    backup_sqlite,
    upgrade_to_head,
)
from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from datetime import date

    from todo_tui.screens.host import Host

TITLES = {
    SchemaState.BEHIND: "Database upgrade needed",
    SchemaState.EMPTY: "New database",
    SchemaState.UNVERSIONED: "Database not created by todo-tui's migrations",
    SchemaState.AHEAD: "Database from a newer todo-tui",
}
MOVE_RECORD = (
    f"Moves todo-tui's record of its migrations from the table {LEGACY_VERSION_TABLE}, which "
    f"other applications may share, to a table of its own, {VERSION_TABLE}."
)
ONE_TRANSACTION = "All in one transaction: if any step fails, nothing is changed."


class SchemaDialog(ReportsWorkFailures, ModalScreen[bool]):
    """Dismissed with True once the database is at head, False to quit."""

    BINDINGS = bindings.SCHEMA

    app: Host

    def __init__(self, status: SchemaStatus) -> None:
        super().__init__()
        self.status = status
        self.applied: list[Revision] = []

    def compose(self) -> ComposeResult:
        status = self.status
        with Vertical(id="schema-dialog", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static(TITLES[status.state], id="schema-title", markup=False)
                yield Static(self._facts(), id="schema-facts", markup=False)
                yield Static(self._intro(), id="schema-summary", markup=False)
                yield Static(self._details(), id="schema-details", markup=False)
                if self.offers_backup:
                    yield Static(
                        "You can first make a copy of the file, next to it.",
                        id="schema-backup",
                        classes="schema-note",
                        markup=False,
                    )
                yield LoadingIndicator(id="schema-busy")
                yield Static("", id="schema-error", markup=False)
            with Horizontal(id="schema-buttons", classes="buttons"):
                if status.can_upgrade:
                    yield Button(self._upgrade_label(), id="upgrade", variant="primary")
                if self.offers_backup:
                    yield Button("Back up first", id="backup")
                yield Button("Quit", id="quit")

    @property
    def offers_backup(self) -> bool:
        """A SQLite file with todo-tui's tables in it, about to be changed."""
        return (
            self.app.settings.database.is_sqlite
            and self.status.can_upgrade
            and self.status.state is not SchemaState.EMPTY
        )

    def _upgrade_label(self) -> str:
        match self.status.state:
            case SchemaState.UNVERSIONED:
                return "Adopt and upgrade"
            case SchemaState.EMPTY:
                return "Create tables"
            case _:
                return "Upgrade"

    def _facts(self) -> str:
        facts = f"Database: {self.app.settings.database.masked}"
        status = self.status
        start = ", ".join(status.current) or status.adoptable
        if start and status.can_upgrade:
            facts += f"\nRevision {start}" + (f" → {status.head}" if start != status.head else "")
        return facts

    def _intro(self) -> str:
        status = self.status
        match status.state:
            case SchemaState.EMPTY:
                return (
                    "This database has no todo-tui tables yet. todo-tui will create them, "
                    "and leave anything else in it as it is:"
                )
            case SchemaState.BEHIND:
                return (
                    "An older todo-tui set up this database. Upgrading keeps every account "
                    "and todo, and:"
                )
            case SchemaState.UNVERSIONED if status.adoptable:
                return (
                    "This database has todo-tui's tables, made without its migrations. They "
                    f"are exactly those of revision {status.adoptable}, so todo-tui can record "
                    "that, keep every row, and then:"
                )
            case _:
                return status.summary

    def _details(self) -> str:
        status = self.status
        if status.differences:
            closest = f" (revision {status.closest})" if status.closest else ""
            return f"How the tables differ from what todo-tui makes{closest}:\n" + "\n".join(
                f"• {difference}" for difference in status.differences
            )
        if not status.can_upgrade:
            return ""
        lines = [f"• {MOVE_RECORD}"] if status.legacy else []
        for revision in status.pending:
            mark = "✓" if revision in self.applied else "•"
            lines.append(f"{mark} {revision.description or revision.message} ({revision.id})")
        if not lines:
            lines.append("• Records it; nothing else changes.")
        return "\n".join([*lines, "", ONE_TRANSACTION])

    def on_mount(self) -> None:
        details = self.query_one("#schema-details", Static)
        details.display = bool(self._details())
        self.query_one("#upgrade" if self.status.can_upgrade else "#quit", Button).focus()

    @on(Button.Pressed, "#backup")
    def backup(self) -> None:
        button = self.query_one("#backup", Button)
        button.disabled = True
        status = self.status
        label = status.current[0] if status.current else "unversioned"
        today = self.app.clock().astimezone().date()
        self._back_up(label, today)

    @work(exclusive=True, exit_on_error=False)
    async def _back_up(self, label: str, today: date) -> None:
        database = self.app.database
        assert database is not None
        try:
            path = await self.app.database_call(
                lambda: backup_sqlite(database, label=label, today=today)
            )
        except (InvalidInput, DatabaseFault) as failure:
            self.query_one("#schema-backup", Static).update(f"{failure} Nothing was changed.")
            self.query_one("#backup", Button).disabled = False
            return
        self.query_one("#schema-backup", Static).update(f"Backed up to {path}")
        self.query_one("#backup", Button).label = "Backed up"
        self.query_one("#upgrade", Button).focus()

    @on(Button.Pressed, "#upgrade")
    def upgrade(self) -> None:
        self.set_class(True, "-busy")
        self.set_class(False, "-failed")
        self.query_one("#schema-buttons").display = False
        self._upgrade(adopt=self.status.state is SchemaState.UNVERSIONED)

    @work(exclusive=True, exit_on_error=False)
    async def _upgrade(self, *, adopt: bool) -> None:
        database = self.app.database
        assert database is not None

        def upgrade() -> SchemaStatus:
            return upgrade_to_head(
                database, lambda rev: self.app.on_ui(self._applied, rev), adopt=adopt
            )

        try:
            status = await self.app.database_call(upgrade)
        except (InvalidInput, DatabaseFault) as failure:
            self._upgrade_failed(failure)
            return
        if status.state is SchemaState.UP_TO_DATE:
            self.dismiss(True)
        else:  # applied, but then found otherwise (another todo-tui, or unreachable)
            self._upgrade_failed(status.summary, unchanged=False)

    def _applied(self, revision: Revision) -> None:
        if not self.is_attached:  # the app has ended meanwhile
            return
        self.applied.append(revision)
        self.query_one("#schema-details", Static).update(self._details())

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
