"""Todo versions: a change made elsewhere is never silently overwritten."""

from __future__ import annotations

import pytest

from tests.todo_rows import (
    OPERATIONS,
    act,
    all_rows,
    as_stored,
    attempt,
    listed,
    push_into_the_past,
    raw_rows,
)
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind, InvalidInput
from todo_tui.records import TodoRecord
from todo_tui.todos import (
    TodoConflict,
    TodoNotFound,
    add_todo,
    delete_todo,
    get_todo,
    restore_todo,
    set_completed,
    update_todo,
)

# ---------------------------------------------------------------------------------------
# Versions: a change made elsewhere is never silently overwritten


def make_stale(database: Database, alice: int) -> tuple[TodoRecord, TodoRecord]:
    """A todo as a first terminal saw it (version 1), and as another terminal left it
    (version 2, title changed), pushed into the past so that any write would show."""
    seen = act(database, add_todo, owner_id=alice, title="seen", description="d")
    act(
        database,
        update_todo,
        owner_id=alice,
        todo_id=seen.id,
        version=seen.version,
        title="changed elsewhere",
        description="d",
    )
    push_into_the_past(database, seen.id)
    return seen, as_stored(database, seen.id)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_stale_version_is_a_conflict_and_nothing_is_written(
    database: Database, alice: int, operation: str
) -> None:
    seen, stored = make_stale(database, alice)
    assert (seen.version, stored.version) == (1, 2)
    before = raw_rows(database)
    with pytest.raises(TodoConflict) as caught:
        attempt(
            database,
            operation,
            owner_id=alice,
            todo_id=seen.id,
            version=seen.version,
            title="mine",
            completed=True,
        )
    assert caught.value.current == stored  # the row as stored, version included
    assert caught.value.current == act(database, get_todo, owner_id=alice, todo_id=seen.id)
    assert caught.value.kind == FaultKind.CONFLICT
    assert caught.value.sentence == "This todo was changed in another terminal."
    assert raw_rows(database) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_version_from_the_future_is_a_conflict_too(
    database: Database, alice: int, operation: str
) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    before = raw_rows(database)
    for version in (todo.version + 1, todo.version + 2, 0, -1):
        with pytest.raises(TodoConflict) as caught:
            attempt(database, operation, owner_id=alice, todo_id=todo.id, version=version)
        assert caught.value.current == todo
    assert raw_rows(database) == before


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_deleted_todo_is_not_found(database: Database, alice: int, operation: str) -> None:
    todo = act(database, add_todo, owner_id=alice, title="doomed")
    keep = act(database, add_todo, owner_id=alice, title="keep")
    act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    before = raw_rows(database)
    for version in (todo.version, todo.version + 1):
        with pytest.raises(TodoNotFound) as caught:
            attempt(database, operation, owner_id=alice, todo_id=todo.id, version=version)
        assert caught.value.kind == FaultKind.CONFLICT
    assert raw_rows(database) == before
    assert listed(database, alice) == [keep]


def test_a_repeated_update_is_recognised_as_already_applied(database: Database, alice: int) -> None:
    """A retry after a lost reply (same change, same seen version) gets the record back;
    nothing is written a second time."""
    todo = act(database, add_todo, owner_id=alice, title="draft", description="old")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    first = act(database, update_todo, **request, title="final", description="new")
    assert first.version == todo.version + 1
    push_into_the_past(database, todo.id)
    stored = as_stored(database, todo.id)
    before = raw_rows(database)

    again = act(database, update_todo, **request, title="final", description="new")
    assert again == stored
    assert again.version == todo.version + 1  # not bumped twice
    # The same change as the validation sees it: trimmed title, blank-or-exact description.
    assert act(database, update_todo, **request, title="  final ", description="new") == stored
    assert raw_rows(database) == before

    # A different change from the same stale version is a conflict, with the stored row.
    for title, description in [("other", "new"), ("final", "other"), ("final", None)]:
        with pytest.raises(TodoConflict) as caught:
            act(database, update_todo, **request, title=title, description=description)
        assert caught.value.current == stored
    assert raw_rows(database) == before


