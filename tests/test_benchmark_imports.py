"""The benchmarks drive the app through todo_tui.testing, never through the tests' modules."""

from __future__ import annotations

import ast
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_benchmark_imports_the_tests() -> None:
    modules = sorted(BENCHMARKS.glob("*.py"))
    assert modules  # the benchmarks were found
    for path in modules:
        offending = {name for name in imported(path) if name.split(".")[0] == "tests"}
        assert not offending, f"{path.name} imports {sorted(offending)}"
