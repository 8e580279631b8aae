"""Small per-user preferences, kept as JSON in the user config directory, readable by their
owner only (0600 in a 0700 folder): the theme last chosen, and for each account on this
computer its list's view, sort and theme.

An account is named by a hash of the database URL (its password masked) and the account's
id, as drafts are: neither the URL nor an email is written here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path

from todo_tui.files import write_private

log = logging.getLogger(__name__)
FILE_NAME = "preferences.json"
# Each save reads, merges and replaces the file: one at a time, or two threads (the log-in
# screen's remembered email, the list's view) could each drop what the other saved.
_saving = threading.Lock()


def _read(config_dir: Path) -> dict:
    try:
        data = json.loads((config_dir / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _strings(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _write(config_dir: Path, data: dict) -> None:
    """A preference that cannot be written is not worth a crash."""
    path = config_dir / FILE_NAME
    try:
        write_private(path, json.dumps(data, indent=2))
    except OSError as exc:
        log.warning("could not save preferences to %s: %s", path, exc)


def load(config_dir: Path) -> dict[str, str]:
    return _strings(_read(config_dir))


def save(config_dir: Path, **values: str) -> None:
    """Merge `values` into the file."""
    with _saving:
        _write(config_dir, _read(config_dir) | values)


def account_key(database_masked: str, user_id: int) -> str:
    digest = hashlib.sha256(database_masked.encode("utf-8")).hexdigest()[:32]
    return f"{digest}-{int(user_id)}"


def load_account(config_dir: Path, account: str) -> dict[str, str]:
    accounts = _read(config_dir).get("accounts")
    return _strings(accounts.get(account)) if isinstance(accounts, dict) else {}


def save_account(config_dir: Path, account: str, **values: str) -> None:
    with _saving:
        data = _read(config_dir)
        accounts = data.get("accounts") if isinstance(data.get("accounts"), dict) else {}
        accounts[account] = _strings(accounts.get(account)) | values
        _write(config_dir, data | {"accounts": accounts})
