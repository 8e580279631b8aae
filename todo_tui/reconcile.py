"""What the list does with changes made elsewhere: which todos to drop, fetch or show.

Plain data in, decisions out (ids, versions, records, monotonic times): the list screen
applies them to its table. `shown` is what the list holds, {todo id: version}. Every
decision is one pass over its inputs, so a catch-up on tens of thousands of todos stays
quick on the UI thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from todo_tui.records import TodoRecord

# As the feed reports them: {todo id: its new version, or None when deleted}; a snapshot
# of the todos of the user of the kinds the list holds, {todo id: version}.
Changes = Mapping[int, int | None]
Snapshot = Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do to the list: drop `remove` (one rebuild), then fetch `fetch` (one read)."""

    remove: list[int] = field(default_factory=list)
    fetch: set[int] = field(default_factory=set)


def newer_in(shown: Mapping[int, int], versions: Mapping[int, int]) -> set[int]:
    """The ids of `versions` not shown, or shown at an older version."""
    return {
        i for i, version in versions.items() if (held := shown.get(i)) is None or held < version
    }


def to_show(shown: Mapping[int, int], records: Iterable[TodoRecord]) -> list[TodoRecord]:
    """The records to show: all but those the list already holds a newer version of."""
    return [r for r in records if (held := shown.get(r.id)) is None or held <= r.version]


def changed_elsewhere(shown: Mapping[int, int], changes: Changes, *, all_held: bool = True) -> Plan:
    """A batch of changes: drop the deleted, fetch what is newer than shown. Not `all_held`
    (the list counts the done todos instead of holding them): a deleted todo not shown may
    have been a done one, so it is fetched too, for the count that comes with the fetch."""
    deleted = [i for i, version in changes.items() if version is None]
    fetch = newer_in(shown, {i: v for i, v in changes.items() if v is not None})
    if not all_held:
        fetch.update(i for i in deleted if i not in shown)
    return Plan(remove=[i for i in deleted if i in shown], fetch=fetch)


class CatchUp:
    """Catching up with a snapshot of the database, minding this terminal's own adds.

    A todo added here (or put back by an undo) after a snapshot was taken may be missing
    from it only because it was not committed yet: it stays, and the next snapshot or
    notification settles it.
    """

    def __init__(self) -> None:
        # Todo id -> when (time.monotonic()) this terminal's add or undone delete of it
        # arrived: an older snapshot has not seen it yet.
        self._added_at: dict[int, float] = {}

    def added(self, todo_id: int, at: float) -> None:
        """This terminal added (or put back) `todo_id` at monotonic time `at`."""
        self._added_at[todo_id] = at

    def plan(self, shown: Mapping[int, int], snapshot: Snapshot, taken_at: float) -> Plan:
        """Drop what the snapshot no longer has (unless added here since), fetch what is
        newer in it."""
        self._added_at = added = {i: at for i, at in self._added_at.items() if at > taken_at}
        return Plan(
            remove=[i for i in shown if i not in snapshot and i not in added],
            fetch=newer_in(shown, snapshot),
        )
