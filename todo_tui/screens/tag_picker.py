"""The tag picker on `#`: the user's tags, each with how many open todos have it; typing
filters them (case and accents aside), enter picks one, escape keeps the view. Tags are
shown as written, never read as markup."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from todo_tui import bindings, search
from todo_tui.display import sanitize


class TagPicker(ModalScreen[str | None]):
    """`tags`: (tag, open todos with it), in the order shown. Dismissed with the tag
    picked, or None."""

    BINDINGS = bindings.TAG_PICKER
    AUTO_FOCUS = "#tag-filter"

    def __init__(self, tags: list[tuple[str, int]]) -> None:
        super().__init__()
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical(id="tag-picker", classes="dialog"):
            yield Static("Show the open todos with a tag", classes="dialog-title")
            yield Input(placeholder="Type to filter the tags", id="tag-filter")
            yield OptionList(id="tag-options")
            yield Static(
                "Enter shows its todos; escape keeps the view.",
                classes="dialog-note",
                markup=False,
            )

    def on_mount(self) -> None:
        self._show("")

    def _show(self, typed: str) -> None:
        wanted = search.fold(typed.strip().lstrip("#"))
        names = [f"#{sanitize(tag)}" for tag, _ in self.tags]
        width = max(map(cell_len, names))  # the counts in one column
        options = self.query_one(OptionList)
        options.set_options(
            Option(
                Text.assemble((name, "bold"), " " * (width - cell_len(name) + 2), f"{count} open"),
                id=str(index),
            )
            for index, (name, (tag, count)) in enumerate(zip(names, self.tags, strict=True))
            if wanted in search.fold(tag)
        )
        if options.option_count:
            options.highlighted = 0
        else:
            options.add_option(Option(Text(f'No tag holds "{sanitize(typed)}".'), disabled=True))

    @on(Input.Changed, "#tag-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_move(self, by: int) -> None:
        options = self.query_one(OptionList)
        if by > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted, "#tag-filter")
    def _submitted(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(self.tags[int(option.id)][0])

    @on(OptionList.OptionSelected, "#tag-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.tags[int(event.option.id)][0])

    def action_close(self) -> None:
        self.dismiss(None)
