"""Accounts on both databases: register, authenticate, and what bcrypt never gets to see."""

from __future__ import annotations

import bcrypt
import pytest
import sqlalchemy as sa

from todo_tui import auth
from todo_tui.auth import WRONG_CREDENTIALS, authenticate, register
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.models import User
from todo_tui.records import UserRecord

PASSWORD = "correct horse battery"


def do_register(database: Database, email: str, password: str = PASSWORD) -> UserRecord:
    with database.session() as session:
        return register(
            session, email=email, password=password, rounds=database.settings.bcrypt_rounds
        )


def do_authenticate(database: Database, email: str, password: str) -> UserRecord:
    with database.session() as session:
        return authenticate(
            session, email=email, password=password, rounds=database.settings.bcrypt_rounds
        )


def stored_users(database: Database) -> list[tuple[int, str, str]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            sa.select(User.id, User.email, User.hashed_password).order_by(User.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture
def checkpw_calls(monkeypatch) -> list[bytes]:
    """Counts calls to the real bcrypt.checkpw (a spy, not a stand-in)."""
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(auth.bcrypt, "checkpw", spy)
    return calls


# ---------------------------------------------------------------------------------------
# register


def test_register_stores_the_email_trimmed_and_lower_cased(database: Database) -> None:
    user = do_register(database, "  Alice.Smith@Example.COM \t")
    assert user.email == "alice.smith@example.com"
    [(user_id, email, _)] = stored_users(database)
    assert (user_id, email) == (user.id, "alice.smith@example.com")


def test_stored_hash_is_bcrypt_with_the_configured_cost(database: Database) -> None:
    assert database.settings.bcrypt_rounds == 4
    do_register(database, "bob@example.com")
    [(_, _, hashed)] = stored_users(database)
    assert hashed.startswith("$2b$04$")
    assert len(hashed) == 60
    assert PASSWORD not in hashed
    assert bcrypt.checkpw(PASSWORD.encode(), hashed.encode("ascii"))


def test_registrations_get_distinct_ids(database: Database) -> None:
    first = do_register(database, "one@example.com")
    second = do_register(database, "two@example.com")
    assert first.id != second.id
    assert [row[0] for row in stored_users(database)] == [first.id, second.id]


@pytest.mark.parametrize("again", ["carol@example.com", "CAROL@EXAMPLE.COM", " Carol@Example.com "])
def test_second_registration_of_an_email_in_any_case_is_a_conflict(
    database: Database, again: str
) -> None:
    first = do_register(database, "Carol@example.com")
    with pytest.raises(DatabaseFault) as caught:
        do_register(database, again, "another password")
    fault = caught.value
    assert fault.kind == FaultKind.CONFLICT
    assert fault.field == "email"
    assert fault.sentence == "An account with this email already exists."
    assert [row[:2] for row in stored_users(database)] == [(first.id, "carol@example.com")]
    # the first account's password still works; the second one's never did
    assert do_authenticate(database, "carol@example.com", PASSWORD) == first


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "no-at-sign.example.com",
        "two@@example.com",
        "a b@example.com",
        "ab@exa mple.com",
        "a@b",
        "a\x00b@example.com",
        "a\x07@example.com",
        "a\nb@example.com",
        "a\ud800@example.com",
        "@example.com",
        "alice@",
        ("x" * 64) + "@" + ("d" * 60 + ".") * 4 + "com",  # > 255 characters
    ],
)
def test_invalid_emails_are_refused_before_any_sql(database: Database, email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        do_register(database, email)
    assert caught.value.field == "email"
    assert caught.value.message
    assert stored_users(database) == []


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("", "at least 8"),
        ("short", "at least 8"),
        ("sevench", "at least 8"),
        ("é€" * 30, "longer than 72 bytes"),  # 60 characters, 150 bytes
        ("a" * 73, "longer than 72 bytes"),
        ("password\x00tail", "NUL"),
        ("\x00" * 10, "NUL"),
        ("password\ud800", "lone surrogates"),
        ("\udcff" * 10, "lone surrogates"),
    ],
)
def test_unusable_passwords_are_refused_before_bcrypt(
    database: Database, password: str, words: str, monkeypatch
) -> None:
    def must_not_hash(*args, **kwargs):
        raise AssertionError("bcrypt.hashpw was called with an unusable password")

    monkeypatch.setattr(auth.bcrypt, "hashpw", must_not_hash)
    with pytest.raises(InvalidInput) as caught:
        do_register(database, "dave@example.com", password)
    assert caught.value.field == "password"
    assert words in caught.value.message
    assert stored_users(database) == []


