"""What the first frame and the start-up check import, and the shortcut to the head revision.

The first frame must not wait for the heavy imports (SQLAlchemy, SQLModel, Alembic,
psycopg2, bcrypt: about 350 ms on a developer machine, see benchmarks/): the modules that
draw it import Textual and the standard library only. The launch check of an up-to-date
database then loads what the check needs, not Alembic, and the login screen loads without
bcrypt or SQLModel. Each check runs in a fresh interpreter, so what the tests themselves
imported does not hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from todo_tui.schema import (
    OUR_TABLES,
    SchemaState,
    alembic_config,
    known_head,
    migrations_dir,
    schema_status,
)

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg2", "bcrypt", "pydantic", "email_validator")
ROOT = Path(__file__).resolve().parent.parent


def imported_after(code: str) -> set[str]:
    """The top-level packages among HEAVY that a fresh interpreter has loaded after `code`."""
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "module",
    ["todo_tui.app", "todo_tui.screens.startup", "todo_tui.cli", "todo_tui.__main__"],
)
def test_what_draws_the_first_frame_imports_nothing_heavy(module: str) -> None:
    if module == "todo_tui.__main__":  # runs main(): import its parts instead
        code = "import todo_tui.cli, todo_tui.app"
    else:
        code = f"import {module}"
    assert imported_after(code) == set()


def test_the_login_screen_imports_nothing_heavy() -> None:
    """The UI thread imports it when the check is done: bcrypt and SQLModel come later, on
    the database thread (login.warm_up)."""
    assert imported_after("import todo_tui.screens.login") == set()


def test_the_warm_up_after_the_login_screen_loads_what_logging_in_needs() -> None:
    loaded = imported_after("from todo_tui.screens.login import warm_up; warm_up()")
    assert {"bcrypt", "sqlmodel", "sqlalchemy", "email_validator"} <= loaded


def test_checking_an_up_to_date_database_does_not_load_alembic(databases) -> None:
    """What the start-up worker runs (TodoApp.open_database, startup.check_schema) on an
    up-to-date database."""
    url = databases.migrated().settings.database.url
    loaded = imported_after(
        f"""
        from todo_tui.app import TodoApp
        from todo_tui.config import load_settings
        from todo_tui.screens.startup import check_schema
        app = TodoApp(load_settings(database_url={url!r}, environ={{}}))
        status = check_schema(app.open_database(), made_here=False)
        assert status.state.value == "up to date", status
        app.database.dispose()
        """
    )
    assert "alembic" not in loaded
    assert "bcrypt" not in loaded


# ---------------------------------------------------------------------------------------
# The head revision without Alembic equals Alembic's


def alembic_heads(location: Path | None = None) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config(location)).get_heads())


def test_known_head_is_alembics_head_for_the_shipped_migrations() -> None:
    assert alembic_heads() == (known_head(),)
    assert known_head(migrations_dir()) == known_head()


def test_known_head_follows_new_revisions(make_migrations) -> None:
    location = make_migrations(
        ("9002", "add note table", 'op.create_table("n", sa.Column("id", sa.Integer()))'),
        ("9003", "drop it again", 'op.drop_table("n")'),
    )
    assert known_head(location) == "9003"
    assert alembic_heads(location) == ("9003",)


def test_known_head_gives_way_to_alembic_on_branches(make_migrations) -> None:
    location = make_migrations(("9002", "one branch", "pass"))
    branch = (location / "versions" / "9002_extra.py").read_text()
    (location / "versions" / "9003_other.py").write_text(
        branch.replace('revision = "9002"', 'revision = "9003"').replace(
            "Revision ID: 9002", "Revision ID: 9003"
        )
    )
    assert len(alembic_heads(location)) == 2
    assert known_head(location) is None


@pytest.mark.parametrize(
    "content",
    [
        "revision = compute()\ndown_revision = None\n",  # not a literal
        "down_revision = None\n",  # no revision
        "revision = 'x'\ndown_revision = 'nowhere'\n",  # a parent that is not there
        "this is not python\n",
    ],
    ids=["computed", "missing", "dangling", "syntax"],
)
def test_known_head_gives_way_to_alembic_on_files_it_cannot_read(
    make_migrations, content: str
) -> None:
    location = make_migrations()
    (location / "versions" / "9009_odd.py").write_text(content)
    assert known_head(location) is None


def test_known_head_ignores_what_alembic_ignores(make_migrations) -> None:
    location = make_migrations()
    (location / "versions" / ".#9009_editor_lock.py").write_text("revision = 'nope'\n")
    (location / "versions" / "notes.txt").write_text("revision = 'nope'\n")
    assert known_head(location) == alembic_heads(location)[0]


def test_status_is_alembics_when_the_shortcut_gives_way(databases, make_migrations) -> None:
    """A revision id the shortcut cannot read (not a literal): Alembic decides, the same."""
    database = databases.migrated()
    shipped = alembic_heads()
    location = make_migrations(("9002", "computed id", "pass"))
    path = location / "versions" / "9002_extra.py"
    path.write_text(path.read_text().replace('revision = "9002"', 'revision = "90" + "02"'))
    assert known_head(location) is None
    assert alembic_heads(location) == ("9002",)
    status = schema_status(database, script_location=location)
    assert status.state is SchemaState.BEHIND
    assert status.head == "9002"
    assert status.current == shipped


def test_our_tables_are_the_models_tables() -> None:
    from todo_tui.models import SQLModel

    assert frozenset(SQLModel.metadata.tables) == OUR_TABLES
