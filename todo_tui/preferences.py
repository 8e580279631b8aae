"""Small per-user preferences (the theme), kept as JSON in the user config directory,
readable by their owner only (0600 in a 0700 folder)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from todo_tui.files import write_private

log = logging.getLogger(__name__)
FILE_NAME = "preferences.json"


def load(config_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((config_dir / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def save(config_dir: Path, **values: str) -> None:
    """Merge `values` into the file; a preference that cannot be written is not worth a crash."""
    path = config_dir / FILE_NAME
    data = load(config_dir) | values
    try:
        write_private(path, json.dumps(data, indent=2))
    except OSError as exc:
        log.warning("could not save preferences to %s: %s", path, exc)
