"""todo-tui: a terminal todo list on PostgreSQL or SQLite."""

__version__ = "0.3.0"  # pyproject.toml reads it; CHANGELOG.md names it
