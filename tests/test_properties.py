"""Property tests: whatever a user types, on both databases, is stored and read back as the
validation promises, or refused with InvalidInput. Never a database error: a DatabaseFault
here (REJECTED above all) means validation let through what a database refuses.

Text comes from all of Unicode: NUL, control characters, lone surrogates, every plane.
Each example starts from empty tables, so examples do not depend on one another.
Run with `-s` to see how many examples ran on each database.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg2
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from tests.conftest import DatabaseFactory
from todo_tui.auth import WRONG_CREDENTIALS, authenticate, register
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, InvalidInput
from todo_tui.models import EMAIL_MAX, Todo, User
from todo_tui.records import TodoRecord
from todo_tui.todos import add_todo, get_todo, list_todos, update_todo
from todo_tui.validation import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    clean_description,
    normalize_email,
    password_problem,
    title_problem,
)

T = TypeVar("T")
EXAMPLES = 120  # per property and database; see the counts printed at the end (-s)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PASSWORD = "correct horse battery"
EMAIL = "someone@example.com"

# ---------------------------------------------------------------------------------------
# What users type

# Every code point, surrogates (category Cs) included: hypothesis leaves those out unless
# asked. Plus the characters most likely to break something, so they turn up often.
ANY_CHARACTER = st.characters(exclude_categories=())
TRICKY = [
    "\x00", "\ud800", "\udfff", "\n", "\r", "\t", "\x0b", "\x0c", "\x1b", "\x1c", "\x7f",
    "\x85", "\xa0", "\u0301", "\u200b", "\u200d", "\u200e", "\u202e", "\u2028", "\u2029",
    "\u3000", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\U0001f469", "\U0010ffff", "İ", "ß",
    "Σ", "'", '"', "\\", "%", "[", "]", "$", "?", ";", ":", "-", "@", " ",
]  # fmt: skip
CHARACTER = st.one_of(ANY_CHARACTER, st.sampled_from(TRICKY))
ANY_TEXT = st.text(CHARACTER)
PADDING = st.sampled_from(["", " ", "  \t", "\u3000", "\n"])


def around(limit: int) -> st.SearchStrategy[str]:
    """One character repeated to a length on either side of `limit`, perhaps padded."""
    return st.builds(
        lambda left, char, length, right: left + char * length + right,
        PADDING,
        CHARACTER,
        st.integers(limit - 2, limit + 2),
        PADDING,
    )


TITLES = st.one_of(ANY_TEXT, around(TITLE_MAX), st.text(CHARACTER, min_size=190, max_size=210))
DESCRIPTIONS = st.one_of(st.none(), ANY_TEXT, around(DESCRIPTION_MAX))
LETTERS = st.characters(categories=["Lu", "Ll", "Lt", "Lo", "Mn", "Nd"])
DOMAINS = ["example.com", "EXAMPLE.Com", "bücher.example", "例え.テスト", "xn--bcher-kva.example"]
EMAILS = st.one_of(
    ANY_TEXT,
    st.emails(),
    st.emails().map(str.upper),
    st.builds(
        lambda left, local, domain, right: f"{left}{local}@{domain}{right}",
        PADDING,
        st.text(st.one_of(LETTERS, CHARACTER), min_size=1, max_size=30),
        st.sampled_from(DOMAINS),
        PADDING,
    ),
)
PASSWORDS = st.one_of(ANY_TEXT, st.text(CHARACTER, min_size=6, max_size=80))

HOSTILE = [
    "\x00",
    "\ud800",
    "שלום",
    "e\u0301",
    "👩\u200d👩\u200d👧\u200d👦",
    "x" * 10_000,
    "[bold]x[/]",
    "'; DROP TABLE todo; --",
]
HOSTILE_EMAILS = [
    *HOSTILE,
    "  MiXeD.Case@Example.COM ",
    "o'brien+tag@example.com",
    "שלום@example.com",
    "e\u0301@example.com",
    "İstanbul@example.com",  # lower-casing makes it one character longer
    "ΟΔΥΣΣΕΥΣ@example.com",  # final sigma
    "a\x00b@example.com",
    "a\ud800@example.com",
    "x" * 64 + "@" + "y" * 63 + "." + "y" * 63 + "." + "y" * 59 + ".com",  # 256 characters
]
HOSTILE_PASSWORDS = [
    *HOSTILE,
    "password\x00",
    "pass\ud800word",
    "שלום שלום עולם",
    "é" * 36,  # 72 bytes
    "é" * 37,  # 74 bytes
    "🙂" * 18,  # 72 bytes
    "x" * 72,
    "x" * 73,
]


def with_examples(name: str, values: list[Any]) -> Callable[[T], T]:
    def decorate(test: T) -> T:
        for value in reversed(values):
            test = example(**{name: value})(test)
        return test

    return decorate


# ---------------------------------------------------------------------------------------
# Running the services, and counting what ran

RUNS: Counter[tuple[str, str, str]] = Counter()


def traits(value: str | None) -> list[str]:
    """What makes a value hostile, for the counts."""
    if value is None:
        return ["None"]
    categories = {unicodedata.category(ch) for ch in value}
    found = {
        "NUL": "\x00" in value,
        "surrogate": "Cs" in categories,
        "control": "Cc" in categories,
        "format (bidi, ZWJ)": "Cf" in categories,
        "combining": bool(categories & {"Mn", "Mc", "Me"}),
        "astral": any(ord(ch) > 0xFFFF for ch in value),
        "over 200 chars": len(value) > TITLE_MAX,
        "blank": not value.strip(),
    }
    return [name for name, present in found.items() if present]


def count(test: str, dialect: str, outcome: str, *values: str | None) -> None:
    RUNS[test, dialect, "examples"] += 1
    RUNS[test, dialect, outcome] += 1
    for value in values:
        for trait in traits(value):
            RUNS[test, dialect, trait] += 1


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    tests = sorted({test for test, _, _ in RUNS})
    print("\n\nProperty examples run, per test and database:")
    for test in tests:
        for dialect in sorted({d for t, d, _ in RUNS if t == test}):
            row = {k: n for (t, d, k), n in RUNS.items() if t == test and d == dialect}
            detail = ", ".join(f"{k} {n}" for k, n in row.items() if k != "examples")
            print(f"  {test} [{dialect}]: {row['examples']} examples ({detail})")
    totals = Counter()
    for (_, dialect, kind), n in RUNS.items():
        if kind == "examples":
            totals[dialect] += n
    print("  total: " + ", ".join(f"{d} {n}" for d, n in sorted(totals.items())))


RAW_DATABASE_ERRORS = (sa.exc.SQLAlchemyError, psycopg2.Error, sqlite3.Error)


def attempt(database: Database, work: Callable[[Session], T]) -> tuple[str, Any]:
    """("stored", result) or ("refused", (field, message)); anything else fails the test."""
    try:
        return "stored", database.run(work)
    except InvalidInput as refused:
        assert refused.message, "a refusal must say why"
        return "refused", (refused.field, refused.message)
    except DatabaseFault as fault:
        pytest.fail(
            f"{database.dialect} refused what validation let through: {fault.kind}: "
            f"{fault.sentence} (cause: {fault.__cause__!r})"
        )
    except RAW_DATABASE_ERRORS as exc:
        pytest.fail(f"a raw database exception escaped on {database.dialect}: {exc!r}")


def empty_tables(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM todo")
        connection.exec_driver_sql('DELETE FROM "user"')


def fresh_owner(database: Database) -> int:
    """Empty tables and one user: every example starts from the same state."""
    empty_tables(database)
    with database.engine.begin() as connection:
        statement = (
            sa.insert(User)
            .values(email="owner@example.com", hashed_password="x")
            .returning(User.id)
        )
        return connection.execute(statement).scalar_one()


def stored_todos(database: Database) -> list[tuple[str, str | None]]:
    """(title, description) of every todo, read without the services."""
    with database.engine.connect() as connection:
        statement = sa.select(Todo.title, Todo.description).order_by(Todo.id)
        return [tuple(row) for row in connection.execute(statement)]


def stored_users(database: Database) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        statement = sa.select(User.email, User.hashed_password).order_by(User.id)
        return [tuple(row) for row in connection.execute(statement)]


def rounds(database: Database) -> int:
    return database.settings.bcrypt_rounds


# ---------------------------------------------------------------------------------------
# One value through the services: what each promises


def title_outcome(database: Database, title: str) -> tuple[str, Any]:
    """Add a todo with `title`, then set it as the title of another: both agree."""
    owner = fresh_owner(database)
    added = attempt(database, lambda s: add_todo(s, owner_id=owner, title=title))
    seed = database.run(lambda s: add_todo(s, owner_id=owner, title="seed", description="d"))
    updated = attempt(
        database,
        lambda s: update_todo(
            s, owner_id=owner, todo_id=seed.id, version=seed.version, title=title, description="d"
        ),
    )
    if added[0] == "refused":
        field, message = added[1]
        assert (field, message) == ("title", title_problem(title))
        assert updated == added
        assert stored_todos(database) == [("seed", "d")]  # neither written
        return added
    todo: TodoRecord = added[1]
    assert title_problem(title) is None
    assert todo.title == title.strip()
    assert updated[0] == "stored"
    assert updated[1].title == title.strip()
    assert updated[1].version == seed.version + 1
    assert stored_todos(database) == [(title.strip(), None), (title.strip(), "d")]
    read = database.run(lambda s: list_todos(s, owner_id=owner))
    assert read == [todo, updated[1]]
    return "stored", todo.title


def description_outcome(database: Database, description: str | None) -> tuple[str, Any]:
    owner = fresh_owner(database)
    added = attempt(
        database, lambda s: add_todo(s, owner_id=owner, title="t", description=description)
    )
    seed = database.run(lambda s: add_todo(s, owner_id=owner, title="seed", description="d"))
    updated = attempt(
        database,
        lambda s: update_todo(
            s,
            owner_id=owner,
            todo_id=seed.id,
            version=seed.version,
            title="seed",
            description=description,
        ),
    )
    if added[0] == "refused":
        assert added[1][0] == "description"
        with pytest.raises(InvalidInput) as caught:
            clean_description(description)
        assert caught.value.message == added[1][1]
        assert updated == added
        assert stored_todos(database) == [("seed", "d")]
        return added
    expected = description if description is not None and description.strip() else None
    todo: TodoRecord = added[1]
    assert todo.description == expected
    assert updated[0] == "stored"
    assert updated[1].description == expected
    assert stored_todos(database) == [("t", expected), ("seed", expected)]
    assert database.run(lambda s: get_todo(s, owner_id=owner, todo_id=todo.id)) == todo
    return "stored", expected


def email_outcome(database: Database, email: str) -> tuple[str, Any]:
    empty_tables(database)
    registered = attempt(
        database,
        lambda s: register(s, email=email, password=PASSWORD, rounds=rounds(database)),
    )
    if registered[0] == "refused":
        field, message = registered[1]
        assert field == "email"
        with pytest.raises(InvalidInput) as caught:
            normalize_email(email)
        assert caught.value.message == message
        assert stored_users(database) == []
        return registered
    user = registered[1]
    assert user.email == normalize_email(email)
    assert len(user.email) <= EMAIL_MAX
    assert [row[0] for row in stored_users(database)] == [user.email]
    # Log in as typed, and as the app shows the address: the stored form is a fixed point.
    # ASCII addresses in capitals too (Unicode case mapping is not reversible: ß to SS).
    typings = [email, user.email] + ([user.email.upper()] if user.email.isascii() else [])
    for typed in typings:
        logged_in = attempt(
            database,
            lambda s, typed=typed: authenticate(
                s, email=typed, password=PASSWORD, rounds=rounds(database)
            ),
        )
        assert logged_in == ("stored", user), f"cannot log in with {typed!r}: {logged_in}"
    return "stored", user.email


def password_outcome(database: Database, password: str) -> tuple[str, Any]:
    empty_tables(database)
    registered = attempt(
        database,
        lambda s: register(s, email=EMAIL, password=password, rounds=rounds(database)),
    )
    if registered[0] == "refused":
        assert registered[1] == ("password", password_problem(password))
        assert stored_users(database) == []
        return registered
    user = registered[1]
    assert password_problem(password) is None
    [(_, hashed)] = stored_users(database)
    assert hashed.startswith(f"$2b$0{rounds(database)}$")  # bcrypt at the fixture's cost
    assert password not in hashed
    logged_in = attempt(
        database,
        lambda s: authenticate(s, email=EMAIL, password=password, rounds=rounds(database)),
    )
    assert logged_in == ("stored", user)
    for wrong in (password + "!", password[:-1], "x" + password):
        refused = attempt(
            database,
            lambda s, wrong=wrong: authenticate(
                s, email=EMAIL, password=wrong, rounds=rounds(database)
            ),
        )
        assert refused[0] == "refused", f"{wrong!r} logged in as {password!r}"
        assert refused[1][0] == "password"
        assert refused[1][1] == WRONG_CREDENTIALS or "bytes" in refused[1][1]
    return "stored", True


# ---------------------------------------------------------------------------------------
# On each database (the `database` fixture: SQLite, then PostgreSQL)


@PROPERTY
@given(title=TITLES)
@with_examples("title", [*HOSTILE, "  padded  ", "x" * TITLE_MAX, "🙂" * TITLE_MAX + " "])
def test_a_title_is_stored_trimmed_or_refused(database: Database, title: str) -> None:
    outcome, _ = title_outcome(database, title)
    count("title", database.dialect, outcome, title)


@PROPERTY
@given(description=DESCRIPTIONS)
@with_examples("description", [*HOSTILE, None, " \n\t ", "x" * DESCRIPTION_MAX])
def test_a_description_is_stored_exactly_or_refused(
    database: Database, description: str | None
) -> None:
    outcome, _ = description_outcome(database, description)
    count("description", database.dialect, outcome, description)


@PROPERTY
@given(email=EMAILS)
@with_examples("email", HOSTILE_EMAILS)
def test_an_email_is_stored_normalized_or_refused(database: Database, email: str) -> None:
    outcome, _ = email_outcome(database, email)
    count("email", database.dialect, outcome, email)


@PROPERTY
@given(password=PASSWORDS)
@with_examples("password", HOSTILE_PASSWORDS)
def test_a_password_round_trips_or_is_refused(database: Database, password: str) -> None:
    outcome, _ = password_outcome(database, password)
    count("password", database.dialect, outcome, password)


# ---------------------------------------------------------------------------------------
# Both databases side by side: the same inputs are accepted or refused on both


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Database]]:
    factories = [
        DatabaseFactory(dialect, tmp_path_factory.mktemp(f"both-{dialect}"))
        for dialect in ("sqlite", "postgresql")
    ]
    try:
        sqlite_database, postgres_database = (factory.migrated() for factory in factories)
        yield sqlite_database, postgres_database
    finally:
        for factory in factories:
            factory.close()


@PROPERTY
@given(title=TITLES, description=DESCRIPTIONS, email=EMAILS, password=PASSWORDS)
@example(title="x" * 10_000, description="\x00", email="\ud800", password="שלום")
@example(title="🙂" * TITLE_MAX, description="x" * DESCRIPTION_MAX, email="İ@example.com",
         password="é" * 36)  # fmt: skip
@example(title="[bold]x[/]", description="'; DROP TABLE todo; --", email="e\u0301@example.com",
         password="👩\u200d👩\u200d👧\u200d👦" * 2)  # fmt: skip
def test_sqlite_and_postgresql_accept_and_refuse_the_same_inputs(
    both: tuple[Database, Database],
    title: str,
    description: str | None,
    email: str,
    password: str,
) -> None:
    outcomes = []
    for database in both:
        outcomes.append(
            {
                "title": title_outcome(database, title),
                "description": description_outcome(database, description),
                "email": email_outcome(database, email),
                "password": password_outcome(database, password),
            }
        )
        count("side by side", database.dialect, "examples run")
    sqlite_outcome, postgres_outcome = outcomes
    assert sqlite_outcome == postgres_outcome


# Below validation: the limits the databases themselves enforce are the same (SQLite's
# CHECKs against PostgreSQL's varchar lengths), counted in characters on both.

# Not the space: PostgreSQL silently cuts an over-long varchar whose excess is all spaces,
# where SQLite's CHECK refuses it. The services never get there: titles are stored trimmed
# and emails validated, so no stored value ends in a space.
STORABLE_CHARACTER = st.characters(exclude_categories=("Cs",), exclude_characters="\x00 ")


def insert_outcome(database: Database, table: type, values: dict[str, Any]) -> str:
    """Insert `values` straight into `table`, no validation; the first value is read back."""
    try:
        with database.engine.begin() as connection:
            connection.execute(sa.insert(table).values(values))
    except (sa.exc.IntegrityError, sa.exc.DataError):  # CHECK, or value too long
        return "refused"
    with database.engine.connect() as connection:
        column = getattr(table, next(iter(values)))
        assert connection.execute(sa.select(column)).scalar_one() == next(iter(values.values()))
    return "stored"


@PROPERTY
@given(char=STORABLE_CHARACTER, length=st.integers(TITLE_MAX - 3, TITLE_MAX + 3))
def test_both_databases_limit_a_title_to_200_characters(
    both: tuple[Database, Database], char: str, length: int
) -> None:
    title = char * length
    for database in both:
        owner = fresh_owner(database)
        expected = "stored" if length <= TITLE_MAX else "refused"
        assert insert_outcome(database, Todo, {"title": title, "user_id": owner}) == expected
        count("raw title length", database.dialect, expected)


@PROPERTY
@given(char=STORABLE_CHARACTER, length=st.integers(EMAIL_MAX - 3, EMAIL_MAX + 3))
def test_both_databases_limit_an_email_to_255_characters(
    both: tuple[Database, Database], char: str, length: int
) -> None:
    email = char * length
    for database in both:
        empty_tables(database)
        expected = "stored" if length <= EMAIL_MAX else "refused"
        assert insert_outcome(database, User, {"email": email, "hashed_password": "x"}) == expected
        count("raw email length", database.dialect, expected)
