"""Taskwarrior's `task export`: a JSON array of tasks (older versions: one task per line).

What each field becomes is in MAPPING (a dry run prints it). A task's dates are UTC
instants; its due becomes a floating date (and time, unless it falls at midnight) in the
local zone, as taskwarrior showed it. Annotations follow each other in the description, each
on its own line after its date. Deleted tasks and recurring templates are skipped, and
counted. Fields without a place here (urgency, wait, scheduled, a user's own fields…) are
named in the mapping as not imported.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, tzinfo
from functools import lru_cache

from todo_tui.transfer.items import (
    ImportItem,
    ImportPlan,
    ImportRefused,
    Skipped,
    item_key,
    make_item,
)
from todo_tui.transfer.json_format import load

SOURCE = "taskwarrior"
PRIORITIES = {"H": 3, "M": 2, "L": 1, "": 0}
MAPPING = (
    ("uuid", "the import key (a second import adds nothing)"),
    ("description", "title"),
    ("status pending / waiting / completed", "done: no / no / yes"),
    ("status deleted, recurring", "skipped, and counted"),
    ("entry", "created_at"),
    ("modified", "updated_at"),
    ("end", "completed_at"),
    ("due", "due_date and due_time (local; no time when it is midnight)"),
    ("priority H / M / L", "priority high / medium / low"),
    ("tags", "tags"),
    ("project", "a tag"),
    ("annotations", "description, one line each: date, then text"),
)
KNOWN = frozenset(
    {"uuid", "description", "status", "entry", "modified", "end", "due", "priority", "tags"}
    | {"project", "annotations"}
)
NOT_CARRIED = frozenset(
    {"id", "urgency", "start", "wait", "scheduled", "until", "recur", "mask", "imask"}
    | {"parent", "depends", "rtype", "template", "last", "imported"}
)


def looks_like(value: object) -> bool:
    first = value[0] if isinstance(value, list) and value else value
    return isinstance(first, dict) and "uuid" in first and "description" in first


def load_tasks(text: str) -> object:
    """The tasks of an export: its JSON array, or (taskwarrior before 2.4) one object a line."""
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n" in stripped.strip():
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            if not _one_object(stripped.split("\n", 1)[0]):
                return load(text)  # not lines of objects: say where the JSON breaks
            tasks = []
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    tasks.append(load(line.strip().rstrip(","), f"JSON (line {number})"))
            return tasks
    return load(text)


_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$")


@lru_cache(maxsize=8192)
def _instant(value: str) -> datetime | None:
    """`20261201T120000Z` (what taskwarrior writes; strptime costs ten times more), or ISO
    8601; UTC unless it says otherwise. None when it is neither."""
    if match := _COMPACT.match(value):
        try:
            return datetime(*map(int, match.groups()), tzinfo=UTC)
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _one_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line.strip().rstrip(",")), dict)
    except json.JSONDecodeError:
        return False


def _moment(value: object, name: str, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    moment = _instant(value) if isinstance(value, str) else None
    if moment is None:
        raise ImportRefused(f"its {name} date {value!r} cannot be read.", where)
    return moment


def parse(text: str, *, zone: tzinfo) -> ImportPlan:
    return plan_of(load_tasks(text), zone=zone)


def plan_of(tasks: object, *, zone: tzinfo) -> ImportPlan:
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise ImportRefused("this is not a taskwarrior export (a JSON list of tasks).")
    items: list[ImportItem] = []
    skipped: list[Skipped] = []
    dropped: set[str] = set()
    for number, task in enumerate(tasks, start=1):
        where = f"task {number}"
        if not isinstance(task, dict):
            raise ImportRefused("it is not a task (a JSON object).", where)
        dropped.update(name for name in task if name not in KNOWN)
        item = _item(task, where, zone)
        if isinstance(item, Skipped):
            skipped.append(item)
        else:
            items.append(item)
    mapping = MAPPING
    if dropped:
        names = ", ".join(sorted(dropped, key=lambda name: (name not in NOT_CARRIED, name)))
        mapping += ((names, "not imported"),)
    return ImportPlan(
        format="taskwarrior", items=tuple(items), skipped=tuple(skipped), mapping=mapping
    )


def _item(task: dict, where: str, zone: tzinfo) -> ImportItem | Skipped:
    title = task.get("description")
    if not isinstance(title, str):
        raise ImportRefused("it has no description.", where)
    status = task.get("status", "pending")
    if status == "deleted":
        return Skipped(where, title, "deleted in taskwarrior")
    if status == "recurring":
        return Skipped(where, title, "a recurring template, whose instances are imported")
    if status not in ("pending", "waiting", "completed"):
        raise ImportRefused(f"its status {status!r} is not one taskwarrior writes.", where)
    uuid = task.get("uuid")
    if not isinstance(uuid, str) or not uuid.strip():
        raise ImportRefused("it has no uuid.", where)
    priority = task.get("priority") or ""
    if priority not in PRIORITIES:
        raise ImportRefused(f"its priority {priority!r} is not H, M or L.", where)
    tags = task.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ImportRefused("its tags are not a list of names.", where)
    project = task.get("project")
    if isinstance(project, str) and project.strip():
        tags = [project.strip(), *tags]
    due = _moment(task.get("due"), "due", where)
    due_date = due_time = None
    if due is not None:
        local = due.astimezone(zone)
        due_date = local.date()
        due_time = None if local.time() == time() else local.time().replace(tzinfo=None)
    created = _moment(task.get("entry"), "entry", where)
    done = status == "completed"
    return make_item(
        where,
        item_key(SOURCE, uuid.strip().lower()),
        title=title,
        description=_annotations(task.get("annotations"), where, zone),
        done=done,
        due_date=due_date,
        due_time=due_time,
        priority=PRIORITIES[priority],
        tags=tags,
        created_at=created,
        updated_at=_moment(task.get("modified"), "modified", where) or created,
        completed_at=_moment(task.get("end"), "end", where) if done else None,
    )


def _annotations(annotations: object, where: str, zone: tzinfo) -> str | None:
    if not annotations:
        return None
    if not isinstance(annotations, list):
        raise ImportRefused("its annotations are not a list.", where)
    lines = []
    for annotation in annotations:
        if not isinstance(annotation, dict) or not isinstance(annotation.get("description"), str):
            raise ImportRefused("one of its annotations has no description.", where)
        entry = _moment(annotation.get("entry"), "annotation", where)
        text = annotation["description"]
        lines.append(text if entry is None else f"{entry.astimezone(zone):%Y-%m-%d %H:%M} {text}")
    return "\n".join(lines)
