"""What every importer makes and every exporter reads: the file's text, checked; the todos
it holds, checked as the app checks what a user types; what is skipped and why; and the
one item schema of todo-tui's JSON (and of `todo-tui list --json`).

Standard library only: a file is read and checked before any database is touched.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache

from todo_tui.faults import InvalidInput
from todo_tui.records import PRIORITY_NAMES, TodoRecord
from todo_tui.validation import clean_description, clean_tags, clean_title

MAX_FILE_BYTES = 64 * 1024 * 1024  # ~150,000 taskwarrior tasks
KEY_PREFIX = "import:"
KEY_DIGEST_CHARS = 56  # with the prefix, within the client key's 64 characters

# The item schema, version 1: the names and their order are stable.
ITEM_FIELDS = (
    "id",
    "title",
    "description",
    "done",
    "due_date",
    "due_time",
    "priority",
    "tags",
    "created_at",
    "updated_at",
    "completed_at",
)
PRIORITY_OF = {"high": 3, "medium": 2, "low": 1}

Progress = Callable[[int, int], None]  # (todos written so far, todos to write)


class ImportRefused(InvalidInput):
    """The file cannot be imported; the message is one sentence, naming the line or item
    where the problem is. Nothing was written."""

    def __init__(self, sentence: str, where: str | None = None) -> None:
        if where is None:
            message = sentence[:1].upper() + sentence[1:]
        else:
            message = f"{where[:1].upper()}{where[1:]}: {sentence}"
        super().__init__("file", message)
        self.where = where


@dataclass(frozen=True, slots=True)
class ImportItem:
    """A todo to add, checked. `key` identifies it in its source, so that importing the
    same file again finds it (todo.client_key) instead of adding it twice."""

    where: str  # "line 3", "item 4": for messages
    key: str
    title: str
    description: str | None = None
    done: bool = False
    due_date: date | None = None
    due_time: time | None = None
    priority: int = 0
    tags: tuple[str, ...] = ()
    created_at: datetime | None = None  # None: the time of the import
    updated_at: datetime | None = None  # None: its created_at
    completed_at: datetime | None = None
    # A todo-tui export's todo: its id and creation time in the list it came from, so that
    # a backup imported back into that very list does not add a second copy of each todo.
    origin: tuple[int, datetime] | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    where: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What a file holds, read and checked, before anything is written."""

    format: str
    items: tuple[ImportItem, ...]
    skipped: tuple[Skipped, ...] = ()
    # (what the file calls it, what it becomes here): ("priority H/M/L", "priority high/…")
    mapping: tuple[tuple[str, str], ...] = ()


def item_key(source: str, identity: str) -> str:
    """The client key of an imported item: stable for the same item of the same source."""
    digest = hashlib.sha256(f"{source}\0{identity}".encode()).hexdigest()
    return KEY_PREFIX + digest[:KEY_DIGEST_CHARS]


