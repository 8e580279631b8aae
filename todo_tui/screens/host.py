"""What a screen may ask of the app that runs it: its settings, clock and database, the
database thread, the way back to the UI thread, and Textual's own screen calls.

Screens declare `app: Host` instead of importing the app, so the app imports the screens and
never the other way round. TodoApp provides every member named here (tests/test_host.py).
Standard library and Textual only, at run time: the first screen imports this.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen
    from textual.signal import Signal

    from todo_tui.config import Settings
    from todo_tui.database_thread import DatabaseThread
    from todo_tui.db import Database
    from todo_tui.faults import DatabaseFault, InvalidInput
    from todo_tui.sessions import StartedSession

T = TypeVar("T")


@runtime_checkable
class Host(Protocol):
    settings: Settings
    clock: Callable[[], datetime]
    # Made on the database thread by open_database(); None until the launch check has run.
    database: Database | None
    # The login session of the user logged in (None: nobody, or none could be made).
    login: StartedSession | None
    # Published on every key press and click.
    input_signal: Signal[None]
    # config.toml's [defaults] (view, sort, theme), read after the first frame.
    user_defaults: dict[str, str]
    theme: str
    theme_changed_signal: Signal[Any]

    @property
    def available_themes(self) -> dict[str, Any]: ...

    @property
    def keymap_in_force(self) -> dict[str, str]:
        """Binding id -> keys, for the bindings the user's keymap changed."""
        ...

    def get_key_display(self, binding: Any) -> str: ...

    @property
    def database_thread(self) -> DatabaseThread: ...

    def open_database(self) -> Database:
        """On the database thread: the app's `Database`, made from the settings."""
        ...

    async def database_call(self, work: Callable[[], T]) -> T:
        """`work` on the database thread, in order; its result (or fault) back here."""
        ...

    def on_ui(self, callback: Callable[..., object], *arguments: object) -> None:
        """From any thread: `callback(*arguments)` soon on the UI loop."""
        ...

    def idle_for(self) -> float:
        """Seconds since the last key press or click."""
        ...

    def keep_draft(self) -> None:
        """The text of an open todo form, kept for the next launch to offer back."""
        ...

    def show_failure(self, failure: InvalidInput | DatabaseFault) -> None:
        """One sentence for a failure, as an error notification."""
        ...

    # Textual's App calls the screens make.
    def push_screen(
        self, screen: Screen[Any], callback: Any = None, wait_for_dismiss: bool = False
    ) -> Any: ...

    def exit(self, result: Any = None, return_code: int = 0) -> None: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...
