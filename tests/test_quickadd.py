"""The quick-add line, read against a fixed day."""

from __future__ import annotations

from datetime import date, time

import pytest

from todo_tui.dates import Due, read_fast
from todo_tui.quickadd import QuickAdd, read_quick_add, split_quick_add

FRIDAY = date(2026, 12, 4)


def test_the_example_of_the_readme() -> None:
    read = read_quick_add("Pay rent due:tomorrow #home !high", FRIDAY)
    assert read == QuickAdd(
        title="Pay rent",
        tags=("home",),
        priority=3,
        due_text="tomorrow",
        due=Due(date(2026, 12, 5)),
    )
    assert read.describe(FRIDAY) == "Pay rent · due Sat 5 Dec · high · #home"


@pytest.mark.parametrize(
    ("text", "title", "tags", "priority", "due"),
    [
        ("Call mum #Family #family #calls", "Call mum", ("calls", "Family"), 0, None),
        ("!h x", "x", (), 3, None),
        ("x !medium", "x", (), 2, None),
        ("x !M", "x", (), 2, None),
        ("x !l", "x", (), 1, None),
        ("x !low !high", "x", (), 3, None),  # the last one counts
        ('Dentist due:"next fri 9am"', "Dentist", (), 0, Due(date(2026, 12, 11), time(9))),
        ("Dentist due:next_fri", "Dentist", (), 0, Due(date(2026, 12, 11))),
        ("Dentist due:fri@17:30", "Dentist", (), 0, Due(FRIDAY, time(17, 30))),
        ("Dentist due:in_3_days", "Dentist", (), 0, Due(date(2026, 12, 7))),
        ("Dentist due:2026-12-24", "Dentist", (), 0, Due(date(2026, 12, 24))),
        ("Dentist DUE:24_dec", "Dentist", (), 0, Due(date(2026, 12, 24))),
        # Not tokens: inside a word, alone, or not a priority.
        ("Learn C# now!", "Learn C# now!", (), 0, None),
        ("# ! due:", "# ! due:", (), 0, None),
        ("Wow !urgent", "Wow !urgent", (), 0, None),
        # A backslash keeps them literally.
        (r"\#1 fan", "#1 fan", (), 0, None),
        (r"Say \!high \due:now", "Say !high due:now", (), 0, None),
        (r"a\\b #t", r"a\b", ("t",), 0, None),
        ("  spaced   out  #x ", "spaced out", ("x",), 0, None),
        # Without a token, the title exactly as typed; other backslashes are kept.
        ("  two  spaces ", "two  spaces", (), 0, None),
        (r"\[escaped] and C:\temp", r"\[escaped] and C:\temp", (), 0, None),
    ],
)
def test_tokens(text, title, tags, priority, due) -> None:
    read = read_quick_add(text, FRIDAY)
    assert (read.title, read.tags, read.priority, read.due) == (title, tags, priority, due)
    assert read.problems == ()


def test_problems_are_said_and_the_rest_still_read() -> None:
    read = read_quick_add("x due:31_feb #" + "a" * 51 + " #ok", FRIDAY)
    assert read.title == "x" and read.tags == ("ok",) and read.due is None
    assert read.problems == (
        "A tag is 51 characters long; the limit is 50.",
        "'31 feb' is not a date on the calendar.",
    )


def test_split_leaves_the_due_date_unread() -> None:
    split = split_quick_add("x due:someday_soon")
    assert split.due_text == "someday soon" and split.due is None


def test_a_reader_is_passed_in() -> None:
    seen = []

    def read(text, today):
        seen.append((text, today))
        return read_fast(text, today)

    assert read_quick_add("x due:fri", FRIDAY, read).due == Due(FRIDAY)
    assert seen == [("fri", FRIDAY)]


def test_describe_says_each_part_once() -> None:
    read = read_quick_add("Plan !l #b #A due:2027-01-02@8am", FRIDAY)
    assert read.describe(FRIDAY) == "Plan · due Sat 2 Jan 2027 08:00 · low · #A · #b"
    assert read_quick_add("#only", FRIDAY).describe(FRIDAY) == "(no title) · #only"
