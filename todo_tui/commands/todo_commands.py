"""`todo-tui add`, `list`, `done`, `undone`, `edit`, `rm`: for the user logged in here.

Writes are version-checked like the app's: each todo is read (one statement for all the
IDs given), then written naming the version read, so a change made meanwhile elsewhere is
never overwritten (exit status 3, one sentence). Open terminals see each change like any
other (the database's triggers and change counter).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from todo_tui.commands.context import CommandFailed, fail, opened, session_user
from todo_tui.commands.status import (
    EXIT_BAD_INPUT,
    EXIT_NO_MATCH,
    EXIT_OK,
    EXIT_REFUSED,
    say_error,
)
from todo_tui.display import sanitize

if TYPE_CHECKING:
    from todo_tui.config import Settings
    from todo_tui.db import Database
    from todo_tui.records import TodoRecord


def run_todo_command(settings: Settings, args: argparse.Namespace) -> int:
    from todo_tui.faults import InvalidInput

    command: Callable[[Database, int, argparse.Namespace], int] = {
        "add": add,
        "list": list_command,
        "done": lambda d, o, a: set_done(d, o, a.ids, completed=True),
        "undone": lambda d, o, a: set_done(d, o, a.ids, completed=False),
        "edit": edit,
        "rm": remove,
    }[args.command]
    try:
        if args.command == "add":
            args.reading = read_text(" ".join(args.text))  # bad words: no database opened
        with opened(settings) as database:
            owner = session_user(database)
            return command(database, owner.id, args)
    except CommandFailed as failed:
        return failed.status
    except InvalidInput as refused:
        say_error(refused.message)
        return EXIT_BAD_INPUT


def _today() -> date:
    return date.today()


def read_text(text: str):
    """The quick-add reading of `text`; CommandFailed(2) for a problem in it."""
    from todo_tui.quickadd import read_quick_add

    reading = read_quick_add(text, _today())
    if reading.problems:
        raise fail(reading.problems[0], EXIT_BAD_INPUT)
    if not reading.title.strip():
        raise fail("A todo needs a title: words besides #tags, !priority and due:.", 2)
    return reading


def add(database: Database, owner_id: int, args: argparse.Namespace) -> int:
    from todo_tui import todos
    from todo_tui.quickadd import PRIORITY_NAMES
    from todo_tui.records import TodoDraft

    reading = args.reading
    draft = TodoDraft(
        title=reading.title,
        due="" if reading.due is None else reading.due.iso(),
        priority=PRIORITY_NAMES[reading.priority],
        tags=" ".join(reading.tags),
    )
    key = uuid.uuid4().hex  # one per run: a retry after a lost reply adds nothing
    added = database.run(
        lambda s: todos.add_todo(s, owner_id=owner_id, draft=draft, client_key=key), retry=True
    )
    if args.json:
        _print_json(added)
    else:
        print(f"Added {added.id}: {sanitize(reading.describe(_today()))}")
    return EXIT_OK


def _print_json(todo: TodoRecord) -> None:
    from todo_tui.transfer.items import todo_item

    print(json.dumps(todo_item(todo), ensure_ascii=False))


def list_command(database: Database, owner_id: int, args: argparse.Namespace) -> int:
    from todo_tui import todos
    from todo_tui.commands.listing import select, table

    completed = {"all": None, "done": True}.get(args.view, False)  # only what the view shows
    every = database.run(
        lambda s: todos.list_todos(s, owner_id=owner_id, completed=completed), retry=True
    )
    shown = select(every, view=args.view, tags=args.tag, search=args.search, today=_today())
    if args.json:
        from todo_tui.transfer.items import todo_item

        json.dump([todo_item(todo) for todo in shown], sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif shown:
        print(table(shown, today=_today(), colour=sys.stdout.isatty()))
    else:
        say_error(
            f"No todo matches ({args.view} view{', filtered' if args.tag or args.search else ''})."
        )
    return EXIT_OK if shown else EXIT_NO_MATCH


def _found(database: Database, owner_id: int, ids: list[int]) -> tuple[list[TodoRecord], bool]:
    """The caller's todos of `ids`, in the order given (each once), and whether every id
    was found (the others said, one sentence each)."""
    from todo_tui import todos

    held = database.run(lambda s: todos.list_by_ids(s, owner_id=owner_id, todo_ids=ids), retry=True)
    by_id = {todo.id: todo for todo in held}
    missing = [todo_id for todo_id in dict.fromkeys(ids) if todo_id not in by_id]
    for todo_id in missing:
        say_error(f"You have no todo {todo_id}.")
    return [by_id[todo_id] for todo_id in dict.fromkeys(ids) if todo_id in by_id], not missing


def _written(change: Callable[[], TodoRecord | None], todo: TodoRecord) -> TodoRecord | None:
    """Run the versioned write `change`; None (said in one sentence) for a conflict."""
    from todo_tui.todos import TodoConflict, TodoNotFound

    try:
        return change()
    except TodoNotFound:
        say_error(f"Todo {todo.id} was deleted meanwhile: nothing changed.")
    except TodoConflict:
        say_error(f"Todo {todo.id} was changed meanwhile elsewhere: nothing changed; look again.")
    return None


def _status(found_all: bool, conflicts: int) -> int:
    if conflicts:
        return EXIT_REFUSED
    return EXIT_OK if found_all else EXIT_NO_MATCH


def set_done(database: Database, owner_id: int, ids: list[int], *, completed: bool) -> int:
    from todo_tui import todos

    found, found_all = _found(database, owner_id, ids)
    conflicts = 0
    for todo in found:
        title = sanitize(todo.title)
        if todo.is_completed == completed:
            print(f"Already {'done' if completed else 'not done'} {todo.id}: {title}")
            continue

        def change(todo=todo) -> TodoRecord:
            return database.run(
                lambda s: todos.set_completed(
                    s, owner_id=owner_id, todo_id=todo.id, version=todo.version, completed=completed
                ),
                retry=True,
            )

        if _written(change, todo) is None:
            conflicts += 1
        else:
            print(f"{'Done' if completed else 'Not done'} {todo.id}: {title}")
    return _status(found_all, conflicts)


def remove(database: Database, owner_id: int, args: argparse.Namespace) -> int:
    from todo_tui import todos

    found, found_all = _found(database, owner_id, args.ids)
    conflicts = 0
    for todo in found:

        def change(todo=todo) -> TodoRecord:
            def delete(session) -> TodoRecord:
                try:
                    return todos.delete_todo(
                        session, owner_id=owner_id, todo_id=todo.id, version=todo.version
                    )
                except todos.TodoNotFound:
                    return todo  # gone: deleted meanwhile, or by the attempt whose reply was lost

            return database.run(delete, retry=True)

        if _written(change, todo) is None:
            conflicts += 1
        else:
            print(f"Deleted {todo.id}: {sanitize(todo.title)}")
    return _status(found_all, conflicts)


def edit(database: Database, owner_id: int, args: argparse.Namespace) -> int:
    from todo_tui import todos
    from todo_tui.records import TodoDraft

    if (
        args.title is None
        and args.due is None
        and args.priority is None
        and not (args.tag or args.untag)
    ):
        raise fail("Say what to change: --title, --due, --tag, --untag or --priority.", 2)
    found, _ = _found(database, owner_id, [args.id])
    if not found:
        return EXIT_NO_MATCH
    todo = found[0]
    draft = TodoDraft.of(todo)
    if args.title is not None:
        draft = replace(draft, title=args.title)
    if args.due is not None:
        draft = replace(draft, due=args.due)
    if args.priority is not None:
        draft = replace(draft, priority="" if args.priority == "none" else args.priority)
    if args.tag or args.untag:
        dropped = {tag.lstrip("#").casefold() for tag in args.untag}
        tags = [tag for tag in todo.tags if tag.casefold() not in dropped]
        tags += [tag.lstrip("#") for tag in args.tag]
        draft = replace(draft, tags=" ".join(tags))
    draft.stored(_today())  # InvalidInput (exit 2) before anything is written

    def change() -> TodoRecord:
        return database.run(
            lambda s: todos.update_todo(
                s,
                owner_id=owner_id,
                todo_id=todo.id,
                version=todo.version,
                draft=draft,
                seen_tags=todo.tags,
            ),
            retry=True,
        )

    if (edited := _written(change, todo)) is None:
        return EXIT_REFUSED
    from todo_tui.commands.listing import describe

    print(f"Edited {edited.id}: {describe(edited, _today())}")
    return EXIT_OK
