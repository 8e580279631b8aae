"""Text fields that never hold more than their limit, typed or pasted, and say when a paste
was changed to fit."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input, TextArea


def one_line(text: str) -> tuple[str, bool]:
    """`text` on one line: its non-blank lines joined with single spaces; True if joined."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    return " ".join(lines), len(lines) > 1


class PasteChanged(Message):
    """A paste was changed to fit the field: `note` says how, in a few words."""

    def __init__(self, field: Input | TextArea, note: str) -> None:
        super().__init__()
        self.field = field
        self.note = note

    @property
    def control(self) -> Input | TextArea:
        return self.field


class CappedInput(Input):
    """One line of at most `max_length` characters. Typing stops at the limit (Input's own);
    a paste is joined onto one line with spaces and cut to the room left, where Input would
    keep only its first line, or refuse all of it when too long."""

    def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler: first line only
        event.stop()
        text, joined = one_line(event.text)
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.value) - (end - start)) if self.max_length else None
        cut = room is not None and len(text) > room
        if cut:
            text = text[: max(0, room or 0)]
        if text:
            self.replace(text, start, end)
        notes = ["pasted lines joined with spaces"] if joined else []
        if cut:
            notes.append(f"pasted text cut to {self.max_length:,} characters")
        if notes:
            self.post_message(PasteChanged(self, "; ".join(notes)))


class CappedTextArea(TextArea):
    """A TextArea whose pastes are cut to the room left under `max_length` characters
    (typing past the limit is refused when saving, with a sentence)."""

    def __init__(self, text: str = "", *, max_length: int, **kwargs: object) -> None:
        super().__init__(text, **kwargs)  # type: ignore[arg-type]
        self.max_length = max_length

    async def on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # TextArea's own handler: all of it, however long
        event.stop()
        if self.read_only:
            return
        start, end = sorted(self.selection)
        room = self.max_length - (len(self.text) - len(self.selected_text))
        text = event.text
        if len(text) > room:
            text = text[: max(0, room)]
            self.post_message(
                PasteChanged(self, f"Pasted text cut to {self.max_length:,} characters.")
            )
        if text:
            result = self.replace(text, start, end)
            self.move_cursor(result.end_location)
