"""What the screens tell the app: the app-wide messages, in the past tense.

Screens post these instead of calling up into the app, which decides the screen flow.
Textual and the records only: the first frame imports this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from todo_tui.records import UserRecord
    from todo_tui.sessions import StartedSession


class SchemaReady(Message):
    """The database is reachable and its schema at head, and no saved log in opened a
    session: the login screen comes next, with `notice` (why the saved one did not) if any."""

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self.notice = notice


class LoggedIn(Message):
    """`user` has logged in (or just created the account, or a saved log in resumed):
    their list comes next. `session`: the login session it opened (None: none was made);
    `kept`: its token is in this device's token file; `notice`: one line to show (why
    staying logged in did not work)."""

    def __init__(
        self,
        user: UserRecord,
        session: StartedSession | None = None,
        *,
        kept: bool = False,
        notice: str | None = None,
    ) -> None:
        super().__init__()
        self.user = user
        self.session = session
        self.kept = kept
        self.notice = notice


class LoggedOut(Message):
    """The user has logged out (or was, elsewhere): the login screen comes next, saying
    `notice` if there is one."""

    def __init__(self, notice: str | None = None) -> None:
        super().__init__()
        self.notice = notice


class WorkFailed(Message):
    """A screen's worker raised what its action did not expect: the app says so."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


class ReportsWorkFailures:
    """For a screen whose actions run in workers: a failure none of them expected goes to
    the app's one handler (a worker's state change reaches only its own screen)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.post_message(WorkFailed(event.worker.error))  # type: ignore[attr-defined]
