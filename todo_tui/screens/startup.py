"""The first frame: which database, a busy indicator while connecting, then the schema check.

Imports Textual only; the database modules load on the database thread, after this has painted.
The Retry and Quit buttons are built only when the check fails: Button's styles and widgets
cost the first frame about 20 ms (benchmarks/), and an up-to-date start never shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, LoadingIndicator, Static

from todo_tui.widgets.dialog import DialogBody

if TYPE_CHECKING:
    from todo_tui.app import TodoApp
    from todo_tui.schema import SchemaStatus


def check_database(app: TodoApp) -> SchemaStatus:
    """Runs on the database thread: the imports the check needs, the engine, and the schema status.

    Only those: what logging in and the list need is imported once the login screen has
    been painted (LoginScreen.on_mount), so it does not delay it.
    """
    from todo_tui.db import Database
    from todo_tui.schema import schema_status

    if app.database is None:
        app.database = Database(app.settings)
    return schema_status(app.database)


class StartupScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "retry", "Retry", show=False),
        Binding("q,escape", "app.quit", "Quit", show=False),
    ]

    app: TodoApp

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="startup-box", classes="dialog"):
            with DialogBody(classes="dialog-body"):
                yield Static("Opening your todo list", id="startup-title")
                yield Static(self.app.settings.database.masked, id="startup-database", markup=False)
                yield LoadingIndicator(id="startup-busy")
                yield Static("Connecting…", id="startup-message", markup=False)
            # Its buttons come with a failure.
            yield Horizontal(id="startup-buttons", classes="buttons")
        yield Footer()

    def on_mount(self) -> None:
        # After the first frame is painted: the imports would compete with it.
        self.call_after_refresh(self.check)

    def check(self) -> None:
        self.set_class(False, "-failed")
        self.query_one("#startup-message", Static).update("Connecting…")
        self.app.call_database(
            self,
            lambda: check_database(self.app),
            done=self._checked,
            failed=lambda failure: self._failed(str(failure)),
        )

    def _checked(self, status: SchemaStatus) -> None:
        from todo_tui.schema import SchemaState
        from todo_tui.screens.schema_dialog import SchemaDialog

        if status.state is SchemaState.UP_TO_DATE:
            self.app.open_login()
        elif status.state is SchemaState.UNREACHABLE:
            self._failed(status.summary)
        else:
            self.query_one("#startup-message", Static).update(status.summary)
            self.app.push_screen(SchemaDialog(status), self._dialog_closed)

    def _dialog_closed(self, upgraded: bool | None) -> None:
        if upgraded:
            self.app.open_login()
        else:
            self.app.exit()

    def _failed(self, sentence: str) -> None:
        self.set_class(True, "-failed")
        self.query_one("#startup-message", Static).update(sentence)
        buttons = self.query_one("#startup-buttons", Horizontal)
        if not buttons.children:
            buttons.mount(Button("Retry", id="retry", variant="primary"), Button("Quit", id="quit"))
        self.query_one("#retry", Button).focus()

    def action_retry(self) -> None:
        if self.has_class("-failed"):
            self.check()

    @on(Button.Pressed, "#retry")
    def _retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit()
