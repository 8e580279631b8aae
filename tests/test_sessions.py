"""Login sessions and the token file, on both databases, with real files in a temporary
home: a relaunch without password, each way a session ends, a replayed token, file modes,
and every bad token file."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.pilot import EMAIL, FIXED_NOW, PASSWORD, add, register
from todo_tui import auth, sessions, tokens
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.records import UserRecord


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of each test's own (platformdirs reads XDG_DATA_HOME)."""
    data = tmp_path / "home" / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


def start(database: Database, user: UserRecord, **kwargs) -> sessions.StartedSession:
    return database.run(lambda s: sessions.create(s, user=user, **kwargs))


def session_rows(database: Database) -> list[tuple]:
    with database.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.exec_driver_sql(
                "SELECT user_id, token_hash, label FROM login_session ORDER BY id"
            )
        ]


def url(raw: str):
    return load_settings(database_url=raw, environ={}).database


# -- the database side ------------------------------------------------------------------


def test_only_the_sha256_of_a_32_byte_token_is_stored(database: Database) -> None:
    user = register(database)
    started = start(database, user, label="alice on laptop")
    raw = tokens.token_bytes(started.token)
    assert raw is not None and len(raw) >= 32
    [(owner, digest, label)] = session_rows(database)
    assert (owner, label) == (user.id, "alice on laptop")
    assert digest == hashlib.sha256(raw).hexdigest()
    assert started.token not in digest


def test_resume_is_the_user_and_marks_the_session_used(database: Database) -> None:
    user = register(database)
    started = start(database, user, now=FIXED_NOW)
    later = FIXED_NOW + timedelta(days=30)
    resumed = database.run(lambda s: sessions.resume(s, token=started.token, now=later))
    assert resumed == sessions.StartedSession(started.id, user, started.token)
    [record] = database.run(
        lambda s: sessions.list_sessions(s, user_id=user.id, current_id=started.id, now=later)
    )
    assert record.current and record.last_used_at == later
    assert record.expires_at == later + sessions.LIFETIME  # sliding


def test_an_expired_unknown_or_malformed_token_opens_nothing(database: Database) -> None:
    user = register(database)
    started = start(database, user, now=FIXED_NOW)
    expired = FIXED_NOW + sessions.LIFETIME + timedelta(seconds=1)
    assert database.run(lambda s: sessions.resume(s, token=started.token, now=expired)) is None
    for token in (sessions.new_token(), "", "short", "é" * 50, started.token[:-8]):
        assert database.run(lambda s, t=token: sessions.resume(s, token=t)) is None, token


def test_a_new_session_sweeps_away_the_users_expired_ones_only(database: Database) -> None:
    user = register(database)
    other = database.run(
        lambda s: auth.register(s, email="bob@example.com", password=PASSWORD, rounds=4)
    )
    start(database, user, label="expired", now=FIXED_NOW)
    start(database, user, label="standing", now=FIXED_NOW + timedelta(days=60))
    start(database, other, label="bob's, expired", now=FIXED_NOW)
    later = FIXED_NOW + sessions.LIFETIME + timedelta(days=1)
    start(database, user, label="new", now=later)
    assert [label for _, _, label in session_rows(database)] == [
        "standing",
        "bob's, expired",
        "new",
    ]


def test_log_out_makes_a_copy_of_the_token_worthless(database: Database) -> None:
    user = register(database)
    started = start(database, user)
    copy = started.token
    assert database.run(lambda s: sessions.end(s, session_id=started.id))
    assert database.run(lambda s: sessions.resume(s, token=copy)) is None
    assert session_rows(database) == []


def test_each_revoke_path_ends_what_it_says(database: Database) -> None:
    user = register(database)
    other = database.run(
        lambda s: auth.register(s, email="bob@example.com", password=PASSWORD, rounds=4)
    )
    here, there, third = (start(database, user, label=n) for n in ("here", "there", "third"))
    bobs = start(database, other)

    def alive(started: sessions.StartedSession) -> bool:
        return database.run(lambda s: sessions.resume(s, token=started.token)) is not None

    # Never another account's session, even by its id.
    assert not database.run(lambda s: sessions.revoke(s, user_id=user.id, session_id=bobs.id))
    assert database.run(lambda s: sessions.revoke(s, user_id=user.id, session_id=third.id))
    assert [alive(x) for x in (here, there, third, bobs)] == [True, True, False, True]
    listed = database.run(lambda s: sessions.list_sessions(s, user_id=user.id, current_id=there.id))
    assert [(r.label, r.current) for r in listed] == [("there", True), ("here", False)]
    assert database.run(lambda s: sessions.revoke_others(s, user_id=user.id, keep_id=here.id))
    assert [alive(x) for x in (here, there, bobs)] == [True, False, True]
    assert database.run(lambda s: sessions.revoke_all(s, user_id=user.id)) == 1
    assert [alive(x) for x in (here, bobs)] == [False, True]
    assert database.run(lambda s: sessions.is_active(s, session_id=bobs.id))
    assert not database.run(lambda s: sessions.is_active(s, session_id=here.id))


