"""The tables, as the migrations leave them at head. Alembic owns the schema; this module
only describes it (for queries, and for `alembic check`, which proves the two agree).

SQLModel resolves relationship annotations at runtime: no `from __future__ import annotations`,
and `Optional["User"]` rather than `"User | None"`.
"""

from datetime import UTC, date, datetime, time
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from todo_tui.validation import EMAIL_MAX, TAG_NAME_MAX, TITLE_MAX

# The names PostgreSQL itself would choose, so the catalog matches the specification.
NAMING_CONVENTION = {
    "ix": "idx_%(table_name)s_%(column_0_N_name)s",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

PASSWORD_HASH_MAX = 255
CLIENT_KEY_MAX = 64
TOKEN_HASH_LENGTH = 64  # sha256, in hex
SESSION_LABEL_MAX = 200


class UTCDateTime(sa.TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite (no time zones) UTC text. Always aware UTC in Python."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: sa.Dialect, coltype: object):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite's text ("2026-03-01 09:30:00[.123456]"), read by the C parser: a long list
        # reads three per todo, and the generic one costs twice as much.
        def process(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)

        return process

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _length_check(column: str, limit: int) -> sa.CheckConstraint:
    # SQLite ignores varchar lengths; PostgreSQL enforces them itself and gets no CHECK.
    check = sa.CheckConstraint(f"length({column}) <= {limit}", name=f"{column}_length")
    return check.ddl_if(dialect="sqlite")


def _timestamp_column(*, moves_on_update: bool = False) -> sa.Column:
    return sa.Column(
        UTCDateTime(),
        nullable=False,
        server_default=sa.func.now(),
        onupdate=sa.func.now() if moves_on_update else None,
    )


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (
        sa.Index("idx_user_email_unique", "email", unique=True),
        _length_check("email", EMAIL_MAX),
        _length_check("hashed_password", PASSWORD_HASH_MAX),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=EMAIL_MAX)
    hashed_password: str = Field(max_length=PASSWORD_HASH_MAX)
    created_at: datetime | None = Field(default=None, sa_column=_timestamp_column())
    updated_at: datetime | None = Field(
        default=None, sa_column=_timestamp_column(moves_on_update=True)
    )

    # passive_deletes: the database's ON DELETE CASCADE removes the todos in one statement.
    todos: list["Todo"] = Relationship(
        back_populates="owner", cascade_delete=True, passive_deletes=True
    )


class Todo(SQLModel, table=True):
    __tablename__ = "todo"
    __table_args__ = (
        sa.Index("idx_todo_user_id", "user_id"),
        sa.Index("idx_todo_user_id_client_key_unique", "user_id", "client_key", unique=True),
        sa.Index("idx_todo_user_id_due_date", "user_id", "due_date"),
        _length_check("title", TITLE_MAX),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name="priority_range"),
        sa.CheckConstraint("due_time IS NULL OR due_date IS NOT NULL", name="due_time_needs_date"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    description: str | None = Field(default=None, sa_type=sa.Text)
    is_completed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # Every update and delete is conditional on the version the user saw (see todos.py).
    version: int = Field(default=1, sa_column_kwargs={"server_default": sa.text("1")})
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    created_at: datetime | None = Field(default=None, sa_column=_timestamp_column())
    updated_at: datetime | None = Field(
        default=None, sa_column=_timestamp_column(moves_on_update=True)
    )
    # Made by the client for each new todo: a retried insert finds its first attempt.
    client_key: str | None = Field(default=None, max_length=CLIENT_KEY_MAX)
    # Floating, as iCalendar's DUE;VALUE=DATE: a calendar date and a wall-clock time.
    due_date: date | None = Field(default=None)
    due_time: time | None = Field(default=None)
    # 0 none, 1 low, 2 medium, 3 high.
    priority: int = Field(
        default=0, sa_type=sa.SmallInteger, sa_column_kwargs={"server_default": sa.text("0")}
    )
    # Set when the todo is marked done, cleared when it is reopened.
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    owner: Optional["User"] = Relationship(back_populates="todos")


class Tag(SQLModel, table=True):
    """A user's tag; its name is unique per user whatever its case."""

    __tablename__ = "tag"
    __table_args__ = (
        sa.Index("idx_tag_user_name_unique", "user_id", sa.text("lower(name)"), unique=True),
        _length_check("name", TAG_NAME_MAX),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    name: str = Field(max_length=TAG_NAME_MAX)
    created_at: datetime | None = Field(default=None, sa_column=_timestamp_column())


class TodoTag(SQLModel, table=True):
    __tablename__ = "todo_tag"
    __table_args__ = (sa.Index("idx_todo_tag_tag_id", "tag_id"),)

    todo_id: int = Field(
        foreign_key="todo.id",
        ondelete="CASCADE",
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    tag_id: int = Field(
        foreign_key="tag.id",
        ondelete="CASCADE",
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )


class TodoChangeCounter(SQLModel, table=True):
    """Moved by triggers on every change of an owner's todos (migration 0004): what the
    change feed polls where it cannot LISTEN."""

    __tablename__ = "todo_change_counter"

    user_id: int = Field(
        foreign_key="user.id",
        ondelete="CASCADE",
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    counter: int = Field(
        default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": sa.text("0")}
    )


class LoginSession(SQLModel, table=True):
    """A log in kept on one device (migration 0005): only the sha256 of its token is stored,
    so a reader of the table cannot log in with what it holds."""

    __tablename__ = "login_session"
    __table_args__ = (
        sa.Index("idx_login_session_user_id", "user_id"),
        sa.Index("idx_login_session_token_hash_unique", "token_hash", unique=True),
        _length_check("token_hash", TOKEN_HASH_LENGTH),
        _length_check("label", SESSION_LABEL_MAX),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=TOKEN_HASH_LENGTH)
    label: str = Field(max_length=SESSION_LABEL_MAX)
    created_at: datetime | None = Field(default=None, sa_column=_timestamp_column())
    last_used_at: datetime | None = Field(default=None, sa_column=_timestamp_column())
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