def test_a_repeated_toggle_is_recognised_as_already_applied(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    done = act(database, set_completed, **request, completed=True)
    push_into_the_past(database, todo.id)
    stored = as_stored(database, todo.id)
    assert (done.version, stored.version, stored.is_completed) == (2, 2, True)
    before = raw_rows(database)

    assert act(database, set_completed, **request, completed=True) == stored
    with pytest.raises(TodoConflict) as caught:
        act(database, set_completed, **request, completed=False)
    assert caught.value.current == stored
    # The rule compares only the fields the request names: an update from the same seen
    # version that asks for the text the row already holds loses nothing, and gets the row
    # back (completed, as the toggle left it); one that would change the text conflicts.
    assert act(database, update_todo, **request, title="t", description=None) == stored
    with pytest.raises(TodoConflict) as caught:
        act(database, update_todo, **request, title="t2", description=None)
    assert caught.value.current == stored
    assert raw_rows(database) == before


def test_already_applied_only_right_after_the_change(database: Database, alice: int) -> None:
    """Once anything else was written on top, the same request is a conflict: the rule
    recognises a write only at seen + 1."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    request = {"owner_id": alice, "todo_id": todo.id, "version": todo.version}
    first = act(database, update_todo, **request, title="final", description=None)
    act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=first.version,
        completed=True,
    )
    stored = as_stored(database, todo.id)
    assert (stored.title, stored.version) == ("final", 3)
    with pytest.raises(TodoConflict) as caught:
        act(database, update_todo, **request, title="final", description=None)
    assert caught.value.current == stored


def test_a_repeated_delete_is_not_found(database: Database, alice: int) -> None:
    """Delete has no "already applied" rule: a retried delete learns the todo is gone."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    assert act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=1) == todo
    with pytest.raises(TodoNotFound):
        act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=1)
    assert all_rows(database) == []


def test_every_write_adds_exactly_one_to_the_version(database: Database, alice: int) -> None:
    todo = act(database, add_todo, owner_id=alice, title="t")
    other = act(database, add_todo, owner_id=alice, title="other")
    assert (todo.version, other.version) == (1, 1)
    steps = [
        ("update", {"title": "t2", "description": "d"}),
        ("toggle", {"completed": True}),
        ("toggle", {"completed": False}),
        ("update", {"title": "t2", "description": "d"}),  # no change in text: still a write
        ("toggle", {"completed": False}),  # already false: still a write
    ]
    for operation, values in steps:
        version = todo.version
        todo = attempt(
            database, operation, owner_id=alice, todo_id=todo.id, version=version, **values
        )
        assert todo.version == version + 1
        assert as_stored(database, todo.id) == todo
    assert todo.version == 1 + len(steps)
    # Refused writes move nothing: bad input, a stale version, another owner.
    with pytest.raises(InvalidInput):
        attempt(database, "update", owner_id=alice, todo_id=todo.id, version=todo.version, title="")
    with pytest.raises(TodoConflict):
        attempt(database, "toggle", owner_id=alice, todo_id=todo.id, version=todo.version - 2)
    with pytest.raises(TodoNotFound):
        attempt(database, "toggle", owner_id=alice + 10_000, todo_id=todo.id, version=todo.version)
    assert as_stored(database, todo.id) == todo
    assert as_stored(database, other.id) == other  # the neighbour was never touched


def test_restore_moves_the_version_on_past_the_deleted_copy(database: Database, alice: int) -> None:
    """A terminal still holding the deleted copy's version cannot overwrite the restored
    todo with a different change, nor delete it."""
    todo = act(database, add_todo, owner_id=alice, title="t", description="d")
    todo = act(database, set_completed, owner_id=alice, todo_id=todo.id, version=1, completed=True)
    deleted = act(database, delete_todo, owner_id=alice, todo_id=todo.id, version=todo.version)
    restored = act(database, restore_todo, owner_id=alice, todo=deleted)
    assert restored.version == deleted.version + 1 == 3
    assert as_stored(database, todo.id) == restored
    push_into_the_past(database, todo.id)
    restored = as_stored(database, todo.id)
    before = raw_rows(database)

    stale = {"owner_id": alice, "todo_id": todo.id, "version": deleted.version}
    for operation, values in [
        ("update", {"title": "overwrite", "description": "d"}),
        ("toggle", {"completed": False}),
        ("delete", {}),
    ]:
        with pytest.raises(TodoConflict) as caught:
            attempt(database, operation, **stale, **values)
        assert caught.value.current == restored
    # Asking for exactly what the restored row holds is answered with that row (the
    # "already applied" rule at seen + 1): nothing is written, nothing is lost.
    assert act(database, update_todo, **stale, title="t", description="d") == restored
    assert act(database, set_completed, **stale, completed=True) == restored
    assert raw_rows(database) == before

    # The holder of the restored copy carries on as usual.
    current = act(
        database,
        set_completed,
        owner_id=alice,
        todo_id=todo.id,
        version=restored.version,
        completed=False,
    )
    assert current.version == restored.version + 1


def test_conflict_and_not_found_are_conflict_faults(database: Database, alice: int) -> None:
    """Screens that catch DatabaseFault (kind CONFLICT) handle both without knowing them."""
    todo = act(database, add_todo, owner_id=alice, title="t")
    assert issubclass(TodoConflict, DatabaseFault)
    assert issubclass(TodoNotFound, DatabaseFault)
    with pytest.raises(DatabaseFault) as caught:
        attempt(database, "toggle", owner_id=alice, todo_id=todo.id, version=7)
    assert isinstance(caught.value, TodoConflict)
    assert caught.value.kind == FaultKind.CONFLICT
