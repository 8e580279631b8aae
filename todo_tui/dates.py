"""Due dates typed in words, read against a given day ("today" is always an argument, so
every rule is testable with a fixed clock). Standard library only: dateparser is imported
on first need, by `read_due` (callers run it off the UI thread), never by `read_fast`.

The rules (the README repeats them):

- `today`, `tomorrow` (`tmr`), `yesterday`;
- a weekday (`fri`, `friday`): the next one from today on, today included, so `fri` on a
  Friday is that day; `next fri`: the Friday of next week (weeks start on Monday), so on a
  Friday it is 7 days away and on a Wednesday 9;
- `in 3 days`, `in 2 weeks`, `in a week`, `in 1 month`; `next week` (its Monday), `next
  month` (its 1st);
- `2026-12-24`, `24 dec`, `dec 24`, `24 december 2027`: a day and month without a year is
  the next such day from today on;
- a time after the date: `fri 9:30`, `tomorrow 5pm`, `fri at 17:00`, `fri@9am`, `noon`;
- anything else goes to dateparser (English, dates in the future preferred).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "weds", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
MONTHS = {
    name: number
    for number in range(1, 13)
    for name in {calendar.month_abbr[number].lower(), calendar.month_name[number].lower()}
} | {"sept": 9}
UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7}

_TIME = re.compile(
    r"(?:^|\s)(?P<at>at\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?$"
)
# "in 3 days", "a week from today", "2 weeks from now" (dateparser reads "from today" as ago)
_IN = re.compile(
    r"^(?:in\s+(?P<n>\d{1,4}|a|an|one)\s+(?P<unit>days?|weeks?|months?)"
    r"|(?P<n2>\d{1,4}|a|an|one)\s+(?P<unit2>days?|weeks?|months?)\s+from\s+(?:today|now))$"
)
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DAY_MONTH = re.compile(
    r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]+)(?:\s+(?P<y>\d{4}))?$"
)
_MONTH_DAY = re.compile(r"^(?P<mon>[a-z]+)\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?$")


class DateUnreadable(ValueError):
    """The words name no date; the message is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class Due:
    """A floating due date with an optional wall-clock time."""

    date: date
    time: time | None = None

    def iso(self) -> str:
        """`2026-12-04` or `2026-12-04 09:30`: what reads back as this very due."""
        if self.time is None:
            return self.date.isoformat()
        return f"{self.date.isoformat()} {self.time.strftime('%H:%M')}"


def _clean(text: str) -> str:
    return " ".join(text.lower().replace("@", " at ").replace("_", " ").split())


def _split_time(text: str) -> tuple[str, time | None]:
    """(the date words, the time at their end or None). DateUnreadable for a time that is
    not one (25:00)."""
    if text in ("noon", "midday"):
        return "today", time(12)
    for word, value in (("noon", time(12)), ("midday", time(12)), ("midnight", time(0))):
        if text.endswith(" " + word):
            return text[: -len(word) - 1].removesuffix(" at").strip(), value
    match = _TIME.search(text)
    # A bare number is a time only after "at": "dec 24" is a day.
    if match is None or not (match["minute"] or match["half"] or match["at"]):
        return text, None
    rest = text[: match.start()].strip()
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            raise DateUnreadable(f"{match[0].strip()!r} is not a time of day.")
        hour = hour % 12 + (12 if match["half"] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise DateUnreadable(f"{match[0].strip()!r} is not a time of day.")
    return rest or "today", time(hour, minute)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _day_in_year(year: int | None, month: int, day: int, today: date) -> date:
    if year is not None:
        return date(year, month, day)
    for candidate_year in (
        today.year,
        today.year + 1,
        today.year + 2,
        today.year + 3,
        today.year + 4,
    ):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue  # 29 feb outside a leap year
        if candidate >= today:
            return candidate
    raise ValueError


def _date_words(words: str, today: date) -> date | None:
    """The fast path: the common words, or None when they are not among them."""
    if words in ("today", "tod", "now"):
        return today
    if words in ("tomorrow", "tmr", "tmrw", "tom"):
        return today + timedelta(days=1)
    if words == "yesterday":
        return today - timedelta(days=1)
    if words in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS[words] - today.weekday()) % 7)
    first, _, rest = words.partition(" ")
    if first == "next" and rest in WEEKDAYS:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=WEEKDAYS[rest])
    if words == "next week":
        return today + timedelta(days=7 - today.weekday())
    if words == "next month":
        return _add_months(today.replace(day=1), 1)
    if match := _IN.match(words):
        count, unit = match["n"] or match["n2"], match["unit"] or match["unit2"]
        n = 1 if count in ("a", "an", "one") else int(count)
        if unit.startswith("month"):
            return _add_months(today, n)
        return today + timedelta(days=n * UNIT_DAYS[unit])
    if match := _ISO.match(words):
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        if (match := pattern.match(words)) and match["mon"] in MONTHS:
            year = int(match["y"]) if match["y"] else None
            return _day_in_year(year, MONTHS[match["mon"]], int(match["d"]), today)
    return None


