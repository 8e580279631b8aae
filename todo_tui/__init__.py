"""todo-tui: a terminal todo list on PostgreSQL or SQLite."""

__version__ = "0.1.0"