def test_change_password_checks_the_old_one_and_ends_every_other_session(
    database: Database,
) -> None:
    user = register(database)
    here, there = start(database, user), start(database, user)
    change = lambda current, new: database.run(  # noqa: E731
        lambda s: sessions.change_password(
            s, user_id=user.id, current=current, new=new, rounds=4, keep_session_id=here.id
        )
    )
    with pytest.raises(InvalidInput) as wrong:
        change("not my password", "a new password")
    assert (wrong.value.field, wrong.value.message) == ("current", sessions.WRONG_PASSWORD)
    with pytest.raises(InvalidInput) as short:
        change(PASSWORD, "short")
    assert short.value.field == "new"
    assert database.run(lambda s: sessions.is_active(s, session_id=there.id))  # nothing changed

    assert change(PASSWORD, "a new password") == 1
    assert database.run(lambda s: sessions.is_active(s, session_id=here.id))
    assert not database.run(lambda s: sessions.is_active(s, session_id=there.id))
    with pytest.raises(InvalidInput):
        database.run(lambda s: auth.authenticate(s, email=EMAIL, password=PASSWORD, rounds=4))
    assert (
        database.run(
            lambda s: auth.authenticate(s, email=EMAIL, password="a new password", rounds=4)
        )
        == user
    )


