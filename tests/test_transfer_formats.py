"""Reading files to import, without a database: formats detected, each tool's conventions,
and every kind of bad input refused in one sentence that names its line or item."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from todo_tui.faults import InvalidInput
from todo_tui.records import TodoRecord
from todo_tui.transfer import ImportRefused, detect_format, export_text, read_import
from todo_tui.transfer.items import MAX_FILE_BYTES
from todo_tui.validation import clean_description, clean_tags, title_problem

TASK = {
    "uuid": "2d815839-a82c-4417-99d6-8d6a7758f854",
    "description": "Pay rent",
    "status": "pending",
    "entry": "20261201T124049Z",
}


def refused(data: bytes | str, format: str | None = None) -> str:
    if isinstance(data, str):
        data = data.encode()
    with pytest.raises(ImportRefused) as problem:
        read_import(data, format, zone=UTC)
    message = str(problem.value)
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith(".")
    return message


# ---------------------------------------------------------------------------------------
# Detection


@pytest.mark.parametrize(
    ("text", "format"),
    [
        ('{"format": "todo-tui", "version": 1, "todos": []}', "json"),
        ('[{"title": "a"}]', "json"),
        (json.dumps([TASK]), "taskwarrior"),
        (json.dumps(TASK) + "\n" + json.dumps({**TASK, "uuid": "x"}) + "\n", "taskwarrior"),
        ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "ical"),
        ("title,done\nPay rent,false\n", "csv"),
        ("(A) Pay rent +home\n", "todotxt"),
        ("\ufeffx 2026-12-01 Done thing\n", "todotxt"),
    ],
)
def test_the_format_is_detected(text, format) -> None:
    assert detect_format(text) == format
    assert read_import(text.encode(), zone=UTC).format == format


def test_taskwarrior_json_lines_of_older_versions_import() -> None:
    lines = json.dumps(TASK) + "\n" + json.dumps({**TASK, "uuid": "x", "description": "b"})
    plan = read_import(lines.encode(), zone=UTC)
    assert [item.title for item in plan.items] == ["Pay rent", "b"]


def test_a_format_given_that_the_file_plainly_is_not_is_refused() -> None:
    assert refused(json.dumps([TASK]), "todotxt") == (
        "This file is taskwarrior JSON, not todo.txt: import it with --format taskwarrior, or "
        "without --format."
    )
    assert refused("(A) Pay rent\n", "json").startswith("Line 1: this is not valid JSON (")
    assert refused("(A) Pay rent\n", "ical").startswith("This is not valid iCalendar (")
    assert refused("(A) Pay rent\n", "csv") == (
        "Line 1: the column '(a) pay rent' is not one todo-tui knows (it knows id, title, "
        "description, done, due_date, due_time, priority, tags, created_at, updated_at, "
        "completed_at)."
    )
    assert refused("x", "yaml").startswith("Todo-tui imports todo-tui JSON, taskwarrior JSON,")


def test_files_of_no_format_it_imports_are_refused() -> None:
    assert refused('{"hello": 1}') == (
        "This JSON is neither a todo-tui export nor a taskwarrior export."
    )
    assert refused("<?xml version='1.0'?><todo/>").startswith("This file is in no format")
    assert refused("# Todos\n\n## home\n\n- [ ] Pay rent\n").startswith(
        "This looks like Markdown, which todo-tui exports but does not import;"
    )
    assert read_import(b"   \n\n", zone=UTC).items == ()  # an empty todo.txt: nothing to add


# ---------------------------------------------------------------------------------------
# Bad input, each in one sentence with where it is


def test_malformed_json_names_its_line() -> None:
    text = '{"format": "todo-tui", "version": 1,\n "todos": [\n {"title": "a"},,\n]}'
    assert refused(text) == "Line 3: this is not valid JSON (Expecting value, column 17)."


def test_an_unknown_field_is_named() -> None:
    document = {"format": "todo-tui", "version": 1, "todos": [{"title": "a"}, {"titel": "b"}]}
    assert refused(json.dumps(document)) == (
        "Item 2: it has a field todo-tui does not know, 'titel' (it knows id, title, "
        "description, done, due_date, due_time, priority, tags, created_at, updated_at, "
        "completed_at)."
    )
    assert refused(json.dumps({**document, "todos": [], "extra": 1})) == (
        "This export has a field todo-tui does not know, 'extra'."
    )
    assert refused(json.dumps({**document, "version": 2, "todos": []})) == (
        "This todo-tui export has schema version 2; this todo-tui reads version 1."
    )


def test_a_title_over_200_characters_is_refused_with_its_item() -> None:
    tasks = [TASK, {**TASK, "uuid": "b", "description": "é" * 201}]
    assert refused(json.dumps(tasks)) == (
        "Task 2: The title is 201 characters long; the limit is 200."
    )
    assert refused("ok\n" + "x" * 250 + "\n") == (
        "Line 2: The title is 250 characters long; the limit is 200."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            json.dumps([{**TASK, "due": "next tuesday"}]),
            "Task 1: its due date 'next tuesday' cannot be read.",
        ),
        ("a\nb due:2026-13-01\n", "Line 2: its due date '2026-13-01' cannot be read as a date."),
        (
            "title,due_date\na,2026-12-04\nb,soon\n",
            "Line 3: its due_date 'soon' cannot be read as a date.",
        ),
        (
            '[{"title": "a", "created_at": "2026-12-01T10:00:00"}]',
            "Item 1: its created_at '2026-12-01T10:00:00' has no time zone (add +00:00 for UTC).",
        ),
    ],
)
def test_a_date_that_cannot_be_read_is_named(text, message) -> None:
    assert refused(text) == message


def test_nul_bytes_are_refused_with_their_line() -> None:
    assert refused(b"one\ntwo\nthr\x00ee\n") == (
        "Line 3: it contains a NUL character, so this is not a text file."
    )


def test_a_file_over_the_limit_is_refused_before_it_is_read() -> None:
    message = refused(b"x" * (100 * 1024 * 1024))
    assert message == (
        f"The file is 104.9 MB; todo-tui imports files of up to {MAX_FILE_BYTES // 1_000_000} "
        "MB, so split it and import each part."
    )


def test_other_encodings_are_read_when_marked_and_refused_otherwise() -> None:
    text = "Écrire à Zoë +famille\n"
    for encoding in ("utf-16", "utf-32", "utf-8-sig"):
        assert read_import(text.encode(encoding), zone=UTC).items[0].title == "Écrire à Zoë"
    assert refused("ok\nÉcrire à Zoë\n".encode("latin-1")) == (
        "Line 2: this is not UTF-8 text (byte 0xC9); save the file as UTF-8 and import it again."
    )


def test_control_characters_and_bad_tags_are_refused_with_their_place() -> None:
    assert refused(json.dumps([{"title": "a\u0007b"}])) == (
        "Item 1: The title cannot contain control characters (such as NUL or a line break)."
    )
    assert refused(json.dumps([{**TASK, "tags": ["a,b"]}])) == (
        "Task 1: The tag 'a,b' cannot contain '#' or ','."
    )
    assert refused(json.dumps([{**TASK, "priority": "X"}])) == (
        "Task 1: its priority 'X' is not H, M or L."
    )
    assert refused(json.dumps([{**TASK, "status": "archived"}])) == (
        "Task 1: its status 'archived' is not one taskwarrior writes."
    )


# ---------------------------------------------------------------------------------------
# Each tool's conventions


def test_taskwarrior_fields_and_what_is_not_imported() -> None:
    berlin = timezone(timedelta(hours=1))
    task = {
        **TASK,
        "due": "20261204T230000Z",  # midnight on the 5th in Berlin
        "priority": "M",
        "project": "Home.Bills",
        "tags": ["money"],
        "estimate": "2h",  # a user's own field
        "urgency": 4.2,
    }
    plan = read_import(json.dumps([task]).encode(), zone=berlin)
    (item,) = plan.items
    assert (item.due_date, item.due_time, item.priority) == (date(2026, 12, 5), None, 2)
    assert item.tags == ("Home.Bills", "money")
    assert plan.mapping[-1] == ("urgency, estimate", "not imported")
    at_nine = read_import(
        json.dumps([{**task, "due": "20261205T080000Z"}]).encode(), zone=berlin
    ).items[0]
    assert (at_nine.due_date, at_nine.due_time) == (date(2026, 12, 5), time(9))


def test_todotxt_priorities_dates_projects_and_contexts() -> None:
    text = (
        "x 2026-12-02 2026-12-01 (B) Call the bank +money @phone due:2026-12-05 t:2026-12-01\n"
        "(D) 2026-11-01 Sort the photos\n"
        "x Quick done\n"
    )
    first, second, third = read_import(text.encode(), zone=UTC).items
    assert first.done and first.priority == 2
    assert first.title == "Call the bank t:2026-12-01"  # other key:value words stay
    assert first.tags == ("money", "phone") and first.due_date == date(2026, 12, 5)
    assert first.created_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert first.completed_at == datetime(2026, 12, 2, tzinfo=UTC)
    assert (second.priority, second.done) == (1, False)
    assert third.done and third.completed_at is None and third.title == "Quick done"


def test_the_same_line_twice_is_two_todos_with_keys_of_their_own() -> None:
    plan = read_import(b"Buy milk\nBuy milk\n", zone=UTC)
    assert len({item.key for item in plan.items}) == 2
    again = read_import(b"Buy milk\nBuy milk\n", zone=UTC)
    assert [i.key for i in again.items] == [i.key for i in plan.items]


def test_a_csv_cell_of_several_lines_is_one_description() -> None:
    text = 'title,description,tags\r\n"Pay rent","line one\r\nline two",home bills\r\nNext,,\r\n'
    rent, following = read_import(text.encode(), zone=UTC).items
    assert rent.description == "line one\r\nline two" and rent.tags == ("bills", "home")
    assert following.where == "line 4"


def test_csv_cells_a_spreadsheet_would_run_are_text_and_come_back_as_they_were() -> None:
    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    titles = ['=HYPERLINK("http://x")', "+1", "-2 days", "@SUM(A1)", "'quoted", "''", "ok"]
    todos = [
        TodoRecord(
            id=n,
            title=t,
            description="=1+1",
            is_completed=False,
            created_at=now,
            updated_at=now,
            tags=("-x",) if n == 1 else (),
        )
        for n, t in enumerate(titles, 1)
    ]
    text = export_text(todos, "csv")
    rows = text.split("\r\n")[1:-1]
    assert [row.split(",", 2)[1] for row in rows[:2]] == ['"\'=HYPERLINK(""http://x"")"', "'+1"]
    assert all(",'=1+1," in row for row in rows)
    items = read_import(text.encode(), "csv", zone=UTC).items
    assert [item.title for item in items] == titles
    assert {item.description for item in items} == {"=1+1"}
    assert items[0].tags == ("-x",)


def test_ical_export_folds_long_lines_and_escapes_text() -> None:
    from icalendar import Calendar

    now = datetime(2026, 12, 1, 8, tzinfo=UTC)
    title = "Écrire, vite; à Zoë \\ " + "é" * 150
    todo = TodoRecord(
        id=7,
        title=title[:200],
        description="one\ntwo, three",
        is_completed=False,
        created_at=now,
        updated_at=now,
    )
    text = export_text([todo], "ical")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (entry,) = Calendar.from_ical(text).walk("VTODO")
    assert str(entry["summary"]) == title[:200]
    assert str(entry["description"]) == "one\ntwo, three"
    assert entry["dtstamp"].dt == now


# ---------------------------------------------------------------------------------------
# Any todo the app can hold comes back from JSON and CSV as it was

_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60
)
_moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@st.composite
def records(draw) -> TodoRecord:
    title = draw(_text.map(str.strip).filter(lambda t: title_problem(t) is None))
    description = draw(st.none() | st.text(max_size=80).map(lambda d: d.replace("\x00", "")))
    if description is not None:
        try:
            description = clean_description(description)
        except InvalidInput:
            description = None
    tags = clean_tags(
        draw(st.lists(st.from_regex(r"[a-zA-Zé0-9._-]{1,12}", fullmatch=True), max_size=4))
    )
    due_date = draw(st.none() | st.dates(date(2000, 1, 1), date(2100, 1, 1)))
    due_time = draw(st.none() | st.times()) if due_date else None
    done = draw(st.booleans())
    return TodoRecord(
        id=draw(st.integers(1, 10**9)),
        title=title,
        description=description,
        is_completed=done,
        created_at=draw(_moments),
        updated_at=draw(_moments),
        due_date=due_date,
        due_time=due_time,
        priority=draw(st.integers(0, 3)),
        completed_at=draw(_moments) if done else None,
        tags=tags,
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(records(), max_size=5, unique_by=lambda r: r.id), st.sampled_from(["json", "csv"]))
def test_json_and_csv_carry_every_field(todos, format) -> None:
    items = read_import(export_text(todos, format).encode(), format, zone=UTC).items
    assert len(items) == len(todos)
    for todo, item in zip(todos, items, strict=True):
        assert (item.title, item.description, item.done) == (
            todo.title,
            todo.description,
            todo.is_completed,
        )
        assert (item.due_date, item.due_time, item.priority, item.tags) == (
            todo.due_date,
            todo.due_time,
            todo.priority,
            todo.tags,
        )
        assert (item.created_at, item.updated_at, item.completed_at) == (
            todo.created_at,
            todo.updated_at,
            todo.completed_at,
        )