@pytest.mark.parametrize("password", ["12345678", "a" * 72, "é" * 36, "€" * 24, "🙂" * 18])
def test_passwords_up_to_72_bytes_work(database: Database, password: str) -> None:
    user = do_register(database, "erin@example.com", password)
    assert do_authenticate(database, "erin@example.com", password) == user


def test_password_with_surrounding_spaces_is_kept_as_typed(database: Database) -> None:
    do_register(database, "frank@example.com", "  spaced out  ")
    assert do_authenticate(database, "frank@example.com", "  spaced out  ")
    with pytest.raises(InvalidInput):
        do_authenticate(database, "frank@example.com", "spaced out")


# ---------------------------------------------------------------------------------------
# authenticate


@pytest.mark.parametrize(
    "typed",
    ["grace@example.com", "GRACE@EXAMPLE.COM", "  Grace@Example.Com  ", "\tgrace@example.com\n"],
)
def test_authenticate_returns_the_user_for_any_email_case(database: Database, typed: str) -> None:
    user = do_register(database, "grace@example.com")
    assert do_authenticate(database, typed, PASSWORD) == UserRecord(user.id, "grace@example.com")


def test_authenticate_picks_the_right_account(database: Database) -> None:
    heidi = do_register(database, "heidi@example.com", "heidi's password")
    ivan = do_register(database, "ivan@example.com", "ivan's password")
    assert do_authenticate(database, "ivan@example.com", "ivan's password") == ivan
    assert do_authenticate(database, "heidi@example.com", "heidi's password") == heidi
    with pytest.raises(InvalidInput):
        do_authenticate(database, "ivan@example.com", "heidi's password")


