"""The list's decisions about changes made elsewhere, on plain data (no database, no app)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime

from todo_tui import reconcile
from todo_tui.reconcile import CatchUp, Plan
from todo_tui.records import TodoRecord

WHEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def record(todo_id: int, version: int = 1) -> TodoRecord:
    return TodoRecord(
        id=todo_id,
        title=f"todo {todo_id}",
        description=None,
        is_completed=False,
        created_at=WHEN,
        updated_at=WHEN,
        version=version,
    )


# -- catching up with a snapshot ---------------------------------------------------------


def test_a_snapshot_drops_what_it_lacks_and_fetches_what_is_new_or_newer() -> None:
    shown = {1: 1, 2: 3, 3: 2, 4: 5}
    snapshot = {1: 1, 2: 4, 4: 5, 5: 1}  # 3 deleted, 2 changed, 5 added elsewhere
    assert CatchUp().plan(shown, snapshot, taken_at=10.0) == Plan(remove=[3], fetch={2, 5})


def test_a_snapshot_older_than_an_add_here_keeps_the_todo() -> None:
    catching_up = CatchUp()
    catching_up.added(7, at=20.0)
    shown = {1: 1, 7: 1}
    assert catching_up.plan(shown, {1: 1}, taken_at=19.0) == Plan()
    # Still minded: another late snapshot keeps it too.
    assert catching_up.plan(shown, {1: 1}, taken_at=19.5) == Plan()


def test_a_snapshot_taken_after_the_add_is_believed() -> None:
    catching_up = CatchUp()
    catching_up.added(7, at=20.0)
    shown = {1: 1, 7: 1}
    assert catching_up.plan(shown, {1: 1}, taken_at=21.0) == Plan(remove=[7])
    # Forgotten once seen past: an older snapshot delivered later no longer keeps it.
    assert catching_up.plan(shown, {1: 1}, taken_at=19.0) == Plan(remove=[7])


def test_a_snapshot_taken_at_the_very_time_of_the_add_is_believed() -> None:
    catching_up = CatchUp()
    catching_up.added(7, at=20.0)
    assert catching_up.plan({7: 1}, {}, taken_at=20.0) == Plan(remove=[7])


def test_a_delete_then_a_put_back_here_survives_a_snapshot_from_between() -> None:
    catching_up = CatchUp()
    catching_up.added(4, at=5.0)  # added here, then deleted here
    between = {1: 1}  # a snapshot taken while it was deleted
    catching_up.added(4, at=30.0)  # put back by an undo
    shown = {1: 1, 4: 2}
    assert catching_up.plan(shown, between, taken_at=25.0) == Plan()
    assert catching_up.plan(shown, between, taken_at=31.0) == Plan(remove=[4])


def test_an_add_here_that_the_snapshot_has_is_not_fetched_again() -> None:
    catching_up = CatchUp()
    catching_up.added(7, at=20.0)
    assert catching_up.plan({7: 1}, {7: 1}, taken_at=19.0) == Plan()


def test_an_empty_snapshot_drops_everything_not_added_since() -> None:
    catching_up = CatchUp()
    catching_up.added(3, at=50.0)
    shown = {1: 1, 2: 1, 3: 1}
    assert catching_up.plan(shown, {}, taken_at=40.0) == Plan(remove=[1, 2])


def test_an_empty_snapshot_of_an_empty_list_does_nothing() -> None:
    assert CatchUp().plan({}, {}, taken_at=1.0) == Plan()


def test_a_snapshot_with_versions_older_than_shown_fetches_nothing() -> None:
    # The list shows this terminal's own saves, which a slower snapshot has not seen.
    shown = {1: 3, 2: 5}
    assert CatchUp().plan(shown, {1: 2, 2: 5}, taken_at=1.0) == Plan()


def test_a_catch_up_on_50000_todos_is_one_plan() -> None:
    shown = {i: 1 for i in range(1, 50_001)}
    snapshot = {i: 2 if i % 100 == 0 else 1 for i in range(1, 50_001) if i % 50 != 1}
    plan = CatchUp().plan(shown, snapshot, taken_at=1.0)
    assert plan.remove == list(range(1, 50_001, 50))
    assert plan.fetch == set(range(100, 50_001, 100))


# -- a batch of changes ------------------------------------------------------------------


def test_a_batch_drops_its_deletes_and_fetches_what_is_new_or_newer() -> None:
    shown = {1: 1, 2: 1, 3: 2, 4: 1}
    changes = {1: None, 2: 2, 3: 2, 5: 1, 6: None}  # 6: never shown
    assert reconcile.changed_elsewhere(shown, changes) == Plan(remove=[1], fetch={2, 5})


def test_a_batch_with_versions_older_than_shown_fetches_nothing() -> None:
    assert reconcile.changed_elsewhere({1: 4}, {1: 3}) == Plan()


def test_a_batch_deletes_even_a_todo_added_here() -> None:
    # A notification is about a commit that happened: it is believed at once.
    assert reconcile.changed_elsewhere({7: 1}, {7: None}) == Plan(remove=[7])


def test_an_empty_batch_does_nothing() -> None:
    assert reconcile.changed_elsewhere({1: 1}, {}) == Plan()


def test_a_list_holding_only_the_open_todos_fetches_a_deleted_one_it_does_not_hold() -> None:
    """It may have been a done one, counted and not held: the fetch brings the count."""
    changes = {1: None, 2: None, 3: 4}
    plan = reconcile.changed_elsewhere({1: 1, 3: 3}, changes, all_held=False)
    assert plan == Plan(remove=[1], fetch={2, 3})
    assert reconcile.changed_elsewhere({1: 1, 3: 3}, changes) == Plan(remove=[1], fetch={3})


def test_a_snapshot_of_the_open_todos_drops_one_completed_since_and_fetches_one_reopened() -> None:
    """The list holds the open todos, the snapshot has them: one done since is not in it,
    one opened again is (the number of done ones comes with the snapshot)."""
    shown = {1: 1, 2: 1}  # 2 completed elsewhere since; 3 (done) opened again
    assert CatchUp().plan(shown, {1: 1, 3: 6}, taken_at=10.0) == Plan(remove=[2], fetch={3})


# -- merging fetched records -------------------------------------------------------------


def test_fetched_records_are_shown_unless_the_list_holds_a_newer_version() -> None:
    shown = {1: 2, 2: 2, 3: 5}
    fetched = [record(1, 3), record(2, 2), record(3, 4), record(4)]
    assert reconcile.to_show(shown, fetched) == [record(1, 3), record(2, 2), record(4)]


def test_a_record_fetched_twice_is_judged_against_what_was_shown() -> None:
    newer = record(1, 3)
    assert reconcile.to_show({1: 2}, [newer, replace(newer, title="again")]) == [
        newer,
        replace(newer, title="again"),
    ]


def test_no_records_to_merge() -> None:
    assert reconcile.to_show({1: 1}, []) == []


def test_the_module_loads_neither_textual_nor_sqlalchemy() -> None:
    code = (
        "import sys, todo_tui.reconcile; "
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'textual', 'sqlalchemy', 'sqlmodel'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
