"""Drafts: one private file per database and account, named by a hash (never the URL),
offered back once on the list screen after the list has loaded."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from pathlib import Path

from textual.widgets import Input, Static, TextArea

from tests.pilot import (
    EMAIL,
    PASSWORD,
    add,
    eventually,
    log_in,
    make_app,
    register,
    screen_name,
    settle,
    stored,
)
from todo_tui import drafts, todos
from todo_tui.config import load_settings
from todo_tui.db import Database
from todo_tui.drafts import Draft
from todo_tui.records import TodoDraft
from todo_tui.screens.confirm import ConfirmDialog
from todo_tui.screens.todo_form import TodoForm

NEON = "postgresql://alice:Secret123@ep-cool-1.eu.aws.neon.tech/neondb?sslmode=require"


def url(raw: str):
    return load_settings(database_url=raw, environ={}).database


def test_a_draft_is_kept_privately_per_database_and_account() -> None:
    neon, other = url(NEON), url("sqlite:///elsewhere.db")
    draft = Draft(TodoDraft("Call the bank", "before\nnoon"), todo_id=7, version=3)
    path = drafts.save(neon, 1, draft)
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for secret in ("Secret123", "alice", "neon.tech", "neondb"):
        assert secret not in str(path) and secret not in path.read_text()
    assert drafts.load(neon, 1) == draft
    assert drafts.load(neon, 2) is None  # another account
    assert drafts.load(other, 1) is None  # another database
    # The same database with another password is the same database.
    assert drafts.load(url(NEON.replace("Secret123", "Rotated9")), 1) == draft
    drafts.discard(neon, 1)
    assert drafts.load(neon, 1) is None
    drafts.discard(neon, 1)  # nothing to discard: no error


def test_a_draft_file_keeps_its_flat_format() -> None:
    database = url("sqlite:///flat-draft.db")
    draft = Draft(TodoDraft("Call the bank", "before\nnoon"), todo_id=7, version=3)
    path = drafts.save(database, 1, draft)
    assert path is not None
    # One flat object: the text's fields beside the rest.
    flat = {**asdict(draft.text), "todo_id": 7, "version": 3, "client_key": None}
    assert json.loads(path.read_text()) == flat
    # A file written before the text had a type of its own loads as it did.
    path.write_text(
        '{"title": "t", "description": "d", "todo_id": null, "version": null, "client_key": "abc"}'
    )
    assert drafts.load(database, 1) == Draft(TodoDraft("t", "d"), client_key="abc")


def test_a_file_that_is_not_a_draft_is_ignored() -> None:
    database = url("sqlite:///garbage-draft.db")
    path = drafts.draft_path(database, 1)
    for text in ("not json", "[1, 2]", '{"title": 1, "description": ""}', '{"x": 1}'):
        path.parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text)
        assert drafts.load(database, 1) is None, text


# -- offered back on the list screen (both databases) ---------------------------------------


async def _alice_with(database, tmp_path: Path, draft: Draft | None, *, todo: str = ""):
    alice = register(database)
    existing = add(database, alice, todo) if todo else None
    if draft is not None:
        drafts.save(database.settings.database, alice.id, draft)
    return alice, existing


async def test_a_kept_draft_is_offered_once_and_restored_into_the_form(
    database: Database, tmp_path: Path
) -> None:
    alice, _ = await _alice_with(
        database, tmp_path, Draft(TodoDraft("From the draft", "its notes"))
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        question = app.screen.query_one("#confirm-question", Static)
        assert str(question.render()) == "Restore the todo you were writing?"
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, TodoForm)
        assert form.query_one("#title", Input).value == "From the draft"
        assert form.query_one("#description", TextArea).text == "its notes"
        assert drafts.load(database.settings.database, alice.id) is None  # offered once
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    assert [(t.title, t.description) for t in stored(database, alice)] == [
        ("From the draft", "its notes")
    ]


async def test_a_draft_whose_save_landed_after_all_is_not_offered(
    database: Database, tmp_path: Path
) -> None:
    alice, _ = await _alice_with(database, tmp_path, Draft(TodoDraft("Landed")), todo="Landed")
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    assert drafts.load(database.settings.database, alice.id) is None


async def test_a_restored_edit_of_a_todo_changed_since_meets_the_conflict_dialog(
    database: Database, tmp_path: Path
) -> None:
    alice, todo = await _alice_with(database, tmp_path, None, todo="Original")
    assert todo is not None
    drafts.save(
        database.settings.database, alice.id, Draft(TodoDraft("Mine"), todo.id, todo.version)
    )
    database.run(
        lambda s: todos.update_todo(
            s,
            owner_id=alice.id,
            todo_id=todo.id,
            version=todo.version,
            title="Theirs",
            description=None,
        )
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodoForm)
        assert app.screen.query_one(".form-title", Static).render().plain == "Edit todo"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "ConflictDialog"


async def test_a_restored_new_todo_whose_first_save_landed_is_saved_once(
    database: Database, tmp_path: Path
) -> None:
    """The draft keeps the form's client key: the first save, which landed with the text it
    had then, is found and gets the draft's text; no second todo."""
    alice = register(database)
    database.run(
        lambda s: todos.add_todo(s, owner_id=alice.id, title="Call the", client_key="k" * 32)
    )
    drafts.save(
        database.settings.database, alice.id, Draft(TodoDraft("Call the bank"), client_key="k" * 32)
    )
    app = make_app(database.settings, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await log_in(pilot, EMAIL, PASSWORD)
        await eventually(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TodoForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_name(pilot) == "TodoListScreen"
    assert [(t.title, t.version) for t in stored(database, alice)] == [("Call the bank", 2)]


def test_a_new_todos_draft_carries_its_client_key() -> None:
    database = url("sqlite:///keyed-draft.db")
    draft = Draft(TodoDraft("New"), client_key="abc")
    drafts.save(database, 1, draft)
    assert drafts.load(database, 1) == draft
    drafts.draft_path(database, 1).write_text('{"title": "t", "description": "", "client_key": 5}')
    assert drafts.load(database, 1) is None
