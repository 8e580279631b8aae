"""Outages leave a trace: a lost connection (a terminated backend on PostgreSQL, a deleted
file on SQLite) is one WARNING line in the log file with its classified sentence, the
recovery one more, and the password never.

The app runs in a subprocess with its own home, logging as `todo-tui` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

from todo_tui.config import load_settings

SECRET = "s3cr3t-log-pw"  # the test server trusts any password: it only has to be there

SCRIPT = textwrap.dedent(
    """
    import os, pathlib, sqlalchemy as sa
    from todo_tui.cli import start_log
    from todo_tui.config import load_settings
    from todo_tui.db import Database
    from todo_tui.faults import DatabaseFault

    assert start_log()
    database = Database(load_settings(database_url=os.environ["URL"], environ={}))
    admin = os.environ.get("ADMIN")

    def lose_the_connection():
        if admin is None:  # SQLite: the file goes
            pathlib.Path(database.settings.database.sqlite_path).unlink(missing_ok=True)
            database.run(lambda s: s.connection().exec_driver_sql("SELECT 1").all())
            return
        with database.faults(), database.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
            with engine.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
            engine.dispose()
            connection.exec_driver_sql("SELECT 1").all()

    database.run(lambda s: s.connection().exec_driver_sql("SELECT 1").all())
    for _ in range(2):  # the same outage twice: one line
        try:
            lose_the_connection()
        except DatabaseFault as fault:
            print(fault.kind)
    if admin is not None:
        database.run(lambda s: s.connection().exec_driver_sql("SELECT 1").all())
    database.dispose()
    """
)


def test_a_lost_connection_is_logged_once_at_warning_without_the_password(
    databases, tmp_path: Path
) -> None:
    url = databases.new_url()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    if databases.dialect == "postgresql":
        with_secret = sa.make_url(load_settings(database_url=url, environ={}).database.url)
        url = (
            with_secret.set(password=SECRET)
            .render_as_string(hide_password=False)
            .replace("postgresql+psycopg2://", "postgresql://")
        )
        env["ADMIN"] = load_settings(database_url=databases.server_url, environ={}).database.url
    env["URL"] = url
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "state" / "todo-tui" / "log" / "todo-tui.log").read_text()
    warnings = [line for line in log.splitlines() if " WARNING todo_tui.db: " in line]
    if databases.dialect == "postgresql":
        assert result.stdout.split() == ["connection", "lost", "connection", "lost"]
        assert len(warnings) == 2, log
        assert warnings[0].endswith("The connection to the database was lost. (connection lost)")
        assert warnings[1].endswith("the database answers again")
    else:
        assert result.stdout.split() == ["file", "gone", "file", "gone"]
        assert len(warnings) == 1, log
        path = load_settings(database_url=url, environ={}).database.sqlite_path
        assert warnings[0].endswith(
            f"The database file {path} was deleted, moved or replaced while todo-tui was "
            "running: nothing more is written. Put the file back and restart todo-tui. "
            "(file gone)"
        )
    assert SECRET not in log and SECRET not in result.stdout + result.stderr
