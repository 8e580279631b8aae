"""Restoring a deleted todo, and inserts safe to retry: a client key (adds), the id (restores)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from tests.todo_rows import (
    PAST,
    act,
    all_rows,
    listed,
    push_into_the_past,
)
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.models import Todo
from todo_tui.todos import (
    add_todo,
    delete_todo,
    get_by_client_key,
    restore_todo,
    set_completed,
)

# ---------------------------------------------------------------------------------------
# Restoring a deleted todo


def test_restore_puts_back_the_same_todo(database: Database, alice: int) -> None:
    before = act(database, add_todo, owner_id=alice, title="first")
    todo = act(database, add_todo, owner_id=alice, title="precious", description="line 1\nline 2")
    after = act(database, add_todo, owner_id=alice, title="last")
    todo = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    push_into_the_past(database, todo.id)
    [todo] = [t for t in listed(database, alice) if t.id == todo.id]
    assert todo.created_at == PAST

    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    assert deleted == todo
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    # same id, title, description, state, created_at and updated_at; the version moves on
    assert restored == replace(todo, version=todo.version + 1)
    assert listed(database, alice) == [before, restored, after]
    assert [row[1] for row in all_rows(database)] == [alice] * 3
    # the id sequence is untouched: the next todo gets a new id, no conflict
    newest = act(database, add_todo, owner_id=alice, title="newest")
    assert newest.id not in {before.id, todo.id, after.id}


def test_restore_over_an_existing_todo_is_refused(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="here")
    with pytest.raises(DatabaseFault) as caught:
        act(database, restore_todo, owner_id=alice, todo=replace(todo, title="other"))
    assert caught.value.kind == FaultKind.CONFLICT
    assert listed(database, alice) == [todo]


# ---------------------------------------------------------------------------------------
# Inserts are safe to retry: a client key (adds), the id (restores)


def client_keys(database: Database) -> list[tuple[int, str | None]]:
    with database.engine.connect() as connection:
        statement = sa.select(Todo.user_id, Todo.client_key).order_by(Todo.id)
        return [tuple(row) for row in connection.execute(statement)]


def test_an_add_repeated_with_its_client_key_returns_the_first_and_adds_nothing(
    database: Database, alice: int
) -> None:
    first = act(database, add_todo, owner_id=alice, title="Call mum", client_key="k" * 32)
    # The retry after a lost reply; even with other text (typed meanwhile), it is the first.
    for title in ("Call mum", "Call mum today"):
        again = act(database, add_todo, owner_id=alice, title=title, client_key="k" * 32)
        assert again == first
    assert listed(database, alice) == [first]
    assert client_keys(database) == [(alice, "k" * 32)]
    # The first as it is now: changed since, the retry hands back the change.
    done = act(database, set_completed, owner_id=alice, todo_id=first.id, version=1, completed=True)
    assert act(database, add_todo, owner_id=alice, title="Call mum", client_key="k" * 32) == done


def test_client_keys_are_per_owner_and_per_draft(database: Database, alice: int, bob: int) -> None:
    mine = act(database, add_todo, owner_id=alice, title="mine", client_key="same")
    # Another owner's key never finds (nor blocks) alice's todo.
    theirs = act(database, add_todo, owner_id=bob, title="theirs", client_key="same")
    assert theirs.id != mine.id
    other = act(database, add_todo, owner_id=alice, title="other", client_key="another")
    keyless = [act(database, add_todo, owner_id=alice, title="no key") for _ in range(2)]
    assert listed(database, alice) == [mine, other, *keyless]
    assert listed(database, bob) == [theirs]
    assert act(database, get_by_client_key, owner_id=alice, client_key="same") == mine
    assert act(database, get_by_client_key, owner_id=bob, client_key="another") is None


def test_a_restore_repeated_returns_the_first_and_adds_nothing(
    database: Database, alice: int
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="precious", description="d")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    assert act(database, restore_todo, owner_id=alice, todo=deleted) == restored
    assert listed(database, alice) == [restored]
