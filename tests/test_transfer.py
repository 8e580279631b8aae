"""Import and export on both databases: every format's export, round trips export → import
→ export, real samples, idempotence, all or nothing, and the statements a large import
costs (batched, not one per todo)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa

from todo_tui import todos
from todo_tui.auth import register
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.records import TodoDraft
from todo_tui.transfer import ImportItem, ImportPlan, ImportRefused, read_import
from todo_tui.transfer.items import item_key
from todo_tui.transfer.service import BATCH, LINK_BATCH, export_todos, import_plan

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def owners(database: Database) -> tuple[int, int]:
    with database.session() as session:
        ann = register(session, email="ann@example.com", password="password1", rounds=4)
        bob = register(session, email="bob@example.com", password="password1", rounds=4)
    return ann.id, bob.id


def call(database: Database, work):
    with database.session() as session:
        return work(session)


def export(database: Database, owner: int, format: str = "json", **options) -> str:
    return call(
        database,
        lambda s: export_todos(s, owner_id=owner, format=format, zone=UTC, **options),
    )


def import_bytes(database: Database, owner: int, data: bytes, format=None, **options):
    plan = read_import(data, format, zone=UTC)
    return call(database, lambda s: import_plan(s, owner_id=owner, plan=plan, **options))


def listed(database: Database, owner: int):
    return call(database, lambda s: todos.list_todos(s, owner_id=owner))


def count_todos(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM todo").scalar()


def fill(database: Database, owner: int) -> None:
    """A list with every field in use: unicode, descriptions of several lines, due dates
    with and without a time, each priority, shared tags in two cases, done and open."""

    def add(**fields):
        return call(
            database, lambda s: todos.add_todo(s, owner_id=owner, draft=TodoDraft(**fields))
        )

    add(title="Pay rent", due="2026-12-04 09:30", priority="high", tags="home Bills")
    add(title="Café with Zoë ☕", description="Bring the book.\nAsk about Lisbon.", tags="social")
    add(title="Read *Dune* [part 1] #2", due="2026-12-24", priority="low", tags="Home")
    plain = add(title="Plain")
    done = add(title="Renew the passport", priority="medium", tags="admin")
    call(
        database,
        lambda s: todos.set_completed(
            s, owner_id=owner, todo_id=done.id, version=done.version, completed=True
        ),
    )
    assert plain.tags == ()


def without_ids(document: str) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "id"} for item in json.loads(document)["todos"]]


# ---------------------------------------------------------------------------------------
# Exports


def test_json_export_holds_every_field_in_the_documented_schema(database, owners) -> None:
    ann, _ = owners
    fill(database, ann)
    document = json.loads(export(database, ann))
    assert (document["format"], document["version"]) == ("todo-tui", 1)
    first, second, *_, last = document["todos"]
    assert list(first) == [
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
    ]
    assert first["title"] == "Pay rent" and first["done"] is False
    assert (first["due_date"], first["due_time"], first["priority"]) == (
        "2026-12-04",
        "09:30:00",
        "high",
    )
    assert first["tags"] == ["Bills", "home"] and first["completed_at"] is None
    assert datetime.fromisoformat(first["created_at"]).tzinfo is not None
    assert second["description"] == "Bring the book.\nAsk about Lisbon."
    assert second["priority"] is None and second["due_date"] is None
    assert last["done"] is True and last["completed_at"] is not None


def test_csv_export_has_a_header_and_one_row_per_todo(database, owners) -> None:
    ann, _ = owners
    fill(database, ann)
    text = export(database, ann, "csv")
    lines = text.split("\r\n")
    assert lines[0] == (
        "id,title,description,done,due_date,due_time,priority,tags,created_at,updated_at,"
        "completed_at"
    )
    assert ",Pay rent,,false,2026-12-04,09:30:00,high,Bills home," in lines[1]
    assert '"Bring the book.\nAsk about Lisbon."' in text  # one quoted cell, two lines


def test_markdown_export_is_a_checklist_by_tag_or_by_due_date(database, owners) -> None:
    ann, _ = owners
    fill(database, ann)
    by_tag = export(database, ann, "markdown")
    assert by_tag.startswith("# Todos\n\n## admin\n\n- [x] Renew the passport (medium priority)")
    home = by_tag.split("## home\n\n")[1].split("\n\n")[0]
    assert home.splitlines() == [
        "- [ ] Pay rent (due 2026-12-04 09:30, high priority)",
        r"- [ ] Read \*Dune\* \[part 1\] \#2 (due 2026-12-24, low priority)",
    ]
    assert "## No tag\n\n- [ ] Plain\n" in by_tag
    assert "- [ ] Café with Zoë ☕\n  Bring the book\\.\n  Ask about Lisbon\\." in by_tag
    by_due = export(database, ann, "markdown", group_by="due")
    sections = re.findall(r"^## (.+)$", by_due, flags=re.MULTILINE)
    assert sections == ["2026-12-04", "2026-12-24", "No due date"]


def test_todotxt_export_follows_its_conventions(database, owners) -> None:
    ann, _ = owners
    fill(database, ann)
    lines = export(database, ann, "todotxt").splitlines()
    today = datetime.now(UTC).date().isoformat()
    assert lines == [
        f"(A) {today} Pay rent +Bills +home due:2026-12-04",
        f"{today} Café with Zoë ☕ +social",
        f"(C) {today} Read *Dune* [part 1] #2 +home due:2026-12-24",
        f"{today} Plain",
        f"x {today} {today} Renew the passport +admin pri:B",
    ]


def test_ical_export_is_rfc_5545_vtodos(database, owners) -> None:
    from icalendar import Calendar

    ann, _ = owners
    fill(database, ann)
    records = listed(database, ann)
    calendar = Calendar.from_ical(export(database, ann, "ical"))
    entries = calendar.walk("VTODO")
    assert len(entries) == 5
    rent, cafe, dune, plain, passport = entries
    assert str(rent["uid"]) == f"todo-{records[0].id}@todo-tui"
    assert rent["due"].dt == datetime(2026, 12, 4, 9, 30)  # floating: no zone
    assert dune["due"].dt == date(2026, 12, 24) and "VALUE=DATE" in dune.to_ical().decode()
    assert [int(e.get("priority", 0)) for e in entries] == [1, 0, 9, 0, 5]
    assert [str(c) for c in rent["categories"].cats] == ["Bills", "home"]
    assert str(cafe["description"]) == "Bring the book.\nAsk about Lisbon."
    assert [str(e["status"]) for e in entries] == ["NEEDS-ACTION"] * 4 + ["COMPLETED"]
    assert passport["completed"].dt == records[4].completed_at.replace(microsecond=0)
    assert "due" not in plain
    # Exported again, unchanged: the same file (DTSTAMP is the last change, not "now").
    assert export(database, ann, "ical") == export(database, ann, "ical")


# ---------------------------------------------------------------------------------------
# Round trips: export → import into an empty account → export


def test_json_round_trip_is_lossless(database, owners) -> None:
    ann, bob = owners
    fill(database, ann)
    first = export(database, ann)
    result = import_bytes(database, bob, first.encode())
    assert len(result.added) == 5 and result.skipped == ()
    assert without_ids(export(database, bob)) == without_ids(first)
    mine, theirs = listed(database, ann), listed(database, bob)
    assert [(t.title, t.tags, t.created_at, t.updated_at, t.completed_at) for t in theirs] == [
        (t.title, t.tags, t.created_at, t.updated_at, t.completed_at) for t in mine
    ]


@pytest.mark.parametrize("format", ["csv", "todotxt", "ical"])
def test_every_format_round_trips_what_it_carries(database, owners, format) -> None:
    ann, bob = owners
    fill(database, ann)
    first = export(database, ann, format)
    assert len(import_bytes(database, bob, first.encode(), format).added) == 5
    again = export(database, bob, format)
    if format == "csv":
        first, again = (re.sub(r"^\d+,", "ID,", t, flags=re.MULTILINE) for t in (first, again))
    if format == "ical":
        first, again = (re.sub(r"UID:todo-\d+@", "UID:todo-ID@", t) for t in (first, again))
    assert again == first


def test_moving_a_list_keeps_it_and_a_second_move_adds_nothing(database, owners) -> None:
    ann, bob = owners
    fill(database, ann)
    data = export(database, ann).encode()
    import_bytes(database, bob, data)
    result = import_bytes(database, bob, data)
    assert result.added == ()
    assert [s.reason for s in result.skipped] == ["imported before"] * 5
    assert len(listed(database, bob)) == 5
    # The CSV of the same list names the same todos: nothing more either.
    assert import_bytes(database, bob, export(database, ann, "csv").encode()).added == ()


# ---------------------------------------------------------------------------------------
# Real samples


def test_a_taskwarrior_export_imports_with_its_annotations_and_projects(database, owners):
    ann, _ = owners
    result = import_bytes(database, ann, (SAMPLES / "taskwarrior-2.6.json").read_bytes())
    assert result.format == "taskwarrior"
    assert result.summary == (
        "Added 6 todos; skipped 1 a recurring template, whose instances are imported; "
        "1 deleted in taskwarrior."
    )
    by_title = {t.title: t for t in listed(database, ann)}
    rent = by_title["Pay rent"]
    assert (rent.priority, rent.due_date, rent.due_time) == (3, date(2026, 12, 4), None)
    assert rent.tags == ("Home.Bills", "money")
    cafe = by_title["Café with Zoë ☕"]
    assert cafe.due_time == time(9, 30)
    assert cafe.description == (
        "2026-12-01 12:40 Bring the book\n2026-12-01 12:40 Ask about Lisbon — ünïcödé"
    )
    assert cafe.created_at == datetime(2026, 12, 1, 12, 40, 49, tzinfo=UTC)
    done = by_title["Done thing"]
    assert done.is_completed and done.completed_at == datetime(2026, 12, 1, 12, 40, 52, tzinfo=UTC)
    assert by_title["Bare"].tags == () and by_title["Bare"].description is None
    again = import_bytes(database, ann, (SAMPLES / "taskwarrior-2.6.json").read_bytes())
    assert again.added == () and len(listed(database, ann)) == 6


def test_todotxt_and_ical_samples_import(database, owners) -> None:
    ann, bob = owners
    result = import_bytes(database, ann, (SAMPLES / "todo.txt").read_bytes())
    assert result.format == "todotxt" and len(result.added) == 11  # the two "Buy milk" too
    assert [t.title for t in listed(database, ann)].count("Buy milk") == 2
    assert import_bytes(database, ann, (SAMPLES / "todo.txt").read_bytes()).added == ()
    zoe = next(t for t in listed(database, ann) if t.title == "Écrire à Zoë")
    assert (zoe.tags, zoe.priority, zoe.due_date) == (("famille",), 1, date(2026, 12, 10))
    result = import_bytes(database, bob, (SAMPLES / "tasks.ics").read_bytes())
    assert result.format == "ical" and len(result.added) == 4
    assert [(s.where, s.reason) for s in result.skipped] == [("VTODO 4", "cancelled")]
    tax = listed(database, bob)[0]
    assert (tax.due_date, tax.due_time, tax.tags) == (
        date(2026, 12, 15),
        time(16),
        ("Finance", "Home"),
    )


def test_imported_tags_join_the_owners_tags_whatever_their_case(database, owners) -> None:
    ann, _ = owners
    call(database, lambda s: todos.add_todo(s, owner_id=ann, title="mine", tags="Home Zoë"))
    import_bytes(database, ann, b"Dust the shelves +home +zo\xc3\xab +new\n")
    assert call(database, lambda s: todos.list_tags(s, owner_id=ann)) == ["Home", "new", "Zoë"]
    dust = listed(database, ann)[-1]
    assert dust.tags == ("Home", "new", "Zoë")


# ---------------------------------------------------------------------------------------
# Dry runs, all or nothing, batches


def test_a_dry_run_says_what_would_happen_and_writes_nothing(database, owners) -> None:
    ann, _ = owners
    data = (SAMPLES / "taskwarrior-2.6.json").read_bytes()
    result = import_bytes(database, ann, data, dry_run=True)
    assert result.dry_run and len(result.added) == 6 and len(result.skipped) == 2
    assert ("project", "a tag") in result.mapping
    assert result.summary.startswith("Would add 6 todos;")
    assert count_todos(database) == 0
    import_bytes(database, ann, data)
    after = import_bytes(database, ann, data, dry_run=True)
    assert after.added == () and sum(s.reason == "imported before" for s in after.skipped) == 6


def test_a_bad_item_anywhere_means_nothing_is_imported(database, owners) -> None:
    ann, _ = owners
    lines = [f"task {n}" for n in range(2500)]
    lines[2200] = "due:2026-02-30 a date that is not one"
    with pytest.raises(ImportRefused) as refused:
        read_import("\n".join(lines).encode())
    assert str(refused.value) == "Line 2201: its due date '2026-02-30' cannot be read as a date."
    # One the database refuses, in the third batch: the first two are rolled back too.
    items = [
        ImportItem(where=f"line {n}", key=item_key("t", str(n)), title=f"t{n}") for n in range(2500)
    ]
    items[2200] = ImportItem(where="line 2201", key=item_key("t", "x"), title="x" * 300)
    plan = ImportPlan(format="todotxt", items=tuple(items))
    with pytest.raises(DatabaseFault) as fault:
        call(database, lambda s: import_plan(s, owner_id=ann, plan=plan))
    assert fault.value.kind is FaultKind.REJECTED
    assert count_todos(database) == 0


def test_an_interrupted_import_leaves_nothing(database, owners) -> None:
    ann, _ = owners
    plan = read_import("\n".join(f"task {n} +t{n % 7}" for n in range(3000)).encode())

    def stop(done: int, total: int) -> None:
        if done >= 2000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call(database, lambda s: import_plan(s, owner_id=ann, plan=plan, progress=stop))
    assert count_todos(database) == 0
    seen = []
    call(
        database,
        lambda s: import_plan(s, owner_id=ann, plan=plan, progress=lambda *a: seen.append(a)),
    )
    assert seen == [(0, 3000), (1000, 3000), (2000, 3000), (3000, 3000)]
    assert count_todos(database) == 3000


def test_ten_thousand_todos_import_in_a_few_batched_statements(database, owners) -> None:
    ann, _ = owners
    tasks = [
        {
            "uuid": f"00000000-0000-4000-8000-{n:012d}",
            "description": f"task {n}",
            "status": "completed" if n % 3 == 0 else "pending",
            "entry": "20261101T090000Z",
            "end": "20261102T090000Z" if n % 3 == 0 else None,
            "priority": "HML"[n % 3],
            "tags": [f"tag{n % 50}", f"area{n % 7}", "imported"],
            "project": f"project{n % 10}",
        }
        for n in range(10_000)
    ]
    plan = read_import(json.dumps(tasks).encode())
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(" ".join(statement.split())[:40])

    sa.event.listen(database.engine, "before_cursor_execute", count)
    try:
        result = call(database, lambda s: import_plan(s, owner_id=ann, plan=plan))
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", count)
    assert len(result.added) == 10_000
    inserts_of_todos = [s for s in statements if s.startswith("INSERT INTO todo (")]
    assert len(inserts_of_todos) == 10_000 // BATCH
    # 40,000 links (4 tags each) in batches of LINK_BATCH, 68 tags: never one per todo.
    assert len(statements) <= 10_000 // BATCH + 40_000 // LINK_BATCH + 4, statements
    assert count_todos(database) == 10_000
    assert len(call(database, lambda s: todos.list_tags(s, owner_id=ann))) == 50 + 7 + 1 + 10


def test_a_backup_imported_into_its_own_list_brings_back_only_what_is_gone(database, owners):
    ann, _ = owners
    fill(database, ann)
    backup = export(database, ann).encode()
    result = import_bytes(database, ann, backup)
    assert result.added == ()
    assert [s.reason for s in result.skipped] == ["already in this list"] * 5
    gone = listed(database, ann)[1]
    call(
        database,
        lambda s: todos.delete_todo(s, owner_id=ann, todo_id=gone.id, version=gone.version),
    )
    dry = import_bytes(database, ann, backup, dry_run=True)
    assert [item.title for item in dry.added] == [gone.title]
    restored = import_bytes(database, ann, backup)
    assert [item.title for item in restored.added] == [gone.title]
    back = listed(database, ann)[-1]
    assert (back.title, back.description, back.tags, back.created_at) == (
        gone.title,
        gone.description,
        gone.tags,
        gone.created_at,
    )
    assert import_bytes(database, ann, backup).added == ()
    assert len(listed(database, ann)) == 5
