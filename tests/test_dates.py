"""Due dates in words, read against a fixed day: the rules the README states."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, time

import pytest

from todo_tui.dates import (
    NEEDS_PARSER,
    DateUnreadable,
    Due,
    long_date,
    read_due,
    read_fast,
    relative,
    short_date,
)

FRIDAY = date(2026, 12, 4)
WEDNESDAY = date(2026, 12, 2)
SUNDAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("today", "words", "due"),
    [
        (FRIDAY, "today", Due(FRIDAY)),
        (FRIDAY, "Tomorrow", Due(date(2026, 12, 5))),
        (FRIDAY, "tmr", Due(date(2026, 12, 5))),
        (FRIDAY, "yesterday", Due(date(2026, 12, 3))),
        # A weekday: the next one from today on, today included.
        (FRIDAY, "fri", Due(FRIDAY)),
        (FRIDAY, "friday", Due(FRIDAY)),
        (FRIDAY, "thu", Due(date(2026, 12, 10))),
        (WEDNESDAY, "fri", Due(FRIDAY)),
        (SUNDAY, "mon", Due(date(2026, 12, 7))),
        # "next": the one of next week (weeks start on Monday).
        (FRIDAY, "next fri", Due(date(2026, 12, 11))),
        (WEDNESDAY, "next fri", Due(date(2026, 12, 11))),
        (SUNDAY, "next mon", Due(date(2026, 12, 7))),
        (WEDNESDAY, "next week", Due(date(2026, 12, 7))),
        (WEDNESDAY, "next month", Due(date(2027, 1, 1))),
        (FRIDAY, "in 3 days", Due(date(2026, 12, 7))),
        (FRIDAY, "in a week", Due(date(2026, 12, 11))),
        (FRIDAY, "in 2 weeks", Due(date(2026, 12, 18))),
        (FRIDAY, "a week from today", Due(date(2026, 12, 11))),
        (FRIDAY, "3 days from now", Due(date(2026, 12, 7))),
        (FRIDAY, "2 months from today", Due(date(2027, 2, 4))),
        (date(2027, 1, 31), "in 1 month", Due(date(2027, 2, 28))),
        # A day and a month: the next such day from today on.
        (FRIDAY, "24 dec", Due(date(2026, 12, 24))),
        (FRIDAY, "dec 24", Due(date(2026, 12, 24))),
        (FRIDAY, "4 dec", Due(FRIDAY)),
        (FRIDAY, "3 dec", Due(date(2027, 12, 3))),
        (FRIDAY, "1st of january", Due(date(2027, 1, 1))),
        (FRIDAY, "29 feb", Due(date(2028, 2, 29))),
        (FRIDAY, "24 december 2028", Due(date(2028, 12, 24))),
        (FRIDAY, "2026-12-24", Due(date(2026, 12, 24))),
        # A time after the date.
        (FRIDAY, "fri 9:30", Due(FRIDAY, time(9, 30))),
        (FRIDAY, "tomorrow 5pm", Due(date(2026, 12, 5), time(17))),
        (FRIDAY, "fri at 17:00", Due(FRIDAY, time(17))),
        (FRIDAY, "fri@9am", Due(FRIDAY, time(9))),
        (FRIDAY, "24 dec at 8", Due(date(2026, 12, 24), time(8))),
        (FRIDAY, "12am", Due(FRIDAY, time(0))),
        (FRIDAY, "noon", Due(FRIDAY, time(12))),
        (FRIDAY, "2026-12-24 09:30", Due(date(2026, 12, 24), time(9, 30))),
        (FRIDAY, "", None),
        (FRIDAY, "   ", None),
    ],
)
def test_the_fast_path(today: date, words: str, due: Due | None) -> None:
    assert read_fast(words, today) == due
    assert read_due(words, today) == due


@pytest.mark.parametrize("words", ["31 feb", "2026-13-01", "fri 25:00", "13pm"])
def test_what_is_not_on_the_calendar_is_one_sentence(words: str) -> None:
    with pytest.raises(DateUnreadable) as refused:
        read_due(words, FRIDAY)
    assert str(refused.value).endswith(".") and "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("words", "due"),
    [
        ("day after tomorrow", Due(date(2026, 12, 6))),
        ("a fortnight from now", Due(date(2026, 12, 18))),
        ("the 24th", Due(date(2026, 12, 24))),
        ("in 2 hours", Due(FRIDAY, time(2))),
    ],
)
def test_other_words_go_to_dateparser(words: str, due: Due) -> None:
    assert read_fast(words, FRIDAY) is NEEDS_PARSER
    assert read_due(words, FRIDAY) == due


def test_words_no_parser_reads_are_refused_in_a_sentence() -> None:
    with pytest.raises(DateUnreadable, match="is not a date todo-tui can read"):
        read_due("the twelfth of never", FRIDAY)


def test_an_iso_due_reads_back_as_itself() -> None:
    for due in (Due(FRIDAY), Due(FRIDAY, time(9, 5))):
        assert read_fast(due.iso(), date(2020, 1, 1)) == due


def test_dates_in_words() -> None:
    assert long_date(Due(FRIDAY), FRIDAY) == "Fri 4 Dec 2026"
    assert long_date(Due(FRIDAY, time(9)), FRIDAY) == "Fri 4 Dec 2026 09:00"
    assert short_date(Due(FRIDAY), FRIDAY) == "Fri 4 Dec"
    assert short_date(Due(date(2027, 1, 1)), FRIDAY) == "Fri 1 Jan 2027"
    assert [
        relative(FRIDAY + __import__("datetime").timedelta(days=d), FRIDAY)
        for d in (-3, -1, 0, 1, 2, 6, 12)
    ] == [
        "3 days overdue",
        "1 day overdue",
        "today",
        "tomorrow",
        "Sun",
        "Thu",
        "in 12 days",
    ]


def test_reading_common_words_does_not_import_dateparser() -> None:
    code = (
        "import sys; from datetime import date; from todo_tui.dates import read_due; "
        "from todo_tui.quickadd import read_quick_add; "
        "read_due('next fri 9am', date(2026, 12, 4)); "
        "read_quick_add('Pay rent due:tomorrow #home !high', date(2026, 12, 4)); "
        "print('dateparser' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
