"""Drafts: the text of an open todo form, kept when a signal ends the app, offered back at
the next launch.

One small JSON file per database and account, 0600 in a 0700 folder of the user data
directory. The file name is a hash of the database URL with its password masked (the URL
itself, and so its host or user, is never written) and the account's id.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from platformdirs import user_data_path

from todo_tui.config import APP_NAME, DatabaseURL
from todo_tui.files import write_private
from todo_tui.records import TodoDraft

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    text: TodoDraft
    todo_id: int | None = None  # an edit of this todo, at `version`; None: a new todo
    version: int | None = None
    # A new todo's key (see todos.add_todo): saving the restored draft never adds it twice.
    client_key: str | None = None


def drafts_dir() -> Path:
    return user_data_path(APP_NAME) / "drafts"


def draft_path(database: DatabaseURL, user_id: int) -> Path:
    key = hashlib.sha256(database.masked.encode("utf-8")).hexdigest()[:32]
    return drafts_dir() / f"{key}-{int(user_id)}.json"


def _as_json(draft: Draft) -> dict:
    # One flat object, the text's fields beside the rest (the format from the start).
    kept = asdict(draft)
    return {**kept.pop("text"), **kept}


def _from_json(data: object) -> Draft | None:
    """The draft in a file's JSON (a field it lacks takes its default), or None."""
    if not isinstance(data, dict) or not (text := data.keys() & TodoDraft.names()):
        return None
    draft = Draft(TodoDraft(**{name: data.pop(name) for name in text}), **data)
    empty = TodoDraft()
    if not all(
        isinstance(getattr(draft.text, name), type(getattr(empty, name)))
        for name in TodoDraft.names()
    ):
        return None
    return draft


def save(database: DatabaseURL, user_id: int, draft: Draft) -> Path | None:
    """Keep `draft`; the path it went to, or None when it could not be written (logged)."""
    path = draft_path(database, user_id)
    try:
        write_private(path, json.dumps(_as_json(draft)))
    except OSError as exc:
        log.warning("could not keep the draft in %s: %s", path, exc.strerror)
        return None
    return path


def load(database: DatabaseURL, user_id: int) -> Draft | None:
    """The kept draft, or None (none kept, or a file that is not a draft)."""
    try:
        data = json.loads(draft_path(database, user_id).read_text(encoding="utf-8"))
        draft = _from_json(data)
    except (OSError, ValueError, TypeError):
        return None
    if draft is None:
        return None
    if not all(isinstance(v, int | None) for v in (draft.todo_id, draft.version)):
        return None
    if not isinstance(draft.client_key, str | None):
        return None
    return draft


def discard(database: DatabaseURL, user_id: int) -> None:
    draft_path(database, user_id).unlink(missing_ok=True)