def test_unknown_email_and_wrong_password_get_the_same_answer(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    do_register(database, "judy@example.com")
    with pytest.raises(InvalidInput) as wrong_password:
        do_authenticate(database, "judy@example.com", "not the password")
    assert len(checkpw_calls) == 1
    with pytest.raises(InvalidInput) as unknown_email:
        do_authenticate(database, "nobody@example.com", PASSWORD)
    assert len(checkpw_calls) == 2  # an unknown email still costs one bcrypt check
    for caught in (wrong_password, unknown_email):
        assert caught.value.field == "password"
        assert caught.value.message == WRONG_CREDENTIALS
    assert str(wrong_password.value) == str(unknown_email.value)


def test_unknown_email_checks_against_a_hash_of_the_configured_cost(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        do_authenticate(database, "nobody@example.com", PASSWORD)
    [hashed] = checkpw_calls
    assert hashed.startswith(b"$2b$04$")  # same cost as a real check: same timing


def test_right_password_runs_exactly_one_bcrypt_check(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    do_register(database, "ken@example.com")
    do_authenticate(database, "ken@example.com", PASSWORD)
    [hashed] = checkpw_calls
    [(_, _, stored)] = stored_users(database)
    assert hashed == stored.encode("ascii")


def test_short_password_at_login_is_wrong_credentials(database: Database) -> None:
    do_register(database, "leo@example.com")
    with pytest.raises(InvalidInput) as caught:
        do_authenticate(database, "leo@example.com", "short")
    assert (caught.value.field, caught.value.message) == ("password", WRONG_CREDENTIALS)


@pytest.mark.parametrize("password", ["a" * 73, "é€" * 30])
def test_overlong_password_at_login_gives_a_clear_message(
    database: Database, password: str, checkpw_calls: list[bytes]
) -> None:
    do_register(database, "mia@example.com")
    with pytest.raises(InvalidInput) as caught:
        do_authenticate(database, "mia@example.com", password)
    assert caught.value.field == "password"
    assert "longer than 72 bytes" in caught.value.message
    assert checkpw_calls == []  # bcrypt 5 would raise ValueError on it


@pytest.mark.parametrize("password", ["password\x00x", "password\ud800"])
def test_unencodable_password_at_login_is_wrong_credentials(
    database: Database, password: str
) -> None:
    do_register(database, "ned@example.com")
    with pytest.raises(InvalidInput) as caught:
        do_authenticate(database, "ned@example.com", password)
    assert (caught.value.field, caught.value.message) == ("password", WRONG_CREDENTIALS)


def test_invalid_email_at_login_is_an_email_problem(database: Database) -> None:
    with pytest.raises(InvalidInput) as caught:
        do_authenticate(database, "not an email", PASSWORD)
    assert caught.value.field == "email"


# ---------------------------------------------------------------------------------------
# Register is safe to retry


def test_a_registration_repeated_with_the_same_password_is_the_same_account(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    """A retry after a lost reply: the account exists and the typed password verifies
    against its hash, so it is the first attempt's; nothing is added."""
    first = do_register(database, "olga@example.com")
    assert do_register(database, " Olga@Example.com", PASSWORD) == first
    assert len(checkpw_calls) == 1  # the stored hash checked, once
    assert [row[:2] for row in stored_users(database)] == [(first.id, "olga@example.com")]


# ---------------------------------------------------------------------------------------
# Log-in timing when stored hashes have another cost than the setting


def authenticate_at(database: Database, email: str, password: str, rounds: int) -> UserRecord:
    with database.session() as session:
        return authenticate(session, email=email, password=password, rounds=rounds)


def costs(calls: list[bytes]) -> list[int | None]:
    return [auth.hash_cost(hashed) for hashed in calls]


def test_unknown_email_costs_what_a_known_one_does_at_another_cost_than_the_setting(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    do_register(database, "pia@example.com")  # cost 4, the setting at the time
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        authenticate_at(database, "pia@example.com", "not the password", rounds=6)
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        authenticate_at(database, "nobody@example.com", PASSWORD, rounds=6)
    assert costs(checkpw_calls) == [4, 4]  # the same bcrypt work: the same time
    # Not the account's own hash: only its cost.
    [(_, _, stored)] = stored_users(database)
    assert checkpw_calls[1] != stored.encode("ascii")
    assert stored.startswith("$2b$04$")  # a failed log in re-hashes nothing


def test_unknown_email_with_no_accounts_costs_the_setting(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        authenticate_at(database, "nobody@example.com", PASSWORD, rounds=6)
    assert costs(checkpw_calls) == [6]


def test_a_successful_log_in_re_hashes_to_the_setting_once(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    user = do_register(database, "quinn@example.com")
    assert authenticate_at(database, "quinn@example.com", PASSWORD, rounds=6) == user
    [(_, _, stored)] = stored_users(database)
    assert auth.hash_cost(stored) == 6
    # The next log in works, checks at the new cost and leaves the hash as it is.
    assert authenticate_at(database, "quinn@example.com", PASSWORD, rounds=6) == user
    assert costs(checkpw_calls) == [4, 6]
    assert stored_users(database)[0][2] == stored
    # An unknown email now costs the new cost too.
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        authenticate_at(database, "nobody@example.com", PASSWORD, rounds=6)
    assert costs(checkpw_calls)[-1] == 6
    # A lower setting moves it back down the same way.
    assert authenticate_at(database, "quinn@example.com", PASSWORD, rounds=4) == user
    assert auth.hash_cost(stored_users(database)[0][2]) == 4


def test_unknown_email_takes_the_newest_accounts_cost(
    database: Database, checkpw_calls: list[bytes]
) -> None:
    do_register(database, "old@example.com")  # cost 4
    with database.session() as session:
        register(session, email="new@example.com", password=PASSWORD, rounds=5)
    with pytest.raises(InvalidInput, match=WRONG_CREDENTIALS):
        authenticate_at(database, "nobody@example.com", PASSWORD, rounds=6)
    assert costs(checkpw_calls) == [5]
