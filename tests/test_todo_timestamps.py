"""Todo timestamps on both databases: aware UTC, moved by writes only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.todo_rows import (
    PAST,
    act,
    all_rows,
    assert_utc_now,
    listed,
    new_user,
    push_into_the_past,
)
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.todos import (
    TodoNotFound,
    add_todo,
    set_completed,
    update_todo,
)

# ---------------------------------------------------------------------------------------
# Timestamps


def test_update_moves_updated_at_but_not_created_at(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    updated = act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        title="t2",
        description=None,
    )
    assert updated.created_at == PAST
    assert updated.updated_at > PAST
    assert_utc_now(updated.updated_at)
    [row] = all_rows(database)
    assert (row[5], row[6]) == (PAST, updated.updated_at)


@pytest.mark.parametrize("completed", [True, False])
def test_toggle_moves_updated_at_but_not_created_at(
    database: Database, alice: int, completed: bool
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    toggled = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=completed,
    )
    assert toggled.created_at == PAST
    assert_utc_now(toggled.updated_at)
    assert all_rows(database)[0][6] == toggled.updated_at


def test_failed_update_of_someone_elses_todo_moves_nothing(
    database: Database, alice: int, bob: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    push_into_the_past(database, todo.id)
    with pytest.raises(TodoNotFound):
        act(
            database,
            set_completed,
            owner_id=bob,
            todo_id=todo.id,
            version=todo.version,
            completed=True,
        )
    assert all_rows(database)[0][5:] == (PAST, PAST, todo.version)


def test_timestamps_are_aware_utc_on_every_path(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    toggled = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    for moment in (
        todo.created_at,
        todo.updated_at,
        toggled.updated_at,
        listed(database, alice)[0].created_at,
        listed(database, alice)[0].updated_at,
        *all_rows(database)[0][5:7],
    ):
        assert_utc_now(moment)


def test_timestamps_are_utc_whatever_the_session_time_zone(database: Database) -> None:
    """A PostgreSQL session in another time zone still yields the same UTC instants.

    SQLite has no session time zone: CURRENT_TIMESTAMP is always UTC, checked above.
    """
    if database.dialect == "sqlite":
        with database.engine.connect() as connection:
            now = connection.exec_driver_sql("SELECT CURRENT_TIMESTAMP").scalar()
        moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
        assert_utc_now(moment)
        return
    url = sa.make_url(database.settings.database.url).update_query_dict(
        {"options": "-c timezone=Asia/Kathmandu"}  # +05:45: no rounding hides it
    )
    settings = replace(
        load_settings(
            database_url=url.render_as_string(hide_password=False).replace("+psycopg2", ""),
            environ={},
        ),
        bcrypt_rounds=4,
    )
    other = Database(settings)
    try:
        with other.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "Asia/Kathmandu"
        owner = new_user(other)
        todo = act(other, add_todo, owner_id=owner, title="far away")
        assert_utc_now(todo.created_at)
        assert listed(database, owner) == [todo]  # the same instants from a UTC session
    finally:
        other.dispose()
