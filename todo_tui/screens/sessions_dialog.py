"""Sessions: where this account is logged in, this device first, with when each was last
used; `d` revokes the selected one (this device's: a log out), `r` renames it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from todo_tui import bindings
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.messages import ReportsWorkFailures
from todo_tui.models import SESSION_LABEL_MAX
from todo_tui.widgets.capped import CappedInput

if TYPE_CHECKING:
    from todo_tui.records import UserRecord
    from todo_tui.screens.host import Host
    from todo_tui.sessions import SessionRecord


def ago(when: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 days ago': how long since `when`."""
    seconds = max(0, int((now - when).total_seconds()))
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


class SessionsDialog(ReportsWorkFailures, ModalScreen[str | None]):
    """Dismissed with LOGGED_OUT when this device's session was revoked, else None."""

    LOGGED_OUT = "logged-out"
    BINDINGS = bindings.SESSIONS
    AUTO_FOCUS = "#sessions-table"

    app: Host

    def __init__(
        self, user: UserRecord, listed: list[SessionRecord], current_id: int | None
    ) -> None:
        super().__init__()
        self.user = user
        self.listed = {record.id: record for record in listed}
        self.current_id = current_id

    def compose(self) -> ComposeResult:
        with Vertical(id="sessions-dialog", classes="dialog"):
            yield Static("Sessions", classes="dialog-title")
            yield Static(
                f"Where {self.user.email} is logged in. d revokes the selected one: it must "
                "log in again. r renames it.",
                classes="dialog-note",
                markup=False,
            )
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="buttons"):
                yield Button("Revoke (d)", id="revoke", variant="error")
                yield Button("Rename (r)", id="rename")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Device", key="label")
        table.add_column("Last used", key="used")
        table.add_column("Logged in", key="since")
        now = self.app.clock()
        for record in self.listed.values():
            table.add_row(
                self._label(record),
                "now" if record.current else ago(record.last_used_at, now),
                ago(record.created_at, now),
                key=str(record.id),
            )

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.listed or table.cursor_row is None:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return int(str(key.value))

    def _label(self, record: SessionRecord) -> Text:
        label = Text(record.label)  # whatever a label holds is never markup
        if record.current:
            label.append("  (this device)", style="bold")
        return label

    def action_revoke(self) -> None:
        session_id = self._selected()
        if session_id is None:
            return
        if session_id == self.current_id:
            self.dismiss(self.LOGGED_OUT)
            return
        self._revoke(session_id)

    @on(Button.Pressed, "#revoke")
    def _revoke_pressed(self) -> None:
        self.action_revoke()

    @work(exit_on_error=False)
    async def _revoke(self, session_id: int) -> None:
        database, user_id = self.app.database, self.user.id
        assert database is not None

        def revoke() -> bool:
            from todo_tui import sessions

            return database.run(
                lambda s: sessions.revoke(s, user_id=user_id, session_id=session_id), retry=True
            )

        try:
            await self.app.database_call(revoke)
        except (InvalidInput, DatabaseFault) as failure:
            self.app.show_failure(failure)
            return
        record = self.listed.pop(session_id)
        self.query_one(DataTable).remove_row(str(session_id))
        self.notify(f"Revoked: {record.label}.", markup=False, timeout=4)

    @on(Button.Pressed, "#rename")
    def action_rename(self) -> None:
        session_id = self._selected()
        if session_id is None:
            return
        record = self.listed[session_id]

        def named(label: str | None) -> None:
            if label is not None and label != record.label:
                self._rename(session_id, label)

        self.app.push_screen(RenameDialog(record.label), named)

    @work(exit_on_error=False)
    async def _rename(self, session_id: int, label: str) -> None:
        database, user_id = self.app.database, self.user.id
        assert database is not None

        def rename() -> str | None:
            from todo_tui import sessions

            return database.run(
                lambda s: sessions.rename(s, user_id=user_id, session_id=session_id, label=label),
                retry=True,
            )

        try:
            kept = await self.app.database_call(rename)
        except (InvalidInput, DatabaseFault) as failure:
            self.app.show_failure(failure)
            return
        if kept is None:
            self.notify("That session has ended meanwhile.", markup=False, timeout=4)
            return
        record = self.listed[session_id] = replace(self.listed[session_id], label=kept)
        self.query_one(DataTable).update_cell(str(session_id), "label", self._label(record))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class RenameDialog(ModalScreen[str | None]):
    """A new name for a device: Enter keeps it, Escape leaves the old one."""

    BINDINGS = bindings.RENAME
    AUTO_FOCUS = "#session-label"

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(id="rename-dialog", classes="dialog"):
            yield Static("Rename this device", classes="dialog-title")
            yield CappedInput(self.label, id="session-label", max_length=SESSION_LABEL_MAX)
            yield Static("Enter keeps the new name, Escape the old one.", classes="dialog-note")

    @on(Input.Submitted, "#session-label")
    def _named(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
