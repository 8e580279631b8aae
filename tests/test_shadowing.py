"""No screen or widget of todo-tui hides one of Textual's own attributes.

A reactive string called `query` on a widget once hid `DOMNode.query()`, and Textual's
double-click select-all crashed calling it. Every class in `todo_tui.screens`,
`todo_tui.widgets` (and the app) is walked: a name it defines that a Textual base already
defines must be a real override, not an accident.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from types import FunctionType

import pytest
from textual.dom import DOMNode

import todo_tui.screens
import todo_tui.widgets
from todo_tui.app import TodoApp

# Methods todo-tui means to override: Textual calls them as hooks.
METHOD_OVERRIDES = frozenset(
    {
        "allow_focus",
        "check_action",
        "compose",
        "get_system_commands",
        "notify_style_update",
        "on_click",
        "on_event",
        "on_mount",
        "on_resize",
        "on_unmount",
        "render_line",
    }
)
# One class's own: widgets/header.py replaces Textual's Header mount handler with a guarded one.
CLASS_OVERRIDES = frozenset({("Header", "_on_mount")})


def our_classes() -> list[type[DOMNode]]:
    found: set[type[DOMNode]] = {TodoApp}
    for package in (todo_tui.screens, todo_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, DOMNode) and cls.__module__ == module.__name__:
                    found.add(cls)
    return sorted(found, key=lambda cls: cls.__qualname__)


def textual_bases(cls: type) -> list[type]:
    return [base for base in cls.__mro__ if base.__module__.split(".")[0] == "textual"]


def framework_written(base: type) -> set[str]:
    """What Textual's own metaclass machinery writes into every subclass (`_reactives`…)."""
    return set(vars(type("Probe", (base,), {"__module__": __name__})))


def textual_attribute(cls: type, name: str) -> object:
    for base in textual_bases(cls):
        if name in vars(base):
            return vars(base)[name]
    return None


def _positional(function: FunctionType) -> tuple[int, int, bool]:
    """(required, accepted, takes *args) positional parameters, `self` excluded."""
    parameters = list(inspect.signature(function).parameters.values())[1:]
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in parameters if p.kind in kinds]
    required = sum(p.default is inspect.Parameter.empty for p in positional)
    varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    return required, len(positional), varargs


def compatible(ours: object, theirs: object) -> bool:
    """Ours can stand wherever Textual calls theirs: no more required, no fewer accepted."""
    if not (isinstance(ours, FunctionType) and isinstance(theirs, FunctionType)):
        return False
    our_required, our_accepted, our_varargs = _positional(ours)
    their_required, their_accepted, _ = _positional(theirs)
    return our_required <= their_required and (our_varargs or our_accepted >= their_accepted)


def problem(cls: type, name: str, ours: object) -> str | None:
    theirs = textual_attribute(cls, name)
    if theirs is None and not any(name in vars(base) for base in textual_bases(cls)):
        return None
    where = next(base.__name__ for base in textual_bases(cls) if name in vars(base))
    if name.isupper():  # Textual's configuration: BINDINGS, CSS, DEFAULT_CSS, TITLE…
        if callable(ours) or callable(theirs) or hasattr(theirs, "__get__"):
            return f"{name} is configuration on {where}, not a {type(ours).__name__}"
        return None
    if isinstance(theirs, FunctionType):
        if not isinstance(ours, FunctionType):
            return f"{name} ({type(ours).__name__}) hides the method {where}.{name}()"
        if name not in METHOD_OVERRIDES and (cls.__name__, name) not in CLASS_OVERRIDES:
            return f"{name}() hides {where}.{name}() (not an intended override)"
        if not compatible(ours, theirs):
            return f"{name} overrides {where}.{name}() with an incompatible signature"
        return None
    return f"{name} ({type(ours).__name__}) hides {where}.{name} ({type(theirs).__name__})"


def assigned_on_self(cls: type) -> set[str]:
    """Names every method of `cls` assigns as `self.<name> = …`."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for leaf in target.elts if isinstance(target, ast.Tuple | ast.List) else [target]:
                if (
                    isinstance(leaf, ast.Attribute)
                    and isinstance(leaf.value, ast.Name)
                    and leaf.value.id == "self"
                ):
                    names.add(leaf.attr)
    return names


CLASSES = our_classes()


def test_the_walk_finds_every_screen_and_widget():
    names = {cls.__name__ for cls in CLASSES}
    assert {"TodoApp", "TodoTable", "TodoForm", "TodoListScreen", "ConfirmDialog"} <= names
    assert len(names) >= 10


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_no_class_attribute_shadows_textual(cls):
    written = framework_written(textual_bases(cls)[0])
    problems = [
        found
        for name, value in vars(cls).items()
        if not (name.startswith("__") and name.endswith("__")) and name not in written
        if (found := problem(cls, name, value))
    ]
    assert problems == [], f"{cls.__name__}: {problems}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_no_instance_attribute_replaces_a_textual_method(cls):
    # Setting a Textual property or reactive (`self.sub_title = …`) is using it; setting
    # a name that is a Textual method replaces the method on that instance.
    hidden = [
        name
        for name in sorted(assigned_on_self(cls))
        if callable(theirs := textual_attribute(cls, name)) and not hasattr(theirs, "__set__")
    ]
    assert hidden == [], f"{cls.__name__} assigns over Textual methods: {hidden}"


def test_the_checks_catch_the_accidents_they_exist_for():
    from textual.widget import Widget

    class Accidental(Widget):
        query = "a search string"  # the crash of a double click

        def remove(self, todo_id: int) -> None:  # Widget.remove() takes no todo
            pass

        def action_toggle(self) -> None:  # DOMNode.action_toggle(attribute_name)
            pass

        def compose(self):  # a real override
            yield from ()

    assert problem(Accidental, "query", Accidental.query)
    assert problem(Accidental, "remove", vars(Accidental)["remove"])
    assert problem(Accidental, "action_toggle", vars(Accidental)["action_toggle"])
    assert problem(Accidental, "compose", vars(Accidental)["compose"]) is None
    assert problem(Accidental, "BINDINGS", []) is None
    assert problem(Accidental, "DEFAULT_CSS", lambda: "") is not None

    class Assigning(Widget):
        def on_mount(self) -> None:
            self.refresh = None  # replaces a method
            self.display = False  # uses a property
            self.query_one("#x").display = False  # sets another widget's property

    assert assigned_on_self(Assigning) == {"refresh", "display"}
