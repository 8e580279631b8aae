"""Polling (SQLite, poolers): the owner's change counter reports every sequence of
changes between two polls, where the old fingerprint could not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from tests.pilot import (
    add,
    register,
    wait_until,
)
from todo_tui import live, todos
from todo_tui.db import Database
from todo_tui.live import ChangeFeed

# ---------------------------------------------------------------------------------------
# Polling (SQLite, poolers): the owner's change counter, which no sequence of edits leaves
# where it was. The feed polls only when the test lets it: each sequence between two polls.


def _undo_a_delete_and_delete_another(db: Database, owner: int, made: dict) -> None:
    # Before: x at version 1 deleted (and seen deleted); y at version 2. The undone delete
    # adds one todo and one version, the other delete takes one todo and two versions
    # away: (count, sum of versions, max id) is where it was.
    restored = db.run(lambda s: todos.restore_todo(s, owner_id=owner, todo=made["x"]))
    assert restored.version == made["y"].version
    db.run(lambda s: todos.delete_todo(s, owner_id=owner, todo_id=made["y"].id, version=2))


def _delete_one_and_add_one(db: Database, owner: int, made: dict) -> None:
    db.run(lambda s: todos.delete_todo(s, owner_id=owner, todo_id=made["z"].id, version=1))
    db.run(lambda s: todos.add_todo(s, owner_id=owner, title="new"))


def _toggle_twice(db: Database, owner: int, made: dict) -> None:
    z = made["z"]
    db.run(
        lambda s: todos.set_completed(s, owner_id=owner, todo_id=z.id, version=1, completed=True)
    )
    db.run(
        lambda s: todos.set_completed(s, owner_id=owner, todo_id=z.id, version=2, completed=False)
    )


@pytest.mark.parametrize(
    "between_polls",
    [_undo_a_delete_and_delete_another, _delete_one_and_add_one, _toggle_twice],
    ids=["undone-delete-and-another-delete", "delete-and-add", "toggle-twice"],
)
def test_polling_reports_every_sequence_of_changes_between_two_polls(
    database: Database, between_polls: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "POLL_INTERVAL", 0.0)
    alice = register(database)
    x, y, z = (add(database, alice, title) for title in ("x", "y", "z"))
    y = database.run(
        lambda s: todos.set_completed(s, owner_id=alice.id, todo_id=y.id, version=1, completed=True)
    )
    may_poll, polled = threading.Semaphore(0), threading.Semaphore(0)
    gating = [True]
    counter = todos.change_counter

    def gated(session, *, owner_id: int) -> int:
        if gating[0]:
            may_poll.acquire()
        try:
            return counter(session, owner_id=owner_id)
        finally:
            polled.release()

    monkeypatch.setattr(todos, "change_counter", gated)
    reports: list[live.Snapshot] = []
    feed = ChangeFeed(
        database,
        alice.id,
        on_changes=lambda changes: pytest.fail("polling reports snapshots only"),
        on_snapshot=lambda snapshot, taken_at: reports.append(snapshot),
        on_online=lambda online: None,
        idle_for=lambda: 0.0,
    )
    feed.listens = False  # PostgreSQL through a pooler polls the same way

    def poll() -> None:
        may_poll.release()
        assert polled.acquire(timeout=10), "the feed did not poll"

    def stored_versions() -> live.Snapshot:
        return database.run(lambda s: todos.list_versions(s, owner_id=alice.id))

    feed.start()
    try:
        poll()  # the first poll catches up
        wait_until(lambda: len(reports) == 1, "the first catch-up")
        # Interval 1: x deleted, and seen.
        database.run(lambda s: todos.delete_todo(s, owner_id=alice.id, todo_id=x.id, version=1))
        poll()
        wait_until(lambda: len(reports) == 2, "the delete reported")
        assert reports[-1] == stored_versions()
        poll()  # nothing changed: nothing reported
        # Interval 2: the sequence under test.
        between_polls(database, alice.id, {"x": x, "y": y, "z": z})
        poll()
        wait_until(lambda: len(reports) >= 3, "the sequence reported", timeout=2)
        poll()  # the previous poll is over: it reported once, where the database stands
        assert len(reports) == 3
        assert reports[-1] == stored_versions()
    finally:
        gating[0] = False
        may_poll.release()
        feed.stop()


def test_the_old_fingerprint_collides_where_the_change_counter_moves(database: Database) -> None:
    """The sequence of the test above, on the two markers (the old one computed here)."""
    alice = register(database)
    x, y, z = (add(database, alice, title) for title in ("x", "y", "z"))
    y = database.run(
        lambda s: todos.set_completed(s, owner_id=alice.id, todo_id=y.id, version=1, completed=True)
    )
    database.run(lambda s: todos.delete_todo(s, owner_id=alice.id, todo_id=x.id, version=1))

    def markers() -> tuple[tuple[int, int, int], int]:
        with database.engine.connect() as connection:
            fingerprint = connection.execute(
                sa.text(
                    "SELECT count(id), coalesce(sum(version), 0), coalesce(max(id), 0) "
                    "FROM todo WHERE user_id = :owner"
                ),
                {"owner": alice.id},
            ).one()
        counter = database.run(lambda s: todos.change_counter(s, owner_id=alice.id))
        return tuple(fingerprint), counter

    before = markers()
    _undo_a_delete_and_delete_another(database, alice.id, {"x": x, "y": y, "z": z})
    after = markers()
    assert after[0] == before[0]  # the collision the fingerprint had
    assert after[1] == before[1] + 2
