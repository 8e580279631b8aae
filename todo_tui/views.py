"""The list's views: which todos each one shows. Plain functions of a record and the day
(the user's calendar day: Today and Upcoming depend on it), no Textual.

The fixed views have one key each (bindings.py) and `f` steps through them in this order;
a tag's view, `tag:NAME` (picked on `#`), shows the open todos with that tag. The view is
remembered per account (preferences.py). The command line's `list --view` filters with
the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from todo_tui.records import TodoRecord

View = str
Shows = Callable[["TodoRecord", date], bool]
UPCOMING_DAYS = 7  # Upcoming: due in the next 7 days, after today
TAG_PREFIX = "tag:"


@dataclass(frozen=True)
class ViewSpec:
    name: str  # what the line above the list calls it
    shows: Shows
    empty: str  # what an empty view says, before "press f for the next view"


def _due_by(todo: TodoRecord, today: date) -> bool:
    return not todo.is_completed and todo.due_date is not None and todo.due_date <= today


def _upcoming(todo: TodoRecord, today: date) -> bool:
    due = todo.due_date
    return (
        not todo.is_completed
        and due is not None
        and today < due <= today + timedelta(days=UPCOMING_DAYS)
    )


VIEWS: dict[View, ViewSpec] = {
    "today": ViewSpec("Today", _due_by, "Nothing due today"),
    "upcoming": ViewSpec("Upcoming", _upcoming, f"Nothing due in the next {UPCOMING_DAYS} days"),
    "open": ViewSpec("All open", lambda todo, _: not todo.is_completed, "Nothing open"),
    "nodate": ViewSpec(
        "No date",
        lambda todo, _: not todo.is_completed and todo.due_date is None,
        "Every open todo has a due date",
    ),
    "done": ViewSpec("Done", lambda todo, _: todo.is_completed, "Nothing done yet"),
    "all": ViewSpec("All", lambda todo, _: True, "No todos"),
}
DEFAULT_VIEW: View = "all"  # what the list showed before views; config.toml can say otherwise


def tag_view(tag: str) -> View:
    return TAG_PREFIX + tag


def tag_of(view: View) -> str | None:
    """The tag of a tag's view (None: a fixed view)."""
    return view.removeprefix(TAG_PREFIX) if view.startswith(TAG_PREFIX) else None


def known(view: object) -> bool:
    """A fixed view's name, or a tag's view (the tag itself may be gone since)."""
    return isinstance(view, str) and (view in VIEWS or bool(tag_of(view)))


def _spec(view: View) -> ViewSpec:
    if (tag := tag_of(view)) is None:
        return VIEWS[view]
    wanted = tag.lower()  # tags are one whatever their case (see todos.py)
    return ViewSpec(
        f"#{tag}",
        lambda todo, _: not todo.is_completed and wanted in map(str.lower, todo.tags),
        f"No open todo has #{tag}",
    )


def name_of(view: View) -> str:
    return _spec(view).name


def shows(view: View) -> Shows:
    return _spec(view).shows


def empty_text(view: View) -> str:
    return f"{_spec(view).empty}: press f for the next view."


def after(view: View) -> View:
    """The next fixed view; from a tag's view, the first."""
    order = list(VIEWS)
    return order[(order.index(view) + 1) % len(order)] if view in VIEWS else order[0]
