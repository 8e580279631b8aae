"""The token file: what keeps a user logged in on this computer, for one database.

One small file per database in the user data directory (`sessions/`), 0600 in a 0700
folder. Its name is a hash of the database URL with the password masked, so two databases
never share one and neither the URL nor its password is ever written. It holds the token
only; the database keeps the sha256 of it (see sessions.py).

No Textual, no SQLAlchemy: the app and the command line share it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

from todo_tui.config import APP_NAME, DatabaseURL
from todo_tui.files import readable_by_others, write_private

log = logging.getLogger(__name__)
FORMAT = "todo-tui login session"
TOKEN_BYTES = 32
MAX_FILE = 4096  # a token file is about 100 bytes: anything much larger is not one


class TokenFileProblem(Exception):
    """A token file that cannot be written or must not be used, as one sentence."""


@dataclass(frozen=True)
class SavedToken:
    """What a launch found: the token (None: none to use) and, when a file was there but
    could not be used, the sentence that says why."""

    token: str | None
    problem: str | None = None


def sessions_dir() -> Path:
    return user_data_path(APP_NAME) / "sessions"


def database_key(database: DatabaseURL) -> str:
    """Names a database without its password: the same with any password, another for any
    other host, user, database or SQLite file."""
    return hashlib.sha256(database.masked.encode("utf-8")).hexdigest()[:32]


def token_path(database: DatabaseURL) -> Path:
    return sessions_dir() / f"{database_key(database)}.json"


def token_bytes(token: str) -> bytes | None:
    """The random bytes a token stands for (URL-safe base64), or None if it is not one."""
    if not isinstance(token, str) or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) >= TOKEN_BYTES else None


def save(database: DatabaseURL, token: str) -> Path:
    """Keep `token` for `database`; TokenFileProblem when the file cannot be written."""
    path = token_path(database)
    try:
        write_private(path, json.dumps({"format": FORMAT, "token": token}))
    except OSError as exc:
        log.warning("could not write the token file %s: %s", path, exc.strerror)
        raise TokenFileProblem(
            f"You cannot stay logged in: {path.parent} cannot be written "
            f"({exc.strerror or 'refused'}). You are logged in until you quit."
        ) from None
    return path


def load(database: DatabaseURL) -> SavedToken:
    """The token kept for `database`, or why there is none to use. Never raises."""
    path = token_path(database)
    if readable_by_others(path):
        # It may have been copied: it is never used, and the caller ends its session.
        return SavedToken(
            None,
            f"Your saved log in was not used: {path} can be read by other users of this "
            "computer. Log in again; the new file is private.",
        )
    try:
        with path.open("rb") as file:
            text = file.read(MAX_FILE + 1)
    except (FileNotFoundError, NotADirectoryError):  # none kept (or no folder to keep one)
        return SavedToken(None)
    except OSError as exc:
        log.warning("could not read the token file %s: %s", path, exc.strerror)
        return SavedToken(None, f"Your saved log in could not be read ({exc.strerror}): log in.")
    token = _token_in(text)
    if token is None:
        log.warning("the token file %s is not one todo-tui wrote: ignored", path)
        return SavedToken(None, "Your saved log in could not be read: log in again.")
    return SavedToken(token)


def _token_in(text: bytes) -> str | None:
    if len(text) > MAX_FILE:
        return None
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    token = data.get("token")
    return token if isinstance(token, str) and token_bytes(token) is not None else None


def exposed_token(database: DatabaseURL) -> str | None:
    """The token in a file others can read (to end its session), else None."""
    path = token_path(database)
    if not readable_by_others(path):
        return None
    try:
        return _token_in(path.read_bytes()[: MAX_FILE + 1])
    except OSError:
        return None


def discard(database: DatabaseURL) -> None:
    """Remove the token file, if any; a file that cannot be removed is logged, not raised."""
    path = token_path(database)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove the token file %s: %s", path, exc.strerror)


def _email_preference(database: DatabaseURL) -> str:
    return f"last-email-{database_key(database)}"


def last_email(config_dir: Path, database: DatabaseURL) -> str:
    """The email last logged in with on this database ("" if none)."""
    from todo_tui import preferences

    return preferences.load(config_dir).get(_email_preference(database), "")


def remember_email(config_dir: Path, database: DatabaseURL, email: str) -> None:
    from todo_tui import preferences

    preferences.save(config_dir, **{_email_preference(database): email})
