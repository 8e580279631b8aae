"""The command line: `todo-tui db status|upgrade` exit codes and text, bad settings, where
DATABASE_URL comes from, and that no password is ever printed.

Most runs are real subprocesses (`python -m todo_tui`); states that need a migrations
directory other than the installed one call `todo_tui.cli.main` in-process, pointing
`todo_tui.schema.migrations_dir` at a copy (the database itself is real).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from todo_tui import __version__, schema
from todo_tui.cli import main
from todo_tui.db import Database
from todo_tui.schema import Revision, alembic_config, upgrade_to_head


def real_history() -> list[Revision]:
    """The shipped revisions, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [
        Revision(rev.revision, (rev.doc or "").strip())
        for rev in reversed(list(script.walk_revisions()))
    ]


REVISIONS = real_history()
HEAD = REVISIONS[-1].id
PASSWORD = "s3cr3t-pw"
TIMEOUT = 60
postgresql_only = pytest.mark.parametrize("dialect", ["postgresql"], indirect=True)


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "todo_tui", *args],
        cwd=cwd,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def assert_clean(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert PASSWORD not in output


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture):
    """`run(*args)`: cli.main in-process, from an empty working directory -> (code, out, err)."""
    monkeypatch.chdir(tmp_path)

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return call


def url_of(databases, *, migrated: bool) -> tuple[str, Database]:
    url = databases.new_url()
    database = Database(databases.settings(url))
    databases.databases.append(database)
    if migrated:
        upgrade_to_head(database)
    return url, database


# ---------------------------------------------------------------------------------------
# db status: one exit code per state.


def _up_to_date(database: Database) -> None:
    upgrade_to_head(database)


def _ahead(database: Database) -> None:
    upgrade_to_head(database)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE todo_tui_alembic_version SET version_num = '9999'")


def _adoptable(database: Database) -> None:
    upgrade_to_head(database)  # then the record of it lost
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE todo_tui_alembic_version")


def _not_adoptable(database: Database) -> None:
    SQLModel.metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX idx_todo_user_id")


STATUS_CASES = {
    "up to date": (_up_to_date, 0, [f"The database is up to date (revision {HEAD})."]),
    "empty": (
        lambda database: None,
        1,
        ["no todo-tui tables yet", "  pending 0001: create user and todo"],
    ),
    "ahead": (_ahead, 3, ["upgraded by a newer todo-tui (revision 9999)"]),
    "unversioned, adoptable": (
        _adoptable,
        3,
        ["They match revision", "Run `todo-tui db upgrade --adopt`"],
    ),
    "unversioned, not adoptable": (
        _not_adoptable,
        3,
        ["they match no revision", "  differs: index idx_todo_user_id is missing"],
    ),
}


@pytest.mark.parametrize("state", STATUS_CASES)
def test_db_status(databases, dump, run, state: str) -> None:
    setup, code, says = STATUS_CASES[state]
    url, database = url_of(databases, migrated=False)
    setup(database)
    before = dump(database)
    exit_code, out, err = run("--database-url", url, "db", "status")
    assert exit_code == code
    assert out.startswith(f"Database: {database.settings.database.masked}\n")
    for text in says:
        assert text in out
    assert err == ""
    assert dump(database) == before


def test_db_status_behind(databases, make_migrations, monkeypatch, run) -> None:
    url, _ = url_of(databases, migrated=True)
    newer = make_migrations(
        (
            "9002",
            "add note table",
            'op.create_table("note", sa.Column("id", sa.Integer(), primary_key=True))',
        )
    )
    monkeypatch.setattr(schema, "migrations_dir", lambda: newer)
    code, out, _ = run("--database-url", url, "db", "status")
    assert code == 1
    assert f"at revision {HEAD}" in out and "reach 9002" in out
    assert "  pending 9002: add note table" in out

    code, out, _ = run("--database-url", url, "db", "upgrade")
    assert code == 0
    assert "Applied 9002: add note table" in out
    assert "Applied 0001" not in out
    assert "The database is up to date (revision 9002)." in out


def test_db_status_unreachable(dialect: str, tmp_path: Path, run) -> None:
    if dialect == "postgresql":
        url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/x"
        says = "Cannot reach the database at 127.0.0.1"
    else:
        (tmp_path / "folder.db").mkdir()
        url = f"sqlite:///{tmp_path / 'folder.db'}"
        says = "Cannot open the SQLite file"
    result = cli("--database-url", url, "db", "status")
    assert result.returncode == 4, result
    assert result.stderr.startswith(f"todo-tui: {says}")
    assert_clean(result)
    code, out, err = run("--database-url", url, "db", "upgrade")
    assert code == 4
    assert says in out + err
    assert PASSWORD not in out + err


