"""Accounts: register and authenticate. bcrypt runs here: call from the database thread."""

from __future__ import annotations

import logging
from functools import cache

import bcrypt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.models import User
from todo_tui.records import UserRecord
from todo_tui.validation import normalize_email, password_problem

log = logging.getLogger(__name__)
WRONG_CREDENTIALS = "Wrong email or password."
EMAIL_TAKEN = "An account with this email already exists."
# A bcrypt hash: "$2b$", two digits of cost, "$", then 53 characters of salt and digest.
DIGEST = "." * 31


def hash_password(password: str, *, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def hash_cost(hashed: str | bytes) -> int | None:
    """The cost a bcrypt hash was made with ("$2b$12$…" → 12); None if it is not one."""
    text = hashed.decode("ascii") if isinstance(hashed, bytes) else hashed
    parts = text.split("$")
    return int(parts[2]) if len(parts) >= 4 and parts[2].isdigit() else None


def check_password(password: str, hashed: bytes) -> bool:
    """The one place a password meets bcrypt: it costs what the hash's cost says."""
    return bcrypt.checkpw(password.encode("utf-8"), hashed)


@cache
def _dummy_hash(rounds: int) -> bytes:
    # A well-formed hash of this cost that no password matches: checking against it costs
    # exactly what checking a stored hash of this cost does, and making it costs nothing.
    return bcrypt.gensalt(rounds) + DIGEST.encode("ascii")


def prepare(rounds: int) -> None:
    """Make the dummy hash ahead of the first log in."""
    _dummy_hash(rounds)


def ping(session: Session) -> None:
    """One round trip: raises when the database cannot be reached (the log-in screen's
    retry, while the fields no longer hold the log in that failed)."""
    session.exec(sa.select(sa.literal(1)))


def register(session: Session, *, email: str, password: str, rounds: int) -> UserRecord:
    """Create an account (one INSERT) and return it.

    Safe to retry: when the email is taken and this password verifies against its hash, the
    account is the caller's (the first attempt, whose reply was lost) and is returned;
    otherwise a CONFLICT DatabaseFault (EMAIL_TAKEN).
    """
    email = normalize_email(email)
    if problem := password_problem(password):
        raise InvalidInput("password", problem)
    hashed = hash_password(password, rounds=rounds)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(User)
        .values(email=email, hashed_password=hashed)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User.id)
    )
    user_id = session.exec(statement).scalar_one_or_none()
    session.commit()
    if user_id is not None:
        return UserRecord(id=user_id, email=email)
    row = session.exec(sa.select(User.id, User.hashed_password).where(User.email == email)).first()
    if row is None or not check_password(password, row.hashed_password.encode("ascii")):
        raise DatabaseFault(FaultKind.CONFLICT, EMAIL_TAKEN, field="email")
    return UserRecord(id=row.id, email=email)


def _account_or_reference(email: str):
    """The account with `email` (matched true) or, when there is none, the newest account's
    hash (matched false): what an unknown email is checked at the cost of, in one SELECT."""
    newest = sa.select(sa.func.max(User.id)).scalar_subquery()
    matched = (User.email == email).label("matched")
    return (
        sa.select(User.id, User.hashed_password, matched)
        .where(sa.or_(User.email == email, User.id == newest))
        .order_by(matched.desc())
        .limit(1)
    )


def authenticate(session: Session, *, email: str, password: str, rounds: int) -> UserRecord:
    """The account for these credentials (one SELECT), else InvalidInput(WRONG_CREDENTIALS).

    An unknown email costs one bcrypt check against a dummy hash at the cost of a stored
    hash (the newest account's, read by the same SELECT), like a wrong password, so the
    answer and its timing do not tell which accounts exist. A hash of another cost than
    `rounds` is replaced on a successful log in (one bcrypt run and one UPDATE, once).
    """
    email = normalize_email(email)
    if problem := password_problem(password):
        raise InvalidInput("password", problem if "bytes" in problem else WRONG_CREDENTIALS)
    row = session.exec(_account_or_reference(email)).first()
    if row is not None and row.matched:
        stored = row.hashed_password.encode("ascii")
    else:
        cost = hash_cost(row.hashed_password) if row is not None else None
        stored = _dummy_hash(cost if cost is not None and 4 <= cost <= 31 else rounds)
    if not check_password(password, stored) or row is None or not row.matched:
        raise InvalidInput("password", WRONG_CREDENTIALS)
    if hash_cost(row.hashed_password) != rounds:
        _rehash(session, user_id=row.id, old=row.hashed_password, password=password, rounds=rounds)
    return UserRecord(id=row.id, email=email)


def _rehash(session: Session, *, user_id: int, old: str, password: str, rounds: int) -> None:
    # Only over the hash just checked: a password changed meanwhile elsewhere is kept.
    statement = (
        sa.update(User)
        .where(User.id == user_id, User.hashed_password == old)
        .values(hashed_password=hash_password(password, rounds=rounds))
    )
    try:
        session.exec(statement)
        session.commit()
    except sa.exc.SQLAlchemyError:
        # The log in stands (the password was right); the next one tries again.
        log.warning("could not re-hash a password to the configured cost", exc_info=True)
        session.rollback()
