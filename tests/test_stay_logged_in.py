"""Staying logged in, through the app, on both databases, with real files in a temporary
home: the relaunch without password, log out, each way a session ends elsewhere (noticed
within the check interval, the open form's text kept), the account commands, and the bad
token files and data directories a launch can meet."""

from __future__ import annotations

import shutil
import stat
import threading
from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input, Static

import todo_tui.screens.account
from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    eventually,
    fill,
    log_in,
    make_app,
    notices,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui import drafts, sessions, tokens
from todo_tui.db import Database
from todo_tui.screens.account import ENDED_ELSEWHERE
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.widgets.todo_table import TodoTable


def login_shown(pilot) -> bool:
    """The log-in screen is the screen, and has been composed (its fields are there)."""
    return screen_name(pilot) == "LoginScreen" and bool(pilot.app.screen.query("#login-notice"))


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "home" / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"


def session_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM login_session").scalar()


class Screens:
    """The names of the screens the app shows, in order, from the moment it is watched."""

    def __init__(self, app) -> None:
        self.seen: list[str] = []
        app.screen_change_signal.subscribe(
            app, lambda screen: self.seen.append(type(screen).__name__), immediate=True
        )


async def test_log_in_stays_logged_in_and_the_relaunch_needs_no_password(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    add(database, user, "Buy milk")
    where = database.settings.database
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert pilot.app.screen.query_one("#stay", Checkbox).value is True  # on by default
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
    path = tokens.token_path(where)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert session_count(database) == 1  # kept: quitting does not end it

    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        screens = Screens(app)
        await settle(pilot)
        await eventually(pilot, lambda: screen_name(pilot) == "TodoListScreen", "the list")
        await settle(pilot)
        assert "LoginScreen" not in screens.seen
        assert app.screen.sub_title == EMAIL
        assert [t.title for t in app.screen.query_one(TodoTable).all_todos] == ["Buy milk"]
        assert app.login is not None and app.login_kept
    assert session_count(database) == 1


async def test_without_stay_logged_in_the_session_ends_with_the_app(
    database: Database, config_dir: Path
) -> None:
    register(database)
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#stay", Checkbox).value = False
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        assert session_count(database) == 1  # in Sessions while it runs
        assert not tokens.token_path(database.settings.database).exists()
    app.finish_database_work()
    assert session_count(database) == 0

    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        # The email is remembered, and the password is what is left to type.
        assert app.screen.query_one("#email", Input).value == EMAIL
        assert app.focused is app.screen.query_one("#password", Input)


async def test_log_out_deletes_the_session_and_the_file_and_a_copy_is_worthless(
    database: Database, config_dir: Path, tmp_path: Path
) -> None:
    register(database)
    where = database.settings.database
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        copy = tmp_path / "copy.json"
        shutil.copy2(tokens.token_path(where), copy)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        assert app.screen.query_one("#email", Input).value == EMAIL
    assert session_count(database) == 0
    assert not tokens.token_path(where).exists()

    shutil.copy2(copy, tokens.token_path(where))  # the copy, put back
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await eventually(pilot, lambda: login_shown(pilot), "log in")
        notice = app.screen.query_one("#login-notice", Static)
        assert notice.display and str(notice.render()) == sessions.ENDED
    assert not tokens.token_path(where).exists()


def revoke_all(database: Database, user) -> None:
    database.run(lambda s: sessions.revoke_all(s, user_id=user.id))


def change_password(database: Database, user) -> None:
    database.run(
        lambda s: sessions.change_password(
            s,
            user_id=user.id,
            current=PASSWORD,
            new="another password",
            rounds=4,
            keep_session_id=None,
        )
    )


def revoke_newest(database: Database, user) -> None:
    [newest, *_] = database.run(
        lambda s: sessions.list_sessions(s, user_id=user.id, current_id=None)
    )
    database.run(lambda s: sessions.revoke(s, user_id=user.id, session_id=newest.id))


ELSEWHERE = {
    "log-out-everywhere": (revoke_all, PASSWORD),
    "password-change": (change_password, "another password"),
    "revoke": (revoke_newest, PASSWORD),
}


@pytest.mark.parametrize("how", ELSEWHERE)
async def test_a_session_ended_elsewhere_goes_to_log_in_keeping_the_form_text(
    database: Database, config_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setattr(todo_tui.screens.account, "SESSION_CHECK_EVERY", 0.2)
    user = register(database)
    end_it, password_after = ELSEWHERE[how]
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await pilot.press("a")
        await settle(pilot)
        await fill(pilot, "#title", "Half-typed when it ended")
        assert screen_name(pilot) == "TodoForm"

        end_it(database, user)  # the other terminal
        await eventually(pilot, lambda: login_shown(pilot), "log in", 5)
        notice = app.screen.query_one("#login-notice", Static)
        assert str(notice.render()) == ENDED_ELSEWHERE
        assert len(app.screen_stack) == 2  # no form or dialog left over it
        kept = drafts.load(database.settings.database, user.id)
        assert kept is not None and kept.text.title == "Half-typed when it ended"
        assert not tokens.token_path(database.settings.database).exists()

        await log_in(pilot, EMAIL, password_after)
        await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        assert app.screen.question == "Restore the todo you were writing?"
    assert stored(database, user) == []  # nothing saved behind the user's back


async def test_an_account_deleted_elsewhere_goes_to_log_in(
    database: Database, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(todo_tui.screens.account, "SESSION_CHECK_EVERY", 0.2)
    user = register(database)
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        database.run(lambda s: sessions.delete_account(s, user_id=user.id, password=PASSWORD))
        await eventually(pilot, lambda: login_shown(pilot), "log in", 5)
        await settle(pilot)
        assert str(app.screen.query_one("#login-notice", Static).render()) == ENDED_ELSEWHERE


async def test_the_email_typed_on_log_in_goes_over_to_create_account(
    database: Database, config_dir: Path
) -> None:
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await fill(pilot, "#email", "new@example.com")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert screen_name(pilot) == "RegisterScreen"
        assert app.screen.query_one("#email", Input).value == "new@example.com"
        assert app.focused is app.screen.query_one("#password", Input)
        await fill(pilot, "#password", PASSWORD)
        await fill(pilot, "#confirm", PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert app.login is not None and app.login_kept  # an account made stays logged in
    assert session_count(database) == 1


# -- the account commands ---------------------------------------------------------------


async def test_change_password_keeps_this_session_and_ends_the_others(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    elsewhere = database.run(lambda s: sessions.create(s, user=user, label="elsewhere"))
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await app.screen.run_action("change_password")
        await settle(pilot)
        await fill(pilot, "#current", "not the password")
        await fill(pilot, "#new", "a brand new one")
        await fill(pilot, "#confirm", "a brand new one")
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "ChangePasswordDialog"  # refused, text kept
        error = app.screen.query_one("#current-error", Static)
        assert str(error.render()) == sessions.WRONG_PASSWORD
        assert app.screen.query_one("#new", Input).value == "a brand new one"
        await fill(pilot, "#current", PASSWORD)
        await pilot.press("enter")  # from the current password: on to the next field
        await fill(pilot, "#confirm", "a brand new one")
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
        assert "Password changed; 1 other session(s) logged out." in notices(app)
        assert database.run(lambda s: sessions.is_active(s, session_id=app.login.id))
    assert not database.run(lambda s: sessions.is_active(s, session_id=elsewhere.id))


async def test_sessions_lists_this_device_first_and_revokes(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    other = database.run(lambda s: sessions.create(s, user=user, label="the desktop"))
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await app.screen.run_action("sessions")
        await settle(pilot)
        assert screen_name(pilot) == "SessionsDialog"
        listed = list(app.screen.listed.values())
        assert [r.current for r in listed] == [True, False]
        assert listed[1].label == "the desktop"
        await pilot.press("down", "d")
        await settle(pilot)
        assert list(app.screen.listed) == [listed[0].id]
        assert not database.run(lambda s: sessions.is_active(s, session_id=other.id))
        await pilot.press("up", "d")  # this device's own: a log out
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
    assert session_count(database) == 0


async def test_a_session_is_renamed_from_the_sessions_list(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    other = database.run(lambda s: sessions.create(s, user=user, label="the desktop"))
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await app.screen.run_action("sessions")
        await settle(pilot)
        dialog = app.screen
        await pilot.press("down", "r")
        await settle(pilot)
        assert screen_name(pilot) == "RenameDialog"
        label = app.screen.query_one("#session-label", Input)
        assert label.value == "the desktop"
        label.value = ""
        await pilot.press(*"[b]attic[/b] pc", "enter")
        await settle(pilot)
        assert app.screen is dialog
        assert dialog.listed[other.id].label == "[b]attic[/b] pc"  # as typed, never markup
        cell = dialog.query_one(DataTable).get_cell(str(other.id), "label")
        assert str(cell) == "[b]attic[/b] pc"
    listed = database.run(lambda s: sessions.list_sessions(s, user_id=user.id, current_id=None))
    assert {r.id: r.label for r in listed}[other.id] == "[b]attic[/b] pc"


async def test_log_out_everywhere(database: Database, config_dir: Path) -> None:
    user = register(database)
    database.run(lambda s: sessions.create(s, user=user, label="elsewhere"))
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await app.screen.run_action("log_out_everywhere")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        text = str(app.screen.query_one("#login-notice", Static).render())
        assert text == "Logged out everywhere: 2 session(s) ended."
    assert session_count(database) == 0
    assert not tokens.token_path(database.settings.database).exists()


async def test_delete_account_asks_the_password_and_says_what_went(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    for title in ("one", "two"):
        add(database, user, title)
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await app.screen.run_action("delete_account")
        await settle(pilot)
        assert "and its 2 todos" in str(app.screen.query_one("#delete-account-what").render())
        await fill(pilot, "#password", "wrong password")
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "DeleteAccountDialog"
        assert str(app.screen.query_one("#password-error", Static).render()) == (
            "That is not your password."
        )
        await fill(pilot, "#password", PASSWORD)
        await pilot.press("enter")
        await settle(pilot)
        assert screen_name(pilot) == "LoginScreen"
        text = str(app.screen.query_one("#login-notice", Static).render())
        assert text == f"The account {EMAIL} and its 2 todos were deleted."
    assert stored(database, user) == []
    assert session_count(database) == 0


def test_the_account_commands_are_in_the_palette(database: Database, config_dir: Path) -> None:
    from todo_tui.screens.todo_list import TodoListScreen

    titles = [title for title, _, _ in TodoListScreen.ACCOUNT_COMMANDS]
    assert titles == ["Change password", "Sessions", "Log out everywhere", "Delete account"]
    for _, _, action in TodoListScreen.ACCOUNT_COMMANDS:
        assert callable(getattr(TodoListScreen, f"action_{action}"))


# -- bad token files and data directories at launch ----------------------------------------


async def test_a_data_directory_that_cannot_be_written_logs_in_and_says_so_once(
    database: Database, config_dir: Path, home: Path
) -> None:
    register(database)
    home.parent.mkdir(parents=True)
    home.write_text("a file where the data directory goes")
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        assert screen_name(pilot) == "TodoListScreen"
        said = [n for n in notices(app) if n.startswith("You cannot stay logged in")]
        assert len(said) == 1
        assert app.login is not None and not app.login_kept
    app.finish_database_work()
    assert session_count(database) == 0  # not kept: ended with the app


BAD = {
    "empty": b"",
    "truncated": b'{"format": "todo-tui login session", "tok',
    "foreign": b'{"github.com": {"oauth_token": "gho_x"}}',
    "binary": bytes(range(256)),
}


@pytest.mark.parametrize("content", BAD.values(), ids=BAD.keys())
async def test_a_bad_token_file_at_launch_is_one_sentence_on_the_login_screen(
    database: Database, config_dir: Path, content: bytes
) -> None:
    register(database)
    path = tokens.token_path(database.settings.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await eventually(pilot, lambda: login_shown(pilot), "log in")
        text = str(app.screen.query_one("#login-notice", Static).render())
        assert text == "Your saved log in could not be read: log in again."
        await log_in(pilot, EMAIL, PASSWORD)  # and logging in works, and keeps a good file
        assert screen_name(pilot) == "TodoListScreen"
    assert tokens.load(database.settings.database).token is not None


async def test_a_token_file_others_can_read_is_refused_at_launch(
    database: Database, config_dir: Path
) -> None:
    user = register(database)
    started = database.run(lambda s: sessions.create(s, user=user))
    path = tokens.save(database.settings.database, started.token)
    path.chmod(0o640)
    app = make_app(database.settings, config_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await eventually(pilot, lambda: login_shown(pilot), "log in")
        text = str(app.screen.query_one("#login-notice", Static).render())
        assert "can be read by other users of this computer" in text
    assert session_count(database) == 0


def test_two_terminals_writing_and_removing_the_token_file_at_once(database: Database) -> None:
    """Each reader sees a whole token or none, never half a file or an error."""
    where = database.settings.database
    user = register(database)
    made = [database.run(lambda s: sessions.create(s, user=user)) for _ in range(2)]
    problems: list[object] = []
    writing = threading.Barrier(3)
    done = threading.Event()

    def writer(started) -> None:
        writing.wait()
        try:
            for _ in range(200):
                tokens.save(where, started.token)
                tokens.discard(where)
        except Exception as exc:  # a failed write is a finding, not a hang
            problems.append(exc)

    def reader() -> None:
        writing.wait()
        while not done.is_set():
            saved = tokens.load(where)
            if saved.problem is not None or saved.token not in {None, *(m.token for m in made)}:
                problems.append(saved)

    writers = [threading.Thread(target=writer, args=(m,)) for m in made]
    read = threading.Thread(target=reader)
    for thread in [*writers, read]:
        thread.start()
    for thread in writers:
        thread.join(30)
    done.set()
    read.join(30)
    assert problems == []
    assert list(tokens.sessions_dir().iterdir()) == []  # no temporary file left behind