def test_db_upgrade_when_the_sqlite_folder_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = cli("--database-url", f"sqlite:///{tmp_path}/a-file/todo.db", "db", "upgrade")
    assert result.returncode == 4, result
    assert "Cannot create the folder" in result.stderr
    assert_clean(result)


# ---------------------------------------------------------------------------------------
# db upgrade.


def test_db_upgrade_an_empty_database(databases) -> None:
    url, _ = url_of(databases, migrated=False)
    result = cli("--database-url", url, "db", "upgrade")
    assert result.returncode == 0, result
    assert result.stdout.splitlines()[1:] == [
        *(f"Applied {revision.id}: {revision.message}" for revision in REVISIONS),
        f"The database is up to date (revision {HEAD}).",
    ]
    assert result.stderr == ""


def test_db_upgrade_an_up_to_date_database_does_nothing(databases, dump, run) -> None:
    url, database = url_of(databases, migrated=True)
    before = dump(database)
    code, out, _ = run("--database-url", url, "db", "upgrade")
    assert code == 0
    assert "Applied" not in out
    assert f"The database is up to date (revision {HEAD})." in out
    assert dump(database) == before


@pytest.mark.parametrize(
    ("state", "adopt", "code"),
    [
        ("ahead", False, 3),
        ("unversioned, adoptable", False, 3),
        ("unversioned, not adoptable", True, 3),
    ],
)
def test_db_upgrade_refuses_and_writes_nothing(
    databases, dump, run, state: str, adopt: bool, code: int
) -> None:
    url, database = url_of(databases, migrated=False)
    STATUS_CASES[state][0](database)
    before = dump(database)
    exit_code, out, _ = run("--database-url", url, "db", "upgrade", *(["--adopt"] * adopt))
    assert exit_code == code
    assert "Applied" not in out
    assert dump(database) == before


def test_db_upgrade_adopt(databases, run) -> None:
    url, database = url_of(databases, migrated=False)
    _adoptable(database)
    code, out, _ = run("--database-url", url, "db", "upgrade", "--adopt")
    assert code == 0
    assert "Applied" not in out  # stamped: nothing was applied
    assert f"The database is up to date (revision {HEAD})." in out
    assert run("--database-url", url, "db", "status")[0] == 0


def test_db_upgrade_that_fails_says_so(databases, dump, make_migrations, monkeypatch, run) -> None:
    url, database = url_of(databases, migrated=True)
    broken = make_migrations(("9002", "broken", 'op.execute("THIS IS NOT SQL")'))
    monkeypatch.setattr(schema, "migrations_dir", lambda: broken)
    before = dump(database)
    code, out, err = run("--database-url", url, "db", "upgrade")
    assert code == 3
    assert err.startswith("todo-tui: ") and err.endswith(" The schema is unchanged.\n")
    assert "Applied" not in out
    assert dump(database) == before


# ---------------------------------------------------------------------------------------
# Passwords.


@postgresql_only
@pytest.mark.parametrize("where", ["in the user part", "in the query"])
def test_a_password_is_never_printed(databases, run, where: str) -> None:
    url, _ = url_of(databases, migrated=False)
    server = sa.make_url(url)
    if server.password is not None:
        pytest.skip("needs a test server that accepts any password (trust authentication)")
    at = f"{server.host}:{server.port}/{server.database}" if server.port else None
    at = at or f"{server.host}/{server.database}"
    if where == "in the user part":
        url = f"postgresql://{server.username}:{PASSWORD}@{at}"
        shown = f"postgresql://{server.username}:***@{at}"
    else:
        url = f"postgresql://{server.username}@{at}?password={PASSWORD}"
        shown = f"postgresql://{server.username}@{at}?password=***"
    result = cli("--database-url", url, "--echo-sql", "db", "upgrade")
    assert result.returncode == 0, result
    assert result.stdout.startswith(f"Database: {shown}\n")
    assert "Applied 0001" in result.stdout
    assert "CREATE TABLE" in result.stdout + result.stderr  # --echo-sql did log
    assert_clean(result)
    code, out, err = run("--database-url", url, "db", "status")
    assert code == 0
    assert out.startswith(f"Database: {shown}\n")
    assert PASSWORD not in out + err


# ---------------------------------------------------------------------------------------
# Bad settings: exit 2 and one sentence naming the problem and where the URL came from.

BAD_URLS = {
    f"mysql://u:{PASSWORD}@x/y": "uses the unsupported scheme 'mysql'",
    f"postgresql://user:{PASSWORD}@/nodb": "has no host name",
    "postgresql://host": "names no database",
    "not a url": "is not a URL",
    f"postgresql://u:{PASSWORD}@h:notaport/db": "cannot be parsed as a URL",
    "postgresql+asyncpg://h/db": "asks for the driver 'asyncpg'",
    "sqlite://": "names no SQLite file",
}


