"""Files only their owner can read: the SQLite database, the log, preferences and drafts.

Created with their modes from the start (0700 folders, 0600 files) rather than by changing
the process umask, which would reach every file anything in the app creates.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import stat
from pathlib import Path

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600


def make_private_folder(path: Path) -> None:
    """Create `path` and its missing parents, each 0700; folders already there are kept as
    they are. Raises OSError when one cannot be made."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, PRIVATE_FOLDER)


def create_private_file(path: Path) -> bool:
    """Create `path` empty and 0600 unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (a reader never sees half a file), 0600."""
    make_private_folder(path.parent)
    # Unique per call, not only per process: two threads may replace the same file at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def readable_by_others(path: Path) -> bool:
    """True when `path` is a file the group or anyone else has any access to."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and bool(mode & 0o077)


def exposed_file_warning(path: Path, what: str = "The database file") -> str | None:
    """One line for a file others can read, with the command that fixes it; else None."""
    if not readable_by_others(path):
        return None
    quoted = shlex.quote(str(path))
    return (
        f"{what} {path} can be read by other users of this computer: "
        f"run chmod 600 {quoted}* to keep it private."
    )
