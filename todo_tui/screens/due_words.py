"""Due words read as they are typed, for a screen with a due field (the todo form, the list's
due dialog): the common words on the UI thread (`dates.read_fast`, microseconds), the rest
by dateparser in a worker thread, whose answer comes back to `_reading_arrived`."""

from __future__ import annotations

import logging
from datetime import date

from textual import work

from todo_tui.dates import NEEDS_PARSER, DateUnreadable, Due, long_date, read_due, read_fast

log = logging.getLogger(__name__)


class ReadsDueWords:
    """A mixin of a Screen whose `app` is a Host; it sets `_readings = {}` before reading."""

    # Due words read so far: text -> Due, None (no words) or the sentence why not.
    _readings: dict[str, Due | str | object | None]

    def _today(self) -> date:
        return self.app.clock().astimezone().date()

    def _read(self, text: str) -> Due | str | object | None:
        """What the due words `text` name, as far as known on this thread: a Due, None (no
        words), the sentence why they name no date, or NEEDS_PARSER (a worker is asked)."""
        text = text.strip()
        if text in self._readings:
            return self._readings[text]
        try:
            reading = read_fast(text, self._today())
        except DateUnreadable as unreadable:
            reading = str(unreadable)
        if reading is NEEDS_PARSER:
            self._read_slowly(text, self._today())  # once per text: its answer replaces this
        self._readings[text] = reading
        return reading

    @work(thread=True, exit_on_error=False, group="dates")
    def _read_slowly(self, text: str, today: date) -> None:
        try:
            reading: Due | str | None = read_due(text, today)
        except DateUnreadable as unreadable:
            reading = str(unreadable)
        except Exception:  # the parser's own failure: one sentence, never a traceback
            log.exception("reading a due date failed")
            reading = f"{text!r} could not be read as a date."
        self.app.on_ui(self._slowly_read, text, reading)

    def _slowly_read(self, text: str, reading: Due | str | None) -> None:
        self._readings[text] = reading
        if self.is_attached:
            self._reading_arrived()

    def _reading_arrived(self) -> None:
        """A worker's reading is in `_readings`: say it."""
        raise NotImplementedError

    def _say(self, reading, *, none: str = "") -> str:
        if reading is NEEDS_PARSER:
            return "→ reading…"
        if isinstance(reading, Due):
            return f"→ {long_date(reading, self._today())}"
        return none if reading is None else reading
