"""A password with a raw / ? # @ or : is refused by `todo-tui db status` itself, exit status 2,
in one sentence that shows no piece of it, whatever the host (IPv6 too), port or user.

Before, `postgresql://alice:Pa55@w0rd@host/db` printed "Cannot find the host w0rd@host" (the
masked form split at the last "@", SQLAlchemy at the first), and with an IPv6 host the run
ended in a traceback and exit status 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HOSTS = ["db.example.org", "db.example.org:6543", "[::1]", "[::1]:5432"]
RAW = "/?#@:"


def secret_for(char: str) -> str:
    return f"Pa55{char}w0rdZq"


def pieces(secret: str) -> set[str]:
    return {secret[i : i + 3] for i in range(len(secret) - 2)}


def db_status(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "todo_tui", *args, "db", "status"],
        env={**environ, **(env or {})},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_refused_without_a_trace(result: subprocess.CompletedProcess, secret: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert result.stdout == ""
    assert result.stderr.startswith("todo-tui: DATABASE_URL from ")
    assert "cannot be read: percent-encode any" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in output
    assert not {piece for piece in pieces(secret) if piece in output}, output


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("char", RAW)
def test_a_raw_character_in_the_password(tmp_path: Path, char: str, host: str) -> None:
    secret = secret_for(char)
    result = db_status(tmp_path, "--database-url", f"postgresql://alice:{secret}@{host}/todo")
    assert_refused_without_a_trace(result, secret)


@pytest.mark.parametrize("host", ["db.example.org", "[::1]:5432"])
@pytest.mark.parametrize("char", RAW.replace(":", ""))  # "user:rest" is a password
def test_a_raw_character_in_a_user_only_url(tmp_path: Path, char: str, host: str) -> None:
    secret = secret_for(char)
    result = db_status(tmp_path, "--database-url", f"postgresql://{secret}@{host}/todo")
    assert_refused_without_a_trace(result, secret)


@pytest.mark.parametrize("source", ["the environment", ".env"])
def test_from_the_environment_and_dotenv_too(tmp_path: Path, source: str) -> None:
    secret = secret_for("@")
    url = f"postgresql://alice:{secret}@[::1]/todo?sslmode=require&channel_binding=require"
    if source == ".env":
        (tmp_path / ".env").write_text(f"DATABASE_URL='{url}'\n")
        result = db_status(tmp_path)
    else:
        result = db_status(tmp_path, env={"DATABASE_URL": url})
    assert_refused_without_a_trace(result, secret)


def test_help_warns_that_the_option_shows_in_ps(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "todo_tui", "--help"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    text = " ".join(result.stdout.split())
    assert "can read it (password included) in `ps`" in text
    assert "prefer DATABASE_URL in the environment or in ./.env" in text
