"""The list's views: which todos each one shows. Plain functions of a record, no Textual.

A view is chosen with one key each (bindings.py) and remembered per account
(preferences.py); `f` steps through them in this order.
"""

from __future__ import annotations

from collections.abc import Callable

from todo_tui.records import TodoRecord

View = str
VIEWS: dict[View, tuple[str, Callable[[TodoRecord], bool]]] = {
    "open": ("All open", lambda todo: not todo.is_completed),
    "done": ("Done", lambda todo: todo.is_completed),
    "all": ("All", lambda todo: True),
}
DEFAULT_VIEW: View = "all"  # what the list showed before views; config.toml can say otherwise


def name_of(view: View) -> str:
    return VIEWS[view][0]


def shows(view: View) -> Callable[[TodoRecord], bool]:
    return VIEWS[view][1]


def shows_done(view: View) -> bool:
    """Whether the view shows done todos (a list holding only the open ones loads them)."""
    return view in {"done", "all"}


def after(view: View) -> View:
    order = list(VIEWS)
    return order[(order.index(view) + 1) % len(order)]
