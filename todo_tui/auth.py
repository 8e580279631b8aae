"""Accounts: register and authenticate. bcrypt runs here: call from the database thread."""

from __future__ import annotations

from functools import cache

import bcrypt
import sqlalchemy as sa
from sqlmodel import Session

from todo_tui.errors import InvalidInput
from todo_tui.models import User
from todo_tui.records import UserRecord
from todo_tui.validation import normalize_email, password_problem

WRONG_CREDENTIALS = "Wrong email or password."


def hash_password(password: str, *, rounds: int) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


@cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"not a password of anyone", bcrypt.gensalt(rounds))


def prepare(rounds: int) -> None:
    """Make the dummy hash ahead of the first log in (a bcrypt run of its own)."""
    _dummy_hash(rounds)


def register(session: Session, *, email: str, password: str, rounds: int) -> UserRecord:
    """Create an account (one INSERT). A taken email raises a CONFLICT DatabaseFault."""
    email = normalize_email(email)
    if problem := password_problem(password):
        raise InvalidInput("password", problem)
    hashed = hash_password(password, rounds=rounds)
    statement = sa.insert(User).values(email=email, hashed_password=hashed).returning(User.id)
    user_id = session.exec(statement).scalar_one()
    session.commit()
    return UserRecord(id=user_id, email=email)


def authenticate(session: Session, *, email: str, password: str, rounds: int) -> UserRecord:
    """The account for these credentials (one SELECT), else InvalidInput(WRONG_CREDENTIALS).

    An unknown email costs one bcrypt check against a dummy hash, like a wrong password,
    so the answer and its timing do not tell which accounts exist.
    """
    email = normalize_email(email)
    if problem := password_problem(password):
        raise InvalidInput("password", problem if "bytes" in problem else WRONG_CREDENTIALS)
    row = session.exec(sa.select(User.id, User.hashed_password).where(User.email == email)).first()
    stored = row.hashed_password.encode("ascii") if row else _dummy_hash(rounds)
    if not bcrypt.checkpw(password.encode("utf-8"), stored) or row is None:
        raise InvalidInput("password", WRONG_CREDENTIALS)
    return UserRecord(id=row.id, email=email)