@pytest.mark.parametrize("source", ["--database-url", "the environment", ".env"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_is_one_sentence(tmp_path: Path, url: str, source: str) -> None:
    args: list[str] = []
    env: dict[str, str] = {}
    if source == "--database-url":
        args = ["--database-url", url]
    elif source == "the environment":
        env = {"DATABASE_URL": url}
    else:
        source = str(tmp_path / ".env")
        (tmp_path / ".env").write_text(f'DATABASE_URL="{url}"\n')
    result = cli(*args, "db", "status", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"todo-tui: DATABASE_URL from {source} ")
    assert BAD_URLS[url] in result.stderr
    assert result.stderr.endswith(".\n") and result.stderr.count("\n") == 1
    assert_clean(result)
    assert list(tmp_path.iterdir()) == ([tmp_path / ".env"] if source.endswith(".env") else [])


# ---------------------------------------------------------------------------------------
# Where DATABASE_URL comes from.


def test_dotenv_in_the_working_directory_is_used(databases, tmp_path: Path, run) -> None:
    url, database = url_of(databases, migrated=True)
    (tmp_path / ".env").write_text(f"# a comment\nDATABASE_URL={url}\n")
    code, out, _ = run("db", "status")
    assert code == 0
    assert out.startswith(f"Database: {database.settings.database.masked}\n")


def test_the_environment_wins_over_dotenv(databases, tmp_path: Path, monkeypatch, run) -> None:
    in_dotenv, _ = url_of(databases, migrated=True)
    in_environment, chosen = url_of(databases, migrated=False)
    (tmp_path / ".env").write_text(f"DATABASE_URL={in_dotenv}\n")
    monkeypatch.setenv("DATABASE_URL", in_environment)
    code, out, _ = run("db", "status")
    assert code == 1  # the empty one: the environment's
    assert out.startswith(f"Database: {chosen.settings.database.masked}\n")
    # ...even when the environment's value is unusable: no falling back to .env.
    monkeypatch.setenv("DATABASE_URL", "mysql://x/y")
    code, out, err = run("db", "status")
    assert code == 2
    assert err.startswith("todo-tui: DATABASE_URL from the environment ")


def test_without_any_setting_the_default_sqlite_file_is_used(tmp_path, monkeypatch, run) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    code, out, _ = run("db", "upgrade")
    assert code == 0
    default = data / "todo-tui" / "todo.db"
    assert out.startswith(f"Database: sqlite:///{default}\n")
    assert default.is_file()


def test_db_status_creates_no_file_and_no_folder(tmp_path: Path) -> None:
    path = tmp_path / "not-yet" / "todo.db"
    result = cli("--database-url", f"sqlite:///{path}", "db", "status")
    assert result.returncode == 1, result
    assert f"There is no database file yet at {path}" in result.stdout
    assert result.stderr == ""
    assert not path.parent.exists()


def test_a_blank_database_url_is_refused(tmp_path: Path) -> None:
    result = cli("db", "status", cwd=tmp_path, env={"DATABASE_URL": "  "})
    assert result.returncode == 2, result
    assert result.stderr == (
        "todo-tui: DATABASE_URL from the environment is empty: give it a URL, or unset it "
        "to use the default SQLite file.\n"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("bogus",),
        ("db",),
        ("db", "drop"),
        ("--no-such-option",),
        ("--database-url", "mysql://x/y", "db", "status"),
        ("--database-url", "sqlite:///{tmp}/a-folder.db", "db", "status"),
        ("--database-url", "sqlite:///{tmp}/a-file/todo.db", "db", "upgrade"),
        ("--database-url", "postgresql://u:s3cr3t-pw@127.0.0.1:1/x", "db", "status"),
    ],
    ids=[
        "unknown command",
        "db without action",
        "unknown action",
        "unknown option",
        "bad url",
        "unopenable file",
        "uncreatable folder",
        "unreachable server",
    ],
)
def test_every_error_is_one_line_starting_with_the_program_name(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "a-folder.db").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    result = cli(*(arg.format(tmp=tmp_path) for arg in args), cwd=tmp_path)
    assert result.returncode != 0, result
    assert result.stderr.startswith("todo-tui: "), result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith(".\n"), result.stderr
    assert_clean(result)


def test_help_says_first_that_no_command_is_needed(tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "usage: todo-tui [options] [COMMAND ...]"
    assert lines[2].startswith("todo-tui with no command opens the app")
    assert lines[5] == "  todo-tui                     open the app: no command is needed"
    assert "commands (optional):" in lines


# ---------------------------------------------------------------------------------------
# --version.


def test_version(tmp_path: Path) -> None:
    result = cli("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"todo-tui {__version__}\n", "")
    assert importlib.metadata.version("todo-tui") == __version__
    script = Path(sys.executable).parent / "todo-tui"  # the installed console script
    installed = subprocess.run(
        [script, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert installed.stdout == f"todo-tui {__version__}\n"
