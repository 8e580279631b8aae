"""Settings: where DATABASE_URL and friends come from, and what a valid URL is.

Imports only the standard library, python-dotenv and platformdirs: the first frame is
drawn before SQLAlchemy is imported, and it needs the masked URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from platformdirs import user_config_path, user_data_path

APP_NAME = "todo-tui"
DEFAULT_BCRYPT_ROUNDS = 12
DEFAULT_CONNECT_TIMEOUT = 10
POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg2"}
SECRET_QUERY_KEYS = {"password", "sslpassword"}
UNSAFE_IN_PASSWORD = "/ ? # @ : (as %2F %3F %23 %40 %3A)"
# Readers of URLs disagree on these when raw in the user info (urlsplit takes the last "@",
# SQLAlchemy the first; "/", "?" and "#" end the host part early), so they are refused.
RAW_IN_USERINFO = "/?#@:"


class ConfigError(Exception):
    """A setting that cannot be used, as one sentence for the user."""


@dataclass(frozen=True)
class DatabaseURL:
    """A validated database URL. `str()` never shows the password."""

    dialect: str  # "postgresql" or "sqlite"
    url: str  # what SQLAlchemy gets: the driver is explicit (postgresql+psycopg2)
    masked: str
    source: str
    sqlite_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def password(self) -> str | None:
        parts = urlsplit(self.url)
        return unquote(parts.password) if parts.password else None

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"DatabaseURL({self.masked!r}, source={self.source!r})"


@dataclass(frozen=True)
class Settings:
    database: DatabaseURL
    echo_sql: bool = False
    bcrypt_rounds: int = DEFAULT_BCRYPT_ROUNDS
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT
    config_dir: Path = field(default_factory=lambda: user_config_path(APP_NAME))


def default_sqlite_path() -> Path:
    return user_data_path(APP_NAME) / "todo.db"


def parse_database_url(raw: str, *, source: str) -> DatabaseURL:
    """Validate a URL as Neon's console or a user writes it; raise ConfigError if unusable."""
    text = raw.strip()
    where = f"DATABASE_URL from {source}"
    if not text:
        raise ConfigError(f"{where} is empty.")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise _unparsable(where) from None
    scheme = parts.scheme.lower()
    if not scheme or "://" not in text:
        raise ConfigError(f"{where} is not a URL: expected postgresql://… or sqlite:///….")
    if scheme == "sqlite":
        return _sqlite_url(parts, where=where, source=source)
    if scheme in POSTGRES_SCHEMES:
        return _postgres_url(parts, where=where, source=source)
    if scheme.startswith(("postgresql+", "postgres+")):
        driver = scheme.partition("+")[2]
        raise ConfigError(
            f"{where} asks for the driver '{driver}', which todo-tui does not ship: "
            "use postgresql://… (todo-tui connects with psycopg2)."
        )
    raise ConfigError(
        f"{where} uses the unsupported scheme '{scheme}': todo-tui works with "
        "postgresql:// (or postgres://) and sqlite:///."
    )


def _unparsable(where: str) -> ConfigError:
    # Never quote the error: it would show part of the URL, the password perhaps.
    return ConfigError(
        f"{where} cannot be parsed as a URL: check the port, and percent-encode any "
        f"{UNSAFE_IN_PASSWORD} in the password."
    )


def _postgres_url(parts, *, where: str, source: str) -> DatabaseURL:
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, has_password, password = userinfo.partition(":")
    if (
        any(char in userinfo for char in RAW_IN_USERINFO.replace(":", ""))
        or ":" in password
        or "@" in parts.path
        or "@" in parts.query
        or parts.fragment
    ):
        # Never quote any of it: which part is the password is exactly what is unclear.
        raise ConfigError(
            f"{where} cannot be read: percent-encode any {UNSAFE_IN_PASSWORD} in the "
            "user name or password."
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a non-numeric port
    except ValueError:
        raise _unparsable(where) from None
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.hostname and not any(key == "host" for key, _ in query):
        raise ConfigError(f"{where} has no host name (postgresql://user:password@HOST/db).")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ConfigError(f"{where} names no database (postgresql://user:password@host/DB).")
    # The engine gets the same parts, each encoded, so SQLAlchemy reads what was read here.
    netloc = hostport
    if userinfo:
        encoded = quote(unquote(user), safe="")
        if has_password:
            encoded += ":" + quote(unquote(password), safe="")
        netloc = f"{encoded}@{hostport}"
    url = _unsplit("postgresql+psycopg2", netloc, parts.path, parts.query)
    return DatabaseURL("postgresql", url, _masked(parts, "postgresql", query), source)


def _sqlite_url(parts, *, where: str, source: str) -> DatabaseURL:
    path = unquote(parts.path[1:]) if parts.path.startswith("/") else ""
    if parts.netloc or not path or path == ":memory:":
        raise ConfigError(
            f"{where} names no SQLite file: use sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db."
        )
    absolute = Path(path).expanduser().resolve()
    url = f"sqlite:///{absolute}"
    return DatabaseURL("sqlite", url, url, source, sqlite_path=absolute)


def _masked(parts, scheme: str, query: list[tuple[str, str]]) -> str:
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username:
        user = unquote(parts.username)
        netloc = f"{user}:***@{netloc}" if parts.password is not None else f"{user}@{netloc}"
    shown = [(k, "***" if k.lower() in SECRET_QUERY_KEYS else v) for k, v in query]
    return _unsplit(scheme, netloc, parts.path, urlencode(shown, safe="/*"))


def _unsplit(scheme: str, netloc: str, path: str, query: str) -> str:
    # Not urlunsplit: it drops the "//" when there is no host (postgresql:///db?host=/run/pg),
    # which SQLAlchemy then cannot parse.
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only when there is a .env: start-up time counts

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def load_settings(
    *,
    database_url: str | None = None,
    echo_sql: bool = False,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings: --database-url, then the environment, then ./.env, then defaults."""
    environ = os.environ if environ is None else environ
    dotenv_path = (cwd or Path.cwd()) / ".env"
    dotenv = _read_dotenv(dotenv_path)

    def lookup(name: str) -> tuple[str | None, str]:
        if name in environ:
            return environ[name], "the environment"
        if name in dotenv:
            return dotenv[name], str(dotenv_path)
        return None, ""

    if database_url is not None:
        database = parse_database_url(database_url, source="--database-url")
    else:
        raw, source = lookup("DATABASE_URL")
        if raw is None:
            path = default_sqlite_path()
            database = parse_database_url(f"sqlite:///{path}", source="the default")
        elif not raw.strip():
            # Set but blank is a mistake (an unfilled template), not a wish for the default.
            raise ConfigError(
                f"DATABASE_URL from {source} is empty: give it a URL, or unset it to use "
                "the default SQLite file."
            )
        else:
            database = parse_database_url(raw, source=source)

    echo_raw, _ = lookup("TODO_TUI_ECHO_SQL")
    return Settings(
        database=database,
        echo_sql=echo_sql or (echo_raw or "").strip().lower() in {"1", "true", "yes"},
        bcrypt_rounds=_int_setting(lookup, "TODO_TUI_BCRYPT_ROUNDS", DEFAULT_BCRYPT_ROUNDS, 4, 31),
        connect_timeout=_int_setting(
            lookup, "TODO_TUI_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, 1, 600
        ),
    )


def _int_setting(lookup, name: str, default: int, low: int, high: int) -> int:
    raw, source = lookup(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} from {source} must be a whole number, not {raw!r}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} from {source} must be between {low} and {high}.")
    return value
