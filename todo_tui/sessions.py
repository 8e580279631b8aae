"""Login sessions: stay logged in, see where you are logged in, end it anywhere; and the
account actions that end sessions (change password, delete account).

A session is a row of `login_session` holding the sha256 of a random token (32 bytes from
`secrets`); the token itself is only in the device's token file (tokens.py). A fast hash is
right here: the token has 256 bits of randomness, so no one can guess one from its hash,
and a launch checks it without bcrypt. Every function is one statement unless it says
otherwise, takes the SQLModel session first and commits its own work. No Textual: the app
and the command line share these.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from todo_tui import tokens
from todo_tui.auth import check_password, hash_password
from todo_tui.config import DatabaseURL
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.models import SESSION_LABEL_MAX, LoginSession, Todo, User
from todo_tui.records import UserRecord
from todo_tui.validation import password_problem

log = logging.getLogger(__name__)
# Sliding: every launch that resumes a session moves its end this far ahead.
LIFETIME = timedelta(days=90)
WRONG_PASSWORD = "That is not your current password."
ENDED = "Your saved log in has ended (logged out elsewhere, revoked or expired): log in again."
PASSWORD_CHANGED_ELSEWHERE = (
    "Your password was changed in another terminal meanwhile: nothing was changed here."
)


@dataclass(frozen=True, slots=True)
class StartedSession:
    """A session just made or resumed: the token is what the token file keeps."""

    id: int
    user: UserRecord
    token: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = False


def new_token() -> str:
    return secrets.token_urlsafe(tokens.TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The sha256 of the token's random bytes, in hex: all the database ever sees of it."""
    raw = tokens.token_bytes(token)
    if raw is None:
        raise InvalidInput("token", "This is not a todo-tui session token.")
    return hashlib.sha256(raw).hexdigest()


def device_label() -> str:
    """'alice on laptop': who and where, for the sessions list."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name known (a container without passwd entry)
        user = "someone"
    host = socket.gethostname() or "this computer"
    return f"{user} on {host}"[:SESSION_LABEL_MAX]


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def create(
    session: Session, *, user: UserRecord, label: str | None = None, now: datetime | None = None
) -> StartedSession:
    """A new session for `user`, after their password was checked: one INSERT, which also
    deletes the user's expired sessions (on PostgreSQL in the same statement, a CTE; on
    SQLite, where a CTE cannot delete, in the statement before it)."""
    now = _now(now)
    token = new_token()
    expired = sa.delete(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.expires_at <= now
    )
    statement = (
        sa.insert(LoginSession)
        .values(
            user_id=user.id,
            token_hash=token_hash(token),
            label=(label or device_label())[:SESSION_LABEL_MAX],
            created_at=now,
            last_used_at=now,
            expires_at=now + LIFETIME,
        )
        .returning(LoginSession.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.add_cte(expired.cte("expired"))
    else:
        session.exec(expired)
    session_id = session.exec(statement).scalar_one()
    session.commit()
    return StartedSession(session_id, user, token)


def resume(session: Session, *, token: str, now: datetime | None = None) -> StartedSession | None:
    """The session this token opens, marked used and extended; None when it is unknown,
    revoked or expired (or its account is gone). One UPDATE … RETURNING, no bcrypt."""
    try:
        digest = token_hash(token)
    except InvalidInput:
        return None
    now = _now(now)
    owner = sa.select(User.email).where(User.id == LoginSession.user_id).scalar_subquery()
    email = owner.label("email")
    statement = (
        sa.update(LoginSession)
        .where(LoginSession.token_hash == digest, LoginSession.expires_at > now)
        .values(last_used_at=now, expires_at=now + LIFETIME)
        .returning(LoginSession.id, LoginSession.user_id, email)
    )
    row = session.exec(statement).first()
    session.commit()
    if row is None or row.email is None:
        return None
    return StartedSession(row.id, UserRecord(id=row.user_id, email=row.email), token)


def is_active(session: Session, *, session_id: int, now: datetime | None = None) -> bool:
    """Whether the session still stands (one SELECT): what an open terminal checks."""
    statement = sa.select(LoginSession.id).where(
        LoginSession.id == session_id, LoginSession.expires_at > _now(now)
    )
    return session.exec(statement).first() is not None


def end(session: Session, *, session_id: int) -> bool:
    """Log out: the session's row goes, and with it the worth of every copy of its token."""
    deleted = session.exec(sa.delete(LoginSession).where(LoginSession.id == session_id))
    session.commit()
    return deleted.rowcount > 0


def end_token(session: Session, *, token: str) -> bool:
    """End the session a token opens (a token file that must not be used any more)."""
    try:
        digest = token_hash(token)
    except InvalidInput:
        return False
    deleted = session.exec(sa.delete(LoginSession).where(LoginSession.token_hash == digest))
    session.commit()
    return deleted.rowcount > 0


def list_sessions(
    session: Session, *, user_id: int, current_id: int | None, now: datetime | None = None
) -> list[SessionRecord]:
    """The user's sessions that stand: this device's first, then the most recently used."""
    statement = (
        sa.select(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.expires_at > _now(now))
        .order_by((LoginSession.id == (current_id or 0)).desc(), LoginSession.last_used_at.desc())
    )
    return [
        SessionRecord(
            id=row.id,
            label=row.label,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            current=row.id == current_id,
        )
        for row in session.exec(statement).scalars()
    ]


