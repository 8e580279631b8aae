"""Every key binding of the app, by screen, each with a stable id (`list.add`).

The screens take their BINDINGS from here; the help screen, the user's keymap (see
userconfig.py) and the README's Keys table are checked against the same list. An id, once
published, is never renamed: a user's config file names it.

Textual's `Binding` only: the first frame imports this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from textual.binding import Binding

# Group -> what the help screen and the README call it, in the order they show them.
GROUPS = {
    "list": "List",
    "form": "Form",
    "conflict": "Conflict",
    "confirm": "Question",
    "login": "Log in",
    "register": "Create account",
    "sessions": "Sessions",
    "rename": "Rename device",
    "tags": "Tag todos",
    "due": "Due date of todos",
    "password": "Change password",
    "delete_account": "Delete account",
    "startup": "Start",
    "schema": "Upgrade",
    "details": "Details panel",
    "tag_picker": "Tag view",
    "help": "Help",
    "app": "Anywhere",
}

APP = [
    # Quits from every screen, also where q is a letter to type; the footer shows it.
    Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit", tooltip="Quit todo-tui"),
    # Priority, so F1 reaches the forms and dialogs too; it is no letter a field could want.
    Binding(
        "f1",
        "help",
        "Help",
        show=False,
        priority=True,
        id="app.help",
        tooltip="These keys, with yours where you changed them",
    ),
]

LIST_TABLE = [
    Binding("down,j", "cursor_by(1)", "Down", show=False, id="list.down", tooltip="Next todo"),
    Binding("up,k", "cursor_by(-1)", "Up", show=False, id="list.up", tooltip="Previous todo"),
    Binding(
        "pagedown",
        "cursor_page(1)",
        "Page down",
        show=False,
        id="list.page_down",
        tooltip="One screen down",
    ),
    Binding(
        "pageup",
        "cursor_page(-1)",
        "Page up",
        show=False,
        id="list.page_up",
        tooltip="One screen up",
    ),
    Binding("home,g", "cursor_first", "First", show=False, id="list.first", tooltip="First todo"),
    Binding("end,G", "cursor_last", "Last", show=False, id="list.last", tooltip="Last todo"),
]

LIST = [
    Binding("a", "add", "Add", id="list.add", tooltip="Add a todo"),
    Binding(
        "question_mark",
        "app.help",
        "Help",
        id="list.help",
        tooltip="These keys, with yours where you changed them",
    ),
    Binding("e,enter", "edit", "Edit", id="list.edit", tooltip="Edit the selected todo"),
    Binding(
        "space",
        "toggle_done",
        "Done",
        key_display="␣",
        id="list.toggle",
        tooltip="Mark the selected todo (or the marked ones) done or not",
    ),
    Binding(
        "d", "delete", "Delete", id="list.delete", tooltip="Delete the selected (or marked) todos"
    ),
    Binding(
        "x,shift+down",
        "mark",
        "Mark",
        id="list.mark",
        tooltip="Mark or unmark the selected todo, and go to the next",
    ),
    Binding(
        "shift+up",
        "mark(-1)",
        "Mark up",
        show=False,
        id="list.mark_up",
        tooltip="Mark or unmark the selected todo, and go to the previous",
    ),
    Binding("u", "undo", "Undo", id="list.undo", tooltip="Undo the last change"),
    Binding("U,ctrl+r", "redo", "Redo", show=False, id="list.redo", tooltip="Redo what was undone"),
    Binding(
        "slash",
        "search",
        "Search",
        id="list.search",
        tooltip="Search titles, descriptions and tags (#word: that tag)",
    ),
    Binding(
        "1",
        "view('today')",
        "Today",
        show=False,
        id="list.view_today",
        tooltip="View: open todos due today or overdue",
    ),
    Binding(
        "2",
        "view('upcoming')",
        "Upcoming",
        show=False,
        id="list.view_upcoming",
        tooltip="View: open todos due in the next 7 days, after today",
    ),
    Binding(
        "3",
        "view('open')",
        "All open",
        show=False,
        id="list.view_open",
        tooltip="View: all open todos",
    ),
    Binding(
        "4",
        "view('nodate')",
        "No date",
        show=False,
        id="list.view_nodate",
        tooltip="View: open todos with no due date",
    ),
    Binding(
        "5",
        "view('done')",
        "Done view",
        show=False,
        id="list.view_done",
        tooltip="View: done todos",
    ),
    Binding("6", "view('all')", "All", show=False, id="list.view_all", tooltip="View: every todo"),
    Binding(
        "number_sign",
        "pick_tag",
        "Tag view",
        show=False,
        id="list.view_tag",
        tooltip="View: the open todos with a tag, picked from a list of yours",
    ),
    Binding(
        "f",
        "next_view",
        "View",
        id="list.next_view",
        tooltip="Next view: today, upcoming, open, no date, done, all",
    ),
    Binding(
        "s",
        "cycle_sort",
        "Sort",
        id="list.sort",
        tooltip="Sort by due date, priority, newest, oldest, title or updated",
    ),
    Binding(
        "t",
        "tag",
        "Tag",
        show=False,
        id="list.tag",
        tooltip="Add or remove tags of the selected (or marked) todos",
    ),
    Binding(
        "w",
        "redate",
        "When",
        show=False,
        id="list.redate",
        tooltip="Set or clear the due date of the selected (or marked) todos",
    ),
    Binding(
        "C",
        "clear_done",
        "Clear done",
        show=False,
        id="list.clear_done",
        tooltip="Delete every done todo (undo brings them back)",
    ),
    Binding(
        "i",
        "details",
        "Details",
        show=False,
        id="list.details",
        tooltip="Show the selected todo whole",
    ),
    Binding(
        "r",
        "reload",
        "Reload",
        show=False,
        id="list.reload",
        tooltip="Reload the list from the database",
    ),
    Binding(
        "ctrl+l",
        "log_out",
        "Log out",
        show=False,
        id="list.log_out",
        tooltip="Log out (ends this computer's session, removes its token file)",
    ),
    Binding("q", "app.quit", "Quit", show=False, id="list.quit", tooltip="Quit todo-tui"),
    Binding(
        "escape",
        "close",
        "Clear",
        id="list.escape",
        tooltip="Clear the search, else the marks",
    ),
]

FORM = [
    Binding("ctrl+s", "save", "Save", priority=True, id="form.save", tooltip="Save the todo"),
    Binding(
        "escape", "cancel", "Cancel", id="form.cancel", tooltip="Cancel (asks first if changed)"
    ),
]

CONFLICT = [
    Binding("k", "keep_mine", "Keep mine", id="conflict.keep_mine", tooltip="Save your version"),
    Binding(
        "t",
        "take_theirs",
        "Take theirs",
        id="conflict.take_theirs",
        tooltip="Take the other version",
    ),
    Binding("escape", "cancel", "Cancel", id="conflict.cancel", tooltip="Back to your text"),
]

CONFIRM = [Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Answer no")]
LOGIN = [
    Binding(
        "ctrl+n",
        "create_account",
        "Create account",
        id="login.create_account",
        tooltip="Create an account",
    ),
]
REGISTER = [
    Binding("escape", "back", "Back to log in", id="register.back", tooltip="Back to log in")
]
STARTUP = [
    Binding(
        "enter", "retry", "Retry", show=False, id="startup.retry", tooltip="Try to connect again"
    ),
    Binding("q,escape", "app.quit", "Quit", show=False, id="startup.quit", tooltip="Quit todo-tui"),
]
SCHEMA = [
    Binding("q,escape", "quit", "Quit", show=False, id="schema.quit", tooltip="Quit todo-tui")
]
HELP = [
    Binding("escape,question_mark,q", "close", "Close", id="help.close", tooltip="Close the help")
]

DETAILS = [Binding("escape,i,q", "close", "Close", id="details.close", tooltip="Close the panel")]
TAG_PICKER = [
    Binding("down", "move(1)", "Down", show=False, id="tag_picker.down", tooltip="Next tag"),
    Binding("up", "move(-1)", "Up", show=False, id="tag_picker.up", tooltip="Previous tag"),
    Binding("escape", "close", "Close", id="tag_picker.close", tooltip="Keep the view"),
]

SESSIONS = [
    Binding(
        "d,delete", "revoke", "Revoke", id="sessions.revoke", tooltip="Revoke the selected session"
    ),
    Binding("escape", "close", "Close", id="sessions.close", tooltip="Close the list of sessions"),
    Binding("r", "rename", "Rename", id="sessions.rename", tooltip="Rename the selected device"),
]
RENAME = [Binding("escape", "cancel", "Cancel", id="rename.cancel", tooltip="Keep the old name")]
TAGS = [Binding("escape", "cancel", "Cancel", id="tags.cancel", tooltip="Change no tags")]
DUE = [Binding("escape", "cancel", "Cancel", id="due.cancel", tooltip="Change no due date")]
PASSWORD = [
    Binding("escape", "cancel", "Cancel", id="password.cancel", tooltip="Keep the password")
]
DELETE_ACCOUNT = [
    Binding("escape", "cancel", "Cancel", id="delete_account.cancel", tooltip="Keep the account"),
]

BY_GROUP: dict[str, list[Binding]] = {
    "list": LIST_TABLE + LIST,
    "form": FORM,
    "conflict": CONFLICT,
    "confirm": CONFIRM,
    "login": LOGIN,
    "register": REGISTER,
    "sessions": SESSIONS,
    "rename": RENAME,
    "tags": TAGS,
    "due": DUE,
    "password": PASSWORD,
    "delete_account": DELETE_ACCOUNT,
    "startup": STARTUP,
    "schema": SCHEMA,
    "details": DETAILS,
    "tag_picker": TAG_PICKER,
    "help": HELP,
    "app": APP,
}


@dataclass(frozen=True)
class KeySpec:
    """A binding as plain data: what userconfig.py validates a keymap against."""

    id: str
    group: str
    keys: str
    does: str


def all_bindings() -> Iterator[tuple[str, Binding]]:
    for group, bindings in BY_GROUP.items():
        for binding in bindings:
            yield group, binding


def specs() -> dict[str, KeySpec]:
    """Binding id -> its group, default keys and what it does."""
    return {
        b.id: KeySpec(b.id, group, b.key, b.tooltip or b.description)
        for group, b in all_bindings()
        if b.id is not None
    }


def keys_in_force(binding: Binding, keymap: dict[str, str]) -> list[str]:
    """The keys that run `binding` under `keymap` (Textual's normalised key names)."""
    keys = keymap.get(binding.id or "", binding.key)
    return [key.strip() for key in keys.split(",") if key.strip()]
