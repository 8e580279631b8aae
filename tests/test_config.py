"""Settings: where DATABASE_URL comes from, which URLs are accepted, and what is never shown.

No database: everything here is parsing. `load_settings(environ=..., cwd=tmp_path)` keeps the
real environment and working directory out of it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from todo_tui.config import (
    DEFAULT_BCRYPT_ROUNDS,
    DEFAULT_CONNECT_TIMEOUT,
    ConfigError,
    load_settings,
    parse_database_url,
)

NEON_URL = (
    "postgresql://alice:AbC123xyz@ep-cool-meadow-123456.us-east-2.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
NEON_PASSWORD = "AbC123xyz"


def write_env(directory: Path, **values: str) -> Path:
    path = directory / ".env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def pg(name: str) -> str:
    return f"postgresql://u@host.example/{name}"


# ---------------------------------------------------------------------------------------
# Where the URL comes from


def test_argument_beats_environment_and_dotenv(tmp_path: Path) -> None:
    write_env(tmp_path, DATABASE_URL=pg("from_dotenv"))
    settings = load_settings(
        database_url=pg("from_argument"),
        environ={"DATABASE_URL": pg("from_environment")},
        cwd=tmp_path,
    )
    assert sa.make_url(settings.database.url).database == "from_argument"
    assert settings.database.source == "--database-url"


def test_environment_beats_dotenv(tmp_path: Path) -> None:
    write_env(tmp_path, DATABASE_URL=pg("from_dotenv"))
    settings = load_settings(environ={"DATABASE_URL": pg("from_environment")}, cwd=tmp_path)
    assert sa.make_url(settings.database.url).database == "from_environment"
    assert settings.database.source == "the environment"


def test_dotenv_in_the_working_directory_is_used_when_nothing_else_is(tmp_path: Path) -> None:
    path = write_env(tmp_path, DATABASE_URL=pg("from_dotenv"))
    settings = load_settings(environ={}, cwd=tmp_path)
    assert sa.make_url(settings.database.url).database == "from_dotenv"
    assert settings.database.source == str(path)


def test_dotenv_never_overrides_the_environment_for_other_settings(tmp_path: Path) -> None:
    write_env(tmp_path, TODO_TUI_BCRYPT_ROUNDS="5", TODO_TUI_CONNECT_TIMEOUT="7")
    settings = load_settings(
        environ={"TODO_TUI_BCRYPT_ROUNDS": "6", "TODO_TUI_CONNECT_TIMEOUT": "8"}, cwd=tmp_path
    )
    assert (settings.bcrypt_rounds, settings.connect_timeout) == (6, 8)


def test_loading_settings_does_not_write_dotenv_into_the_process_environment(
    tmp_path: Path,
) -> None:
    write_env(tmp_path, DATABASE_URL=pg("from_dotenv"), TODO_TUI_SENTINEL_XYZ="1")
    load_settings(environ={}, cwd=tmp_path)
    assert "TODO_TUI_SENTINEL_XYZ" not in os.environ
    assert "DATABASE_URL" not in os.environ


def test_default_is_a_sqlite_file_in_the_user_data_dir(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)  # tmp_path has no .env
    database = settings.database
    assert database.is_sqlite
    assert database.source == "the default"
    assert database.sqlite_path is not None
    assert database.sqlite_path.parts[-2:] == ("todo-tui", "todo.db")
    # conftest points XDG_DATA_HOME at a temporary directory: never the real home.
    data_home = Path(os.environ["XDG_DATA_HOME"]).resolve()
    assert database.sqlite_path == data_home / "todo-tui" / "todo.db"
    assert database.url == f"sqlite:///{database.sqlite_path}"


@pytest.mark.parametrize("where", ["the environment", ".env"])
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_database_url_is_refused_with_a_sentence(
    tmp_path: Path, where: str, blank: str
) -> None:
    """Set but blank is a slip (an unfilled template), not a wish for the default file."""
    environ = {"DATABASE_URL": blank} if where == "the environment" else {}
    if where == ".env":
        (tmp_path / ".env").write_text(f"DATABASE_URL={blank}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ, cwd=tmp_path)
    source = "the environment" if where == "the environment" else str(tmp_path / ".env")
    assert str(caught.value) == (
        f"DATABASE_URL from {source} is empty: give it a URL, or unset it to use the "
        "default SQLite file."
    )


def test_relative_sqlite_path_is_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    database = parse_database_url("sqlite:///data/todo.db", source="the environment")
    assert database.sqlite_path == tmp_path.resolve() / "data" / "todo.db"
    assert database.url == f"sqlite:///{tmp_path.resolve() / 'data' / 'todo.db'}"


def test_absolute_sqlite_path(tmp_path: Path) -> None:
    target = tmp_path.resolve() / "x.db"
    database = parse_database_url(f"sqlite:///{target}", source="the environment")
    assert database.sqlite_path == target
    assert database.dialect == "sqlite"


# ---------------------------------------------------------------------------------------
# PostgreSQL URLs as Neon's console (and people) write them


def test_neon_url_is_accepted_and_mapped_to_psycopg2() -> None:
    database = parse_database_url(NEON_URL, source="the environment")
    assert database.dialect == "postgresql"
    assert not database.is_sqlite
    assert database.url == NEON_URL.replace("postgresql://", "postgresql+psycopg2://", 1)
    url = sa.make_url(database.url)
    assert url.drivername == "postgresql+psycopg2"
    assert url.host == "ep-cool-meadow-123456.us-east-2.aws.neon.tech"
    assert url.database == "neondb"
    assert url.username == "alice"
    assert url.password == NEON_PASSWORD
    assert dict(url.query) == {"sslmode": "require", "channel_binding": "require"}


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg2", "POSTGRES"])
def test_postgres_scheme_spellings_map_to_psycopg2(scheme: str) -> None:
    database = parse_database_url(
        f"{scheme}://bob:pw@db.example:6543/app?sslmode=require", source="x"
    )
    assert database.url == "postgresql+psycopg2://bob:pw@db.example:6543/app?sslmode=require"
    url = sa.make_url(database.url)
    assert (url.port, url.database, url.query["sslmode"]) == (6543, "app", "require")


def test_query_parameters_pass_through_untouched() -> None:
    query = "sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=-c%20search_path%3Dx&a=&b=1"
    database = parse_database_url(f"postgresql://u@h/db?{query}", source="x")
    assert database.url.endswith(f"?{query}")
    assert sa.make_url(database.url).query["sslrootcert"] == "/etc/ca.pem"


def test_host_given_as_query_parameter_is_accepted() -> None:
    # libpq style (a Unix socket directory): no host in the authority, so "///" must survive.
    database = parse_database_url("postgres:///db?host=/var/run/postgresql", source="x")
    assert database.url == "postgresql+psycopg2:///db?host=/var/run/postgresql"
    assert database.masked == "postgresql:///db?host=/var/run/postgresql"
    url = sa.make_url(database.url)
    assert (url.host, url.database, url.query["host"]) == (None, "db", "/var/run/postgresql")


def test_masked_form_hides_the_password_everywhere(tmp_path: Path) -> None:
    settings = load_settings(environ={"DATABASE_URL": NEON_URL}, cwd=tmp_path)
    database = settings.database
    assert database.masked == (
        "postgresql://alice:***@ep-cool-meadow-123456.us-east-2.aws.neon.tech/neondb"
        "?sslmode=require&channel_binding=require"
    )
    assert str(database) == database.masked
    for shown in (database.masked, str(database), repr(database), repr(settings), str(settings)):
        assert NEON_PASSWORD not in shown
        assert "alice:***@" in shown


def test_url_without_password_is_masked_without_stars() -> None:
    database = parse_database_url("postgresql://alice@h:5433/db", source="x")
    assert database.masked == "postgresql://alice@h:5433/db"
    assert database.password is None


@pytest.mark.parametrize("key", ["password", "PASSWORD", "sslpassword"])
def test_password_query_parameter_is_masked(key: str) -> None:
    database = parse_database_url(
        f"postgresql://alice@h/db?{key}=TopSecret9&sslmode=require", source="x"
    )
    assert "TopSecret9" not in database.masked
    assert "TopSecret9" not in repr(database)
    assert f"{key}=***" in database.masked
    assert "sslmode=require" in database.masked
    # ...but it still reaches the driver.
    assert sa.make_url(database.url).query[key] == "TopSecret9"


def test_percent_encoded_password_round_trips() -> None:
    database = parse_database_url("postgresql://alice:p%40ss%2Fw%3Ard@h/db", source="x")
    assert database.password == "p@ss/w:rd"
    assert sa.make_url(database.url).password == "p@ss/w:rd"
    assert "p%40ss" not in database.masked
    assert "p@ss" not in database.masked
    assert database.masked == "postgresql://alice:***@h/db"


def test_ipv6_host_is_kept_in_the_masked_form() -> None:
    database = parse_database_url("postgresql://alice:pw@[::1]:5432/db", source="x")
    assert database.masked == "postgresql://alice:***@[::1]:5432/db"
    assert sa.make_url(database.url).host == "::1"


# ---------------------------------------------------------------------------------------
# Bad URLs: one sentence, naming the problem and where the URL came from


def assert_one_sentence(message: str) -> None:
    assert message.endswith(".")
    assert "\n" not in message
    assert not re.search(r"[.!?]\s+[A-Z]", message), message


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("postgresql://alice:Secret123@host:notaport/db", "cannot be parsed"),
        ("postgresql://alice:Secret123@[::1/db", "cannot be parsed"),
        ("just some words", "is not a URL"),
        ("host.example/db", "is not a URL"),
        ("mysql://alice:Secret123@host/db", "unsupported scheme 'mysql'"),
        ("http://host/db", "unsupported scheme 'http'"),
        ("postgresql+asyncpg://alice:Secret123@host/db", "driver 'asyncpg'"),
        ("postgresql+psycopg://alice:Secret123@host/db", "driver 'psycopg'"),
        ("postgresql://alice:Secret123@/db", "no host"),
        ("postgresql:///db", "no host"),
        ("postgresql://alice:Secret123@host", "names no database"),
        ("postgresql://alice:Secret123@host/", "names no database"),
        ("sqlite://", "names no SQLite file"),
        ("sqlite:///", "names no SQLite file"),
        ("sqlite:///:memory:", "names no SQLite file"),
        ("sqlite://host/file.db", "names no SQLite file"),
        ("   ", "is empty"),
    ],
)
@pytest.mark.parametrize("source", ["--database-url", "the environment", "/home/x/.env"])
def test_bad_urls_raise_one_sentence_naming_problem_and_source(
    raw: str, problem: str, source: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url(raw, source=source)
    message = str(caught.value)
    assert problem in message
    assert f"DATABASE_URL from {source}" in message
    assert "Secret123" not in message
    assert_one_sentence(message)


def test_bad_url_from_dotenv_names_the_file(tmp_path: Path) -> None:
    path = write_env(tmp_path, DATABASE_URL="mysql://x@h/db")
    with pytest.raises(ConfigError, match=re.escape(f"DATABASE_URL from {path} uses")):
        load_settings(environ={}, cwd=tmp_path)


def test_bad_url_from_argument_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE_URL from --database-url names no database"):
        load_settings(database_url="postgresql://h", environ={}, cwd=tmp_path)


def test_bad_environment_url_is_an_error_even_with_a_good_dotenv(tmp_path: Path) -> None:
    write_env(tmp_path, DATABASE_URL=pg("fine"))
    with pytest.raises(ConfigError, match="from the environment"):
        load_settings(environ={"DATABASE_URL": "mysql://h/db"}, cwd=tmp_path)


# ---------------------------------------------------------------------------------------
# TODO_TUI_BCRYPT_ROUNDS and TODO_TUI_CONNECT_TIMEOUT


def test_numeric_settings_default(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.bcrypt_rounds == DEFAULT_BCRYPT_ROUNDS == 12
    assert settings.connect_timeout == DEFAULT_CONNECT_TIMEOUT == 10
    assert settings.echo_sql is False


@pytest.mark.parametrize(
    ("name", "attribute", "raw", "expected"),
    [
        ("TODO_TUI_BCRYPT_ROUNDS", "bcrypt_rounds", "4", 4),
        ("TODO_TUI_BCRYPT_ROUNDS", "bcrypt_rounds", " 13 ", 13),
        ("TODO_TUI_BCRYPT_ROUNDS", "bcrypt_rounds", "31", 31),
        ("TODO_TUI_BCRYPT_ROUNDS", "bcrypt_rounds", "", DEFAULT_BCRYPT_ROUNDS),
        ("TODO_TUI_CONNECT_TIMEOUT", "connect_timeout", "1", 1),
        ("TODO_TUI_CONNECT_TIMEOUT", "connect_timeout", "600", 600),
        ("TODO_TUI_CONNECT_TIMEOUT", "connect_timeout", "30", 30),
        ("TODO_TUI_CONNECT_TIMEOUT", "connect_timeout", "  ", DEFAULT_CONNECT_TIMEOUT),
    ],
)
def test_numeric_settings_are_parsed(
    tmp_path: Path, name: str, attribute: str, raw: str, expected: int
) -> None:
    settings = load_settings(environ={name: raw}, cwd=tmp_path)
    assert getattr(settings, attribute) == expected


def test_numeric_settings_come_from_dotenv(tmp_path: Path) -> None:
    write_env(tmp_path, TODO_TUI_BCRYPT_ROUNDS="5", TODO_TUI_CONNECT_TIMEOUT="3")
    settings = load_settings(environ={}, cwd=tmp_path)
    assert (settings.bcrypt_rounds, settings.connect_timeout) == (5, 3)


@pytest.mark.parametrize(
    ("name", "raw", "problem"),
    [
        ("TODO_TUI_BCRYPT_ROUNDS", "twelve", "must be a whole number, not 'twelve'"),
        ("TODO_TUI_BCRYPT_ROUNDS", "12.5", "must be a whole number"),
        ("TODO_TUI_BCRYPT_ROUNDS", "3", "must be between 4 and 31"),
        ("TODO_TUI_BCRYPT_ROUNDS", "32", "must be between 4 and 31"),
        ("TODO_TUI_CONNECT_TIMEOUT", "0", "must be between 1 and 600"),
        ("TODO_TUI_CONNECT_TIMEOUT", "601", "must be between 1 and 600"),
        ("TODO_TUI_CONNECT_TIMEOUT", "-5", "must be between 1 and 600"),
        ("TODO_TUI_CONNECT_TIMEOUT", "10s", "must be a whole number, not '10s'"),
    ],
)
def test_bad_numeric_settings_raise_config_error(
    tmp_path: Path, name: str, raw: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={name: raw}, cwd=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{name} from the environment ")
    assert problem in message
    assert_one_sentence(message)


def test_bad_numeric_setting_in_dotenv_names_the_file(tmp_path: Path) -> None:
    path = write_env(tmp_path, TODO_TUI_CONNECT_TIMEOUT="soon")
    with pytest.raises(ConfigError, match=re.escape(f"TODO_TUI_CONNECT_TIMEOUT from {path} ")):
        load_settings(environ={}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("no", False), ("", False)],
)
def test_echo_sql_from_environment(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_settings(environ={"TODO_TUI_ECHO_SQL": raw}, cwd=tmp_path).echo_sql is expected


def test_echo_sql_argument_wins(tmp_path: Path) -> None:
    settings = load_settings(echo_sql=True, environ={"TODO_TUI_ECHO_SQL": "0"}, cwd=tmp_path)
    assert settings.echo_sql is True


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:12345/x@db.example.com/neondb",  # would parse: host "alice"
        "postgresql://alice:se/cret@db.example.com/neondb",
        "postgresql://alice:se?cret@db.example.com/neondb",
        "postgresql://alice:se#cret@db.example.com/neondb",
    ],
)
def test_a_password_with_raw_url_characters_is_refused_and_never_shown(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_database_url(url, source="the environment")
    message = str(refused.value)
    assert "percent-encode" in message
    assert "cret" not in message and "12345/x" not in message and "alice" not in message


# ---------------------------------------------------------------------------------------
# One reading of the user info, for the masked form and the engine alike

HOSTS = ["host.example", "host.example:6543", "[::1]", "[::1]:5432", "[2001:db8::7]:5433"]
RAW = "/?#@:"


def pieces(secret: str) -> set[str]:
    return {secret[i : i + 3] for i in range(len(secret) - 2)}


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("char", RAW)
def test_a_raw_special_character_in_the_password_is_refused(char: str, host: str) -> None:
    secret = f"Pa55{char}w0rdZq"
    with pytest.raises(ConfigError) as caught:
        parse_database_url(f"postgresql://alice:{secret}@{host}/db", source="--database-url")
    message = str(caught.value)
    assert "percent-encode" in message
    assert not {piece for piece in pieces(secret) if piece in message}
    assert_one_sentence(message)


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("char", RAW.replace(":", ""))  # user:rest is a password, not this
def test_a_raw_special_character_in_a_user_only_url_is_refused(char: str, host: str) -> None:
    secret = f"Pa55{char}w0rdZq"
    with pytest.raises(ConfigError) as caught:
        parse_database_url(f"postgresql://{secret}@{host}/db", source="the environment")
    assert "percent-encode" in str(caught.value)
    assert not {piece for piece in pieces(secret) if piece in str(caught.value)}


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(
    ("userinfo", "user", "password"),
    [
        ("alice:p%40ss%3Aw%2Frd%3F%23%25", "alice", "p@ss:w/rd?#%"),
        ("al%40ice:pw", "al@ice", "pw"),
        ("alice", "alice", None),
        ("alice:", "alice", ""),
        ("alice:50%off", "alice", "50%off"),  # a raw % that starts no escape stays a %
    ],
)
def test_the_engine_reads_the_url_as_the_masked_form_does(
    userinfo: str, user: str, password: str | None, host: str
) -> None:
    database = parse_database_url(f"postgresql://{userinfo}@{host}/db?sslmode=require", source="x")
    engine_url = sa.make_url(database.url)
    shown = sa.make_url(database.masked.replace("postgresql://", "postgresql+psycopg2://"))
    assert engine_url.username == shown.username == user
    assert engine_url.password == password
    assert database.password == (password or None)
    assert (engine_url.host, engine_url.port) == (shown.host, shown.port)
    assert f"@{host}/" in database.masked
    assert engine_url.database == "db" and engine_url.query == {"sslmode": "require"}
