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
    "The title is saved as you type it (up to 200 characters); the description can hold "
    "several lines. Enter in the title, or ctrl+s, saves.",
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
