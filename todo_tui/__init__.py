"""todo-tui: a terminal todo list on PostgreSQL or SQLite."""

__version__ = "0.2.0"  # pyproject.toml reads it; CHANGELOG.md names it