class Occurrences:
    """Counts each identity seen, so that two identical lines are two todos (with keys
    of their own) and a second import of the file still finds both."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def identity(self, text: str) -> str:
        count = self._seen.get(text, 0) + 1
        self._seen[text] = count
        return text if count == 1 else f"{text}\0{count}"


@lru_cache(maxsize=4096)
def _clean_tags(names: tuple[str, ...]) -> tuple[str, ...]:
    # The same few sets of tags, thousands of times over: each set is checked once.
    return clean_tags(names)


def make_item(
    where: str,
    key: str,
    *,
    title: str,
    description: str | None = None,
    tags: tuple[str, ...] | list[str] = (),
    **fields,
) -> ImportItem:
    """An ImportItem checked as the app checks a todo typed in; ImportRefused otherwise."""
    try:
        cleaned_title = clean_title(title)
        cleaned_description = clean_description(description)
        cleaned_tags = _clean_tags(tuple(tags))
    except InvalidInput as refused:
        raise ImportRefused(refused.message, where) from None
    if fields.get("due_time") is not None and fields.get("due_date") is None:
        raise ImportRefused("it has a due time but no due date.", where)
    return ImportItem(
        where=where,
        key=key,
        title=cleaned_title,
        description=cleaned_description,
        tags=cleaned_tags,
        **fields,
    )


# ---------------------------------------------------------------------------------------
# The file's text


def decode(data: bytes) -> str:
    """The text of a file: UTF-8 (a byte-order mark allowed), or UTF-16/32 with their mark.
    ImportRefused for a file too large, not text, or holding NUL."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            f"The file is {len(data) / 1_000_000:.1f} MB; todo-tui imports files of up to "
            f"{MAX_FILE_BYTES // 1_000_000} MB, so split it and import each part."
        )
    marks = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = next((name for mark, name in marks if data.startswith(mark)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as bad:
        line = data[: bad.start].count(b"\n") + 1
        raise ImportRefused(
            f"this is not {encoding.upper().removesuffix('-SIG')} text (byte "
            f"0x{data[bad.start]:02X}); save the file as UTF-8 and import it again.",
            f"line {line}",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRefused(
            "it contains a NUL character, so this is not a text file.", f"line {line}"
        )
    return text


# ---------------------------------------------------------------------------------------
# Times


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def aware(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in UTC; a floating one is read in `zone`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def start_of(day: date, zone: tzinfo) -> datetime:
    """The UTC moment `day` begins in `zone` (for formats that keep only the date)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


# ---------------------------------------------------------------------------------------
# todo-tui's own item schema (JSON, and CSV's columns)


def todo_item(todo: TodoRecord) -> dict[str, object]:
    """The item of `todo` in todo-tui's JSON schema, version 1: every field, in ITEM_FIELDS
    order. Dates are ISO 8601: due_date `2026-12-04`, due_time `09:30:00` (floating: a
    wall-clock time, no zone), the timestamps in UTC (`2026-12-01T08:00:00+00:00`, with
    microseconds when there are any). priority: "high", "medium", "low" or null."""
    return {
        "id": todo.id,
        "title": todo.title,
        "description": todo.description,
        "done": todo.is_completed,
        "due_date": None if todo.due_date is None else todo.due_date.isoformat(),
        "due_time": None if todo.due_time is None else todo.due_time.isoformat(),
        "priority": PRIORITY_NAMES[todo.priority] or None,
        "tags": list(todo.tags),
        "created_at": iso(todo.created_at),
        "updated_at": iso(todo.updated_at),
        "completed_at": iso(todo.completed_at),
    }


def _text(value: object, name: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ImportRefused(f"its {name} is {type(value).__name__}, not text.", where)


def _read(parse, value: object, name: str, where: str, what: str):
    text = _text(value, name, where)
    if text is None or not text.strip():
        return None
    try:
        return parse(text.strip())
    except ValueError:
        raise ImportRefused(f"its {name} {text!r} cannot be read as {what}.", where) from None


def _moment(value: object, name: str, where: str) -> datetime | None:
    moment = _read(datetime.fromisoformat, value, name, where, "an ISO 8601 date and time")
    if moment is not None and moment.tzinfo is None:
        raise ImportRefused(f"its {name} {value!r} has no time zone (add +00:00 for UTC).", where)
    return None if moment is None else moment.astimezone(UTC)


def item_from_fields(
    values: dict[str, object], where: str, *, source: str, occurrences: Occurrences
) -> ImportItem:
    """An ImportItem from todo-tui's item schema: JSON values, or the text of CSV cells
    (done "true"/"false", tags separated by spaces). ImportRefused for a field it does not
    know or a value it cannot read. Its identity: the id and creation time it had where it
    was exported, else (written by hand) its content."""
    unknown = [name for name in values if name not in ITEM_FIELDS]
    if unknown:
        raise ImportRefused(
            f"it has a field todo-tui does not know, {unknown[0]!r} (it knows "
            f"{', '.join(ITEM_FIELDS)}).",
            where,
        )
    title = values.get("title")
    if not isinstance(title, str):
        raise ImportRefused("it has no title.", where)
    done = values.get("done", False)
    if isinstance(done, str):
        done = {"true": True, "false": False, "": False, "1": True, "0": False}.get(
            done.strip().lower(), done
        )
    if not isinstance(done, bool):
        raise ImportRefused(f"its done is {done!r}; it should be true or false.", where)
    priority_name = _text(values.get("priority"), "priority", where) or ""
    priority = 0
    if priority_name.strip():
        priority = PRIORITY_OF.get(priority_name.strip().lower(), -1)
        if priority < 0:
            raise ImportRefused(
                f"its priority {priority_name!r} is not high, medium or low.", where
            )
    tags = values.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split()
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ImportRefused("its tags should be a list of names.", where)
    created_at = _moment(values.get("created_at"), "created_at", where)
    origin = None
    if values.get("id") in (None, ""):
        identity = occurrences.identity(repr(sorted(values.items(), key=str)))
    else:
        identity = f"{values['id']}\0{iso(created_at)}"
        todo_id = values["id"]
        if isinstance(todo_id, str) and todo_id.strip().isdigit():
            todo_id = int(todo_id)
        if isinstance(todo_id, int) and not isinstance(todo_id, bool) and created_at is not None:
            origin = (todo_id, created_at)
    return make_item(
        where,
        item_key(source, identity),
        title=title,
        description=_text(values.get("description"), "description", where),
        done=done,
        due_date=_read(date.fromisoformat, values.get("due_date"), "due_date", where, "a date"),
        due_time=_read(time.fromisoformat, values.get("due_time"), "due_time", where, "a time"),
        priority=priority,
        tags=tags,
        created_at=created_at,
        updated_at=_moment(values.get("updated_at"), "updated_at", where),
        completed_at=_moment(values.get("completed_at"), "completed_at", where),
        origin=origin,
    )