def test_two_password_changes_at_once_one_wins_the_other_is_told(databases) -> None:
    database = databases.migrated()
    user = register(database)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def change(new: str) -> None:
        barrier.wait()
        try:
            results.append(
                database.run(
                    lambda s: sessions.change_password(
                        s,
                        user_id=user.id,
                        current=PASSWORD,
                        new=new,
                        rounds=4,
                        keep_session_id=None,
                    )
                )
            )
        except (InvalidInput, DatabaseFault) as failure:
            results.append(failure)

    threads = [threading.Thread(target=change, args=(f"new password {n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    refused = [r for r in results if isinstance(r, InvalidInput | DatabaseFault)]
    assert len(results) == 2 and len(refused) <= 1  # SQLite serialises them: the second
    # then checks against the new hash and is told the password is wrong.
    ok = [p for p in ("new password 1", "new password 2") if _password_works(database, p)]
    assert len(ok) == 1


def _password_works(database: Database, password: str) -> bool:
    try:
        database.run(lambda s: auth.authenticate(s, email=EMAIL, password=password, rounds=4))
    except InvalidInput:
        return False
    return True


def test_delete_account_asks_the_password_and_takes_everything_with_it(
    database: Database,
) -> None:
    user = register(database)
    for title in ("one", "two", "three"):
        add(database, user, title)
    started = start(database, user)
    assert database.run(lambda s: sessions.todo_count(s, user_id=user.id)) == 3
    with pytest.raises(InvalidInput):
        database.run(lambda s: sessions.delete_account(s, user_id=user.id, password="wrong one"))
    assert (
        database.run(lambda s: sessions.delete_account(s, user_id=user.id, password=PASSWORD)) == 3
    )
    with database.engine.connect() as connection:
        for table in ("todo", '"user"', "login_session", "todo_change_counter"):
            assert connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0
    assert database.run(lambda s: sessions.resume(s, token=started.token)) is None
    with pytest.raises(DatabaseFault):  # deleted elsewhere meanwhile
        database.run(lambda s: sessions.delete_account(s, user_id=user.id, password=PASSWORD))


# -- the token file ---------------------------------------------------------------------


def test_the_token_file_is_private_and_one_per_database(home: Path) -> None:
    neon = url("postgresql://alice:Secret123@ep-cool-1.eu.aws.neon.tech/neondb?sslmode=require")
    other = url("sqlite:///elsewhere.db")
    token = sessions.new_token()
    path = tokens.save(neon, token)
    assert path.is_relative_to(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for secret in ("Secret123", "alice", "neon.tech", "neondb"):
        assert secret not in str(path) and secret not in path.read_text()
    assert tokens.load(neon) == tokens.SavedToken(token)
    assert tokens.load(other) == tokens.SavedToken(None)  # another database
    rotated = url("postgresql://alice:Rotated9@ep-cool-1.eu.aws.neon.tech/neondb?sslmode=require")
    assert tokens.load(rotated).token == token  # the same database, another password
    tokens.discard(neon)
    assert not path.exists()
    tokens.discard(neon)  # nothing to remove: no error


BAD_FILES = {
    "empty": b"",
    "truncated": b'{"format": "todo-tui login session", "token": "abc',
    "corrupt": b"\x00\xff\xfe garbage",
    "foreign": json.dumps({"oauth_token": "gho_xxx", "user": "alice"}).encode(),
    "short token": json.dumps({"format": tokens.FORMAT, "token": "abc"}).encode(),
    "not a string": json.dumps({"format": tokens.FORMAT, "token": 12345}).encode(),
    "a list": b"[1, 2, 3]",
    "huge": b"x" * 100_000,
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_token_file_is_one_sentence_and_removed(database: Database, content: bytes) -> None:
    register(database)
    where = database.settings.database
    path = tokens.token_path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o600)
    resumed = sessions.resume_saved(database)
    assert resumed.session is None
    assert resumed.notice == "Your saved log in could not be read: log in again."
    assert not path.exists()


def test_a_token_file_others_can_read_is_refused_and_its_session_ended(
    database: Database,
) -> None:
    user = register(database)
    started = start(database, user)
    where = database.settings.database
    path = tokens.save(where, started.token)
    path.chmod(0o644)
    resumed = sessions.resume_saved(database)
    assert resumed.session is None
    assert "can be read by other users of this computer" in resumed.notice
    assert str(path) in resumed.notice
    assert not path.exists()
    # A copy taken while it was readable is worthless now.
    assert database.run(lambda s: sessions.resume(s, token=started.token)) is None


def test_relaunch_resumes_and_an_ended_session_says_so(database: Database) -> None:
    user = register(database)
    started = start(database, user)
    where = database.settings.database
    assert sessions.keep(where, started) is None
    assert sessions.resume_saved(database).session == started
    assert sessions.resume_saved(database).session == started  # again, and again
    database.run(lambda s: sessions.revoke_all(s, user_id=user.id))
    resumed = sessions.resume_saved(database)
    assert resumed == sessions.Resumed(None, sessions.ENDED)
    assert not tokens.token_path(where).exists()
    assert sessions.resume_saved(database) == sessions.Resumed(None)  # no file: quietly


def test_a_token_file_for_an_account_deleted_elsewhere(database: Database) -> None:
    user = register(database)
    started = start(database, user)
    sessions.keep(database.settings.database, started)
    with database.engine.begin() as connection:
        connection.execute(sa.text('DELETE FROM "user" WHERE id = :id'), {"id": user.id})
    assert sessions.resume_saved(database) == sessions.Resumed(None, sessions.ENDED)


def test_a_data_directory_that_is_a_file_is_one_sentence(database: Database, home: Path) -> None:
    """A data directory that cannot be written (here a file where the folder goes, which
    stops root too): the log in stands, without staying logged in."""
    user = register(database)
    started = start(database, user)
    home.parent.mkdir(parents=True)
    home.write_text("not a folder")
    notice = sessions.keep(database.settings.database, started)
    assert notice is not None and notice.startswith("You cannot stay logged in:")
    assert sessions.resume_saved(database) == sessions.Resumed(None)


def test_the_last_email_is_remembered_per_database(tmp_path: Path) -> None:
    one, two = url("sqlite:///one.db"), url("sqlite:///two.db")
    assert tokens.last_email(tmp_path, one) == ""
    tokens.remember_email(tmp_path, one, EMAIL)
    assert tokens.last_email(tmp_path, one) == EMAIL
    assert tokens.last_email(tmp_path, two) == ""


def test_sessions_and_the_token_file_load_no_textual() -> None:
    """The command line shares them: `todo-tui login/logout/whoami` never load the UI, and
    the token file alone loads no database library either."""
    code = (
        "import sys, todo_tui.tokens; first = {m.split('.')[0] for m in sys.modules}; "
        "import todo_tui.sessions; then = {m.split('.')[0] for m in sys.modules}; "
        "print(sorted(first & {'textual', 'sqlalchemy', 'sqlmodel'}), "
        "sorted(then & {'textual'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] []"


def test_a_session_is_renamed_by_its_owner_only_and_labels_are_kept_clean(
    database: Database,
) -> None:
    user = register(database)
    other = database.run(
        lambda s: auth.register(s, email="bob@example.com", password=PASSWORD, rounds=4)
    )
    mine = database.run(lambda s: sessions.create(s, user=user, label="laptop"))
    theirs = database.run(lambda s: sessions.create(s, user=other, label="bob's"))

    def rename(owner: UserRecord, session_id: int, label: str) -> str | None:
        return database.run(
            lambda s: sessions.rename(s, user_id=owner.id, session_id=session_id, label=label)
        )

    assert rename(user, mine.id, "  work\n laptop\x1b[31m ") == "work laptop [31m"
    assert rename(user, theirs.id, "mine now") is None  # another account's: untouched
    with pytest.raises(InvalidInput):
        rename(user, mine.id, " \u200b\n\t ")
    assert len(rename(user, mine.id, "x" * 500) or "") == sessions.SESSION_LABEL_MAX

    def labels(owner: UserRecord) -> list[str]:
        return [
            r.label
            for r in database.run(
                lambda s: sessions.list_sessions(s, user_id=owner.id, current_id=None)
            )
        ]

    assert labels(other) == ["bob's"]
    assert labels(user) == ["x" * sessions.SESSION_LABEL_MAX]
    database.run(lambda s: sessions.revoke(s, user_id=user.id, session_id=mine.id))
    assert rename(user, mine.id, "gone") is None