def revoke(session: Session, *, user_id: int, session_id: int) -> bool:
    """End one of the user's sessions (never another account's)."""
    statement = sa.delete(LoginSession).where(
        LoginSession.id == session_id, LoginSession.user_id == user_id
    )
    deleted = session.exec(statement)
    session.commit()
    return deleted.rowcount > 0


def clean_label(label: str) -> str:
    """A device label as kept: one line, spaces collapsed, at most SESSION_LABEL_MAX
    characters; InvalidInput when nothing visible is left."""
    text = " ".join("".join(c if c.isprintable() else " " for c in label).split())
    if not text:
        raise InvalidInput("label", "A device needs a name.")
    return text[:SESSION_LABEL_MAX]


def rename(session: Session, *, user_id: int, session_id: int, label: str) -> str | None:
    """Give one of the user's sessions a new label (never another account's): the label as
    kept, or None when the session is gone."""
    kept = clean_label(label)
    statement = (
        sa.update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.user_id == user_id)
        .values(label=kept)
        .returning(LoginSession.id)
        .execution_options(synchronize_session=False)
    )
    renamed = session.exec(statement).scalar_one_or_none()
    session.commit()
    return kept if renamed is not None else None


def revoke_others(session: Session, *, user_id: int, keep_id: int | None) -> int:
    """End every session of the user but `keep_id`; how many ended."""
    statement = sa.delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_id is not None:
        statement = statement.where(LoginSession.id != keep_id)
    deleted = session.exec(statement)
    session.commit()
    return deleted.rowcount


def revoke_all(session: Session, *, user_id: int) -> int:
    """Log out everywhere, this device included; how many sessions ended."""
    return revoke_others(session, user_id=user_id, keep_id=None)


def _checked_hash(session: Session, *, user_id: int, password: str) -> str:
    """The user's stored hash, once `password` verifies against it (one SELECT, bcrypt)."""
    stored = session.exec(sa.select(User.hashed_password).where(User.id == user_id)).scalar()
    if stored is None:
        raise DatabaseFault(FaultKind.CONFLICT, "This account no longer exists.")
    if password_problem(password) or not check_password(password, stored.encode("ascii")):
        raise InvalidInput("current", WRONG_PASSWORD)
    return stored


def change_password(
    session: Session,
    *,
    user_id: int,
    current: str,
    new: str,
    rounds: int,
    keep_session_id: int | None,
) -> int:
    """Replace the password once the current one is checked, and end every other session;
    how many ended. A SELECT, an UPDATE only over the hash just checked (so a password
    changed meanwhile elsewhere is not overwritten: CONFLICT), then a DELETE."""
    if problem := password_problem(new):
        raise InvalidInput("new", problem)
    stored = _checked_hash(session, user_id=user_id, password=current)
    updated = session.exec(
        sa.update(User)
        .where(User.id == user_id, User.hashed_password == stored)
        .values(hashed_password=hash_password(new, rounds=rounds))
    )
    if updated.rowcount != 1:
        session.rollback()
        raise DatabaseFault(FaultKind.CONFLICT, PASSWORD_CHANGED_ELSEWHERE, field="current")
    statement = sa.delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_session_id is not None:
        statement = statement.where(LoginSession.id != keep_session_id)
    ended = session.exec(statement).rowcount
    session.commit()
    return ended


def todo_count(session: Session, *, user_id: int) -> int:
    """How many todos an account holds: what deleting it takes with it."""
    statement = sa.select(sa.func.count()).select_from(Todo).where(Todo.user_id == user_id)
    return session.exec(statement).scalar_one()


def delete_account(session: Session, *, user_id: int, password: str) -> int:
    """Delete the account once its password is checked: its todos, change counter and
    sessions go with it (ON DELETE CASCADE). The number of todos that went."""
    _checked_hash(session, user_id=user_id, password=password)
    count = todo_count(session, user_id=user_id)
    session.exec(sa.delete(User).where(User.id == user_id))
    session.commit()
    return count


# -- the token file and the database together (the app's launch, the command line) --------


@dataclass(frozen=True, slots=True)
class Resumed:
    """A launch's answer: the session it resumed, or None and why (None: quietly)."""

    session: StartedSession | None
    notice: str | None = None


def resume_saved(database: Database, *, now: datetime | None = None) -> Resumed:
    """Log in with this device's token file, if there is one that opens a session (the file
    read, then one round trip). A file that others can read is never used, and its
    session is ended; an ended session's file is removed. Never raises for a bad file."""
    where = database.settings.database
    saved = tokens.load(where)
    if saved.token is None:
        if (exposed := tokens.exposed_token(where)) is not None:
            try:
                database.run(lambda s: end_token(s, token=exposed))
            except DatabaseFault as fault:  # the file goes all the same
                log.warning("could not end the session of an exposed token file: %s", fault)
            tokens.discard(where)
        elif saved.problem is not None:
            tokens.discard(where)  # not a token file: it could never open anything
        return Resumed(None, saved.problem)
    started = database.run(lambda s: resume(s, token=saved.token, now=now), retry=True)
    if started is None:
        tokens.discard(where)
        return Resumed(None, ENDED)
    return Resumed(started)


def keep(where: DatabaseURL, started: StartedSession) -> str | None:
    """Write the token file; the sentence to show when it cannot be written, else None."""
    try:
        tokens.save(where, started.token)
    except tokens.TokenFileProblem as problem:
        return str(problem)
    return None
