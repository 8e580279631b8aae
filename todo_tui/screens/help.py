"""Help on ? and F1: every screen's keys, as they are now (a key changed in the user's
keymap shows as changed), generated from bindings.py and the keymap in force."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from todo_tui import bindings, userconfig

TYPING = (
    "Typing a todo",
    "In the title, #word adds a tag, !high, !medium or !low (!h, !m, !l) sets the priority, "
    "and due:WHEN the due date: today, tomorrow, fri, in_3_days, next_week, 24_dec, "
    '2026-12-24 (_ for a space, or due:"next fri"), with a time: due:fri@9am. A backslash '
    "keeps a literal #, ! or due:. The line under the title shows how it was read. Enter in "
    "the title, or ctrl+s, saves. The README lists every date word.",
)


def key_names(app, binding: Binding, keymap: dict[str, str]) -> str:
    return ", ".join(
        binding.key_display if binding.key_display and binding.id not in keymap
        else app.get_key_display(Binding(key, ""))
        for key in bindings.keys_in_force(binding, keymap)
    )  # fmt: skip


def help_text(app, keymap: dict[str, str]) -> Text:
    text = Text()
    for group, title in bindings.GROUPS.items():
        rows = [
            (key_names(app, b, keymap), b.tooltip or b.description)
            for b in bindings.BY_GROUP[group]
        ]
        width = max(len(keys) for keys, _ in rows)
        text.append(f"{title}\n", style="bold underline")
        for keys, does in rows:
            text.append(f"  {keys.ljust(width)}  ", style="bold")
            text.append(f"{does}\n")
        text.append("\n")
    heading, body = TYPING
    text.append(f"{heading}\n", style="bold")
    text.append(f"  {body}\n\n")
    path = userconfig.path_in(app.settings.config_dir)
    text.append("Your own keys\n", style="bold")
    text.append(f"  In {path}, under [keymap]: a binding id, = and its keys, e.g.\n")
    text.append('  "list.add" = "n"    (the ids are in the README)\n')
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings.HELP

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static("Keys", id="help-heading", markup=False)
            with VerticalScroll(id="help-body"):
                yield Static(
                    help_text(self.app, self.app.keymap_in_force), id="help-text", markup=False
                )
            yield Static("Escape, ? or q closes this.", id="help-hint", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