class _Unknown:
    """`read_fast`'s answer for words only dateparser may read."""


NEEDS_PARSER = _Unknown()


def read_fast(text: str, today: date) -> Due | _Unknown | None:
    """The due that `text` names (None: no text), or NEEDS_PARSER when only the full parser
    can tell. Microseconds: safe on the UI thread. DateUnreadable for what is sure to be
    wrong (31 feb, 25:00)."""
    words = _clean(text)
    if not words:
        return None
    words, at = _split_time(words)
    try:
        day = _date_words(words, today)
    except ValueError:
        raise DateUnreadable(f"{text.strip()!r} is not a date on the calendar.") from None
    if day is None:
        return NEEDS_PARSER
    return Due(day, at)


def read_due(text: str, today: date) -> Due | None:
    """The due that `text` names, by the fast path or else dateparser (imported here: run
    this off the UI thread). None for no text; DateUnreadable when no date can be read."""
    fast = read_fast(text, today)
    if not isinstance(fast, _Unknown):
        return fast
    return _read_with_parser(_clean(text), today)


def load_parser() -> None:
    """Import dateparser and use it once (together about half a second; later readings take
    a few milliseconds): what a worker does before the first word needs it."""
    _read_with_parser("tomorrow", date.today())


def _read_with_parser(words: str, today: date) -> Due:
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
            "RELATIVE_BASE": datetime.combine(today, time(0)),
        },
    )
    data = parser.get_date_data(words)
    if data is None or data.date_obj is None:
        raise DateUnreadable(f"{words!r} is not a date todo-tui can read.")
    found = data.date_obj.replace(tzinfo=None)
    at = found.time().replace(second=0, microsecond=0) if data.period == "time" else None
    return Due(found.date(), at)


# ---------------------------------------------------------------------------------------
# Saying a due in words.


def long_date(due: Due, today: date) -> str:
    """`Fri 4 Dec 2026` (+ ` 09:30`): the form's preview, unambiguous."""
    text = f"{due.date:%a} {due.date.day} {due.date:%b %Y}"
    return text if due.time is None else f"{text} {due.time:%H:%M}"


def short_date(due: Due, today: date) -> str:
    """`Fri 4 Dec` (+ ` 09:30`), with the year only when it is not this one."""
    text = f"{due.date:%a} {due.date.day} {due.date:%b}"
    if due.date.year != today.year:
        text += f" {due.date.year}"
    return text if due.time is None else f"{text} {due.time:%H:%M}"


def relative(day: date, today: date) -> str:
    """The list's words: `today`, `tomorrow`, `Fri` (within a week), `in 12 days`,
    `3 days overdue`."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days < 7:
        return f"{day:%a}"
    return f"in {days} days"
