"""Drafts: one private file per database and account, named by a hash (never the URL)."""

from __future__ import annotations

import stat
from pathlib import Path

from todo_tui import drafts
from todo_tui.config import load_settings
from todo_tui.drafts import Draft

NEON = "postgresql://alice:Secret123@ep-cool-1.eu.aws.neon.tech/neondb?sslmode=require"


def url(raw: str):
    return load_settings(database_url=raw, environ={}).database


def test_a_draft_is_kept_privately_per_database_and_account() -> None:
    neon, other = url(NEON), url("sqlite:///elsewhere.db")
    draft = Draft("Call the bank", "before\nnoon", todo_id=7, version=3)
    path = drafts.save(neon, 1, draft)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for secret in ("Secret123", "alice", "neon.tech", "neondb"):
        assert secret not in str(path) and secret not in path.read_text()
    assert drafts.load(neon, 1) == draft
    assert drafts.load(neon, 2) is None  # another account
    assert drafts.load(other, 1) is None  # another database
    # The same database with another password is the same database.
    assert drafts.load(url(NEON.replace("Secret123", "Rotated9")), 1) == draft
    drafts.discard(neon, 1)
    assert drafts.load(neon, 1) is None
    drafts.discard(neon, 1)  # nothing to discard: no error


def test_a_file_that_is_not_a_draft_is_ignored() -> None:
    database = url("sqlite:///garbage-draft.db")
    path = drafts.draft_path(database, 1)
    for text in ("not json", "[1, 2]", '{"title": 1, "description": ""}', '{"x": 1}'):
        path.parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
        assert drafts.load(database, 1) is None, text
