"""What the form screens share."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Static


def show_errors(screen: Screen, errors: dict[str, str]) -> None:
    """Put each message under its field (`#<field>-error`) and clear the others."""
    for widget in screen.query(".field-error").results(Static):
        field = (widget.id or "").removesuffix("-error")
        widget.update(errors.get(field, ""))
        widget.display = field in errors
