"""Todo ownership: one user never reaches another's todos."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.todo_rows import (
    act,
    all_rows,
    attempt,
    listed,
    push_into_the_past,
    raw_rows,
)
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.todos import (
    TodoConflict,
    TodoNotFound,
    add_todo,
    delete_todo,
    get_todo,
    list_by_ids,
    restore_todo,
    set_completed,
)

# ---------------------------------------------------------------------------------------
# One user never reaches another's todos


def test_another_user_cannot_reach_a_todo_even_guessing_id_and_version(
    database: Database, alice: int, bob: int
) -> None:
    """Bob knows the id and the version of alice's todo: he still reads nothing, changes
    nothing, and learns nothing of it (a TodoConflict would hand him `.current`)."""
    todo = act(database, add_todo, owner_id=alice, title="alice's", description="private")
    todo = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=todo.version,
        completed=True,
    )
    assert todo.version == 2
    push_into_the_past(database, todo.id)
    [todo] = listed(database, alice)
    before = raw_rows(database)

    assert act(database, get_todo, owner_id=bob, todo_id=todo.id) is None
    assert listed(database, bob) == []
    assert act(database, list_by_ids, owner_id=bob, todo_ids=[todo.id]) == []
    # The right version, the ones either side, and the "already applied" shape: alice's
    # exact values at the version before (which, for alice, returns the record).
    for version in (todo.version - 1, todo.version, todo.version + 1):
        for operation, values in [
            ("update", {"title": "mine", "description": "x"}),
            ("update", {"title": todo.title, "description": todo.description}),
            ("toggle", {"completed": False}),
            ("toggle", {"completed": True}),
            ("delete", {}),
        ]:
            with pytest.raises(TodoNotFound) as caught:
                attempt(
                    database,
                    operation,
                    owner_id=bob,
                    todo_id=todo.id,
                    version=version,
                    **values,
                )
            assert not hasattr(caught.value, "current")
            assert caught.value.sentence == "This todo no longer exists: it was deleted."
    # Restoring over alice's id is refused by the primary key: a CONFLICT with the generic
    # sentence, not a TodoNotFound (restore is an INSERT; it never looks for an owner) and
    # not a TodoConflict (nothing of alice's todo is handed back).
    for version in (todo.version - 1, todo.version):
        with pytest.raises(DatabaseFault) as caught:
            act(
                database,
                restore_todo,
                owner_id=bob,
                todo=replace(todo, title="hijacked", version=version),
            )
        assert caught.value.kind == FaultKind.CONFLICT
        assert not isinstance(caught.value, TodoConflict | TodoNotFound)
        assert "alice" not in caught.value.sentence and "private" not in caught.value.sentence

    assert raw_rows(database) == before  # alice's row, byte for byte
    assert listed(database, alice) == [todo]
    assert listed(database, bob) == []
    assert act(database, get_todo, owner_id=alice, todo_id=todo.id) == todo
    assert act(database, list_by_ids, owner_id=alice, todo_ids=[todo.id]) == [todo]


def test_a_restore_lands_in_the_restorers_list_only(
    database: Database, alice: int, bob: int
) -> None:
    """The owner comes from the caller, never from the record being restored."""
    todo = act(database, add_todo, owner_id=alice, title="alice's")
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    act(database, restore_todo, owner_id=bob, todo=deleted)
    assert listed(database, alice) == []
    assert [row[1] for row in all_rows(database)] == [bob]
