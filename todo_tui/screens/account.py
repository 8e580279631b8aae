"""The account's actions on the list screen: log out, change password, sessions, log out
everywhere, delete account (in the command palette); and noticing, within a minute, that
this terminal's session was ended elsewhere.

A mixin of TodoListScreen, so the list module keeps to the list.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work

from todo_tui import drafts, tokens
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.messages import LoggedOut
from todo_tui.screens.confirm import ConfirmDialog

if TYPE_CHECKING:
    from todo_tui.records import UserRecord
    from todo_tui.screens.host import Host
    from todo_tui.sessions import SessionRecord

# How often an open terminal asks whether its session still stands (one tiny SELECT),
# while someone uses it; after a pause, the first key press asks at once.
SESSION_CHECK_EVERY = 30.0
AWAY_AFTER = 60.0  # no key press for this long: no more checks until the next one
ENDED_ELSEWHERE = (
    "You were logged out: this session was ended elsewhere (a log out everywhere, a "
    "password change or a revoke). Anything you were typing is kept."
)
LOGGED_OUT_OFFLINE = (
    "Logged out on this computer. The database could not be reached, so the session stays "
    "in Sessions until it expires or is revoked from another terminal."
)


class AccountActions:
    """Needs `user`, `app` and a running screen (see TodoListScreen)."""

    # (title, help, action): the app puts these in the command palette.
    ACCOUNT_COMMANDS = (
        (
            "Change password",
            "Change your password; every other place you are logged in is logged out",
            "change_password",
        ),
        ("Sessions", "Where this account is logged in: last used, and revoke", "sessions"),
        (
            "Log out everywhere",
            "End every session of this account, this computer's included",
            "log_out_everywhere",
        ),
        ("Delete account", "Delete this account and all of its todos", "delete_account"),
    )

    app: Host
    user: UserRecord

    def _follow_session(self) -> None:
        """From on_mount: check the session every SESSION_CHECK_EVERY while in use."""
        self._session_checked_at = time.monotonic()
        self._session_checking = False
        self._session_over = False
        self.set_interval(SESSION_CHECK_EVERY, self._session_tick)  # type: ignore[attr-defined]
        self.app.input_signal.subscribe(self, self._session_user_back)  # type: ignore[arg-type]

    def _session_tick(self) -> None:
        if self.app.idle_for() < AWAY_AFTER:
            self._check_session()

    def _session_user_back(self, _: None) -> None:
        if time.monotonic() - self._session_checked_at >= SESSION_CHECK_EVERY:
            self._check_session()

    def _check_session(self) -> None:
        login = self.app.login
        if login is None or self._session_checking or self._session_over:
            return
        self._session_checking = True
        self._session_checked_at = time.monotonic()
        self._ask_session(login.id)

    @work(exit_on_error=False)
    async def _ask_session(self, session_id: int) -> None:
        database = self.app.database
        assert database is not None

        def ask() -> bool:
            from todo_tui import sessions

            return database.run(lambda s: sessions.is_active(s, session_id=session_id))

        try:
            active = await self.app.database_call(ask)
        except (InvalidInput, DatabaseFault):
            return  # offline: the change feed says so; the next check asks again
        finally:
            self._session_checking = False
        login = self.app.login
        if not active and login is not None and login.id == session_id:
            self.session_ended(ENDED_ELSEWHERE)

    def session_ended(self, notice: str | None) -> None:
        """To log in, keeping the text of an open form as a draft the list offers back."""
        if self._session_over:
            return
        self._session_over = True
        self.app.keep_draft()
        tokens.discard(self.app.settings.database)
        self.post_message(LoggedOut(notice))  # type: ignore[attr-defined]

    # -- log out -----------------------------------------------------------------------------

    def action_log_out(self) -> None:
        self._log_out()

    @work(exit_on_error=False)
    async def _log_out(self) -> None:
        """The session's row goes and the token file with it: a copy of it is worthless."""
        login, database = self.app.login, self.app.database
        tokens.discard(self.app.settings.database)
        notice = None
        if login is not None and database is not None:

            def end() -> None:
                from todo_tui import sessions

                database.run(lambda s: sessions.end(s, session_id=login.id), retry=True)

            try:
                await self.app.database_call(end)
            except (InvalidInput, DatabaseFault):
                notice = LOGGED_OUT_OFFLINE
        self.post_message(LoggedOut(notice))  # type: ignore[attr-defined]

    # -- the palette's account commands ------------------------------------------------------

    def action_change_password(self) -> None:
        from todo_tui.screens.change_password import ChangePasswordDialog

        def changed(ended: int | None) -> None:
            if ended is None:
                return
            others = "no other session" if ended == 0 else f"{ended} other session(s)"
            self.notify(  # type: ignore[attr-defined]
                f"Password changed; {others} logged out.", markup=False, timeout=6
            )

        login = self.app.login
        self.app.push_screen(ChangePasswordDialog(self.user, login.id if login else None), changed)

    @work(exit_on_error=False)
    async def action_sessions(self) -> None:
        from todo_tui.screens.sessions_dialog import SessionsDialog

        listed = await self._sessions()

        def closed(result: str | None) -> None:
            if result == SessionsDialog.LOGGED_OUT:
                self.action_log_out()

        current = self.app.login.id if self.app.login else None
        self.app.push_screen(SessionsDialog(self.user, listed, current), closed)

    async def _sessions(self) -> list[SessionRecord]:
        database, user_id = self.app.database, self.user.id
        current = self.app.login.id if self.app.login else None
        now = self.app.clock()  # the clock the dialog tells "how long ago" by
        assert database is not None

        def listing() -> list[SessionRecord]:
            from todo_tui import sessions

            return database.run(
                lambda s: sessions.list_sessions(s, user_id=user_id, current_id=current, now=now),
                retry=True,
            )

        return await self.app.database_call(listing)

    def action_log_out_everywhere(self) -> None:
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._log_out_everywhere()

        self.app.push_screen(
            ConfirmDialog(
                "Log out everywhere?",
                "Every terminal and computer logged in to this account, this one included, "
                "will have to log in again.",
                confirm="Log out everywhere",
            ),
            answered,
        )

    @work(exit_on_error=False)
    async def _log_out_everywhere(self) -> None:
        database, user_id = self.app.database, self.user.id
        assert database is not None

        def revoke() -> int:
            from todo_tui import sessions

            return database.run(lambda s: sessions.revoke_all(s, user_id=user_id), retry=True)

        ended = await self.app.database_call(revoke)
        tokens.discard(self.app.settings.database)
        self.post_message(  # type: ignore[attr-defined]
            LoggedOut(f"Logged out everywhere: {ended} session(s) ended.")
        )

    @work(exit_on_error=False)
    async def action_delete_account(self) -> None:
        from todo_tui.screens.delete_account import DeleteAccountDialog

        database, user_id = self.app.database, self.user.id
        assert database is not None

        def count() -> int:
            from todo_tui import sessions

            return database.run(lambda s: sessions.todo_count(s, user_id=user_id), retry=True)

        todo_count = await self.app.database_call(count)

        def deleted(count: int | None) -> None:
            if count is None:
                return
            where = self.app.settings.database
            tokens.discard(where)
            drafts.discard(where, user_id)
            todos = "todo" if count == 1 else "todos"
            self.post_message(  # type: ignore[attr-defined]
                LoggedOut(f"The account {self.user.email} and its {count} {todos} were deleted.")
            )

        self.app.push_screen(DeleteAccountDialog(self.user, todo_count), deleted)
