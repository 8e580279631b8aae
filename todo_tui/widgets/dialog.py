"""The scrolling part of a dialog: what does not fit the terminal scrolls, while the
dialog's button row (docked at its bottom, styled `.buttons`) stays in sight."""

from __future__ import annotations

from textual.containers import VerticalScroll

EXCERPT = 80  # characters of user text a dialog shows at most


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The start of `text` for a dialog: at most `limit` characters and three lines, with an
    ellipsis when cut (a pasted megabyte would push the question off the screen)."""
    lines = text.splitlines()
    short = "\n".join(lines[:3])
    if len(short) > limit:
        short = short[: limit - 1].rstrip()
    elif len(lines) <= 3:
        return text
    return short + "…"


class DialogBody(VerticalScroll):
    """Takes focus (so arrow keys scroll it) only when its text does not fit; a body of
    fields (`keys_scroll=False`) never does: focusing a field scrolls it into view."""

    def __init__(self, *children, keys_scroll: bool = True, **kwargs) -> None:
        super().__init__(*children, **kwargs)
        self.keys_scroll = keys_scroll

    def allow_focus(self) -> bool:
        return self.keys_scroll and self.max_scroll_y > 0
