"""Screens reach the app through `Host`, never by importing it: the app imports the screens,
and nothing under todo_tui/screens or todo_tui/widgets imports todo_tui.app, not even for
type hints. Every member of the app a screen uses is one `Host` names, and TodoApp has it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import todo_tui
from todo_tui.app import TodoApp
from todo_tui.config import load_settings
from todo_tui.screens.host import Host

PACKAGE = Path(todo_tui.__file__).parent
SCREENS_AND_WIDGETS = sorted(
    [*(PACKAGE / "screens").glob("*.py"), *(PACKAGE / "widgets").glob("*.py")]
)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (under TYPE_CHECKING, in a function),
    relative imports resolved; `from a import b` counts as `a` and as `a.b`."""
    package = ["todo_tui", path.parent.name]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def host_members() -> set[str]:
    members: set[str] = set()
    for cls in Host.__mro__:
        if cls is object or cls.__module__ == "typing":
            continue
        members.update(getattr(cls, "__annotations__", {}))
        members.update(name for name in vars(cls) if not name.startswith("_"))
    return members


def app_members_used(path: Path) -> set[str]:
    """The names a module reads from `self.app`."""
    used: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "app"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
        ):
            used.add(node.attr)
    return used


def test_the_reader_finds_an_import_of_the_app_in_every_spelling(tmp_path: Path) -> None:
    screens = tmp_path / "screens"
    screens.mkdir()
    spellings = {
        "from todo_tui.app import TodoApp": True,
        "import todo_tui.app": True,
        "from todo_tui import app": True,
        "from ..app import TodoApp": True,
        "from .. import app": True,
        "from todo_tui.application import X": False,
        "from .host import Host": False,
    }
    for line, imports_app in spellings.items():
        module = screens / "probe.py"
        module.write_text(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    {line}\n")
        assert ("todo_tui.app" in imported_modules(module)) is imports_app, line


@pytest.mark.parametrize("path", SCREENS_AND_WIDGETS, ids=lambda path: path.stem)
def test_no_screen_or_widget_imports_the_app(path: Path) -> None:
    imports = imported_modules(path)
    assert "todo_tui.app" not in imports, f"{path.name} imports todo_tui.app"


def test_the_screens_and_widgets_were_found() -> None:
    names = {path.stem for path in SCREENS_AND_WIDGETS}
    assert {"startup", "todo_list", "host", "todo_table"} <= names


@pytest.mark.parametrize("path", SCREENS_AND_WIDGETS, ids=lambda path: path.stem)
def test_screens_ask_the_app_only_for_what_host_names(path: Path) -> None:
    assert app_members_used(path) <= host_members()


def test_the_app_is_a_host(tmp_path: Path) -> None:
    app = TodoApp(load_settings(database_url=f"sqlite:///{tmp_path}/todo.db", environ={}))
    try:
        assert isinstance(app, Host)
        missing = {name for name in host_members() if not hasattr(app, name)}
        assert not missing
    finally:
        app.database_thread.stop()
        assert app.database_thread.join(5)
