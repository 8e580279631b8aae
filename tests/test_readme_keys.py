"""The README's Keys table is the bindings (bindings.py), generated: a binding added,
removed or given other keys fails here until the README says so. To update the table:
`python -m tests.test_readme_keys` prints it."""

from __future__ import annotations

from pathlib import Path

from todo_tui import bindings

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- keys: generated from todo_tui/bindings.py -->", "<!-- keys: end -->"
SHOWN_AS = {"question_mark": "?", "slash": "/", "number_sign": "#"}


def keys_of(binding) -> str:
    return " or ".join(f"`{SHOWN_AS.get(k, k)}`" for k in binding.key.split(","))


def table() -> str:
    lines = ["| Where | Key | Does | Binding id |", "|---|---|---|---|"]
    for group, binding in bindings.all_bindings():
        does = binding.tooltip or binding.description
        lines.append(f"| {bindings.GROUPS[group]} | {keys_of(binding)} | {does} | `{binding.id}` |")
    return "\n".join(lines)


def test_the_readme_keys_table_is_the_bindings():
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    written = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert written == table(), "run `python -m tests.test_readme_keys` and paste its table"


if __name__ == "__main__":
    print(START)
    print(table())
    print(END)
