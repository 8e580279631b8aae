"""create user and todo

Revision ID: 0001
Revises:
Create Date: 2026-11-22 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = "Creates the tables that hold accounts and their todos."


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _length_checks(*limits: tuple[str, str, int]) -> list[sa.CheckConstraint]:
    # SQLite ignores varchar lengths: enforce PostgreSQL's limits there with CHECKs.
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [
        sa.CheckConstraint(f"length({column}) <= {limit}", name=op.f(name))
        for name, column, limit in limits
    ]


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("user_pkey")),
        *_length_checks(
            ("ck_user_email_length", "email", 255),
            ("ck_user_hashed_password_length", "hashed_password", 255),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("idx_user_email_unique", "user", ["email"], unique=True)
    op.create_table(
        "todo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_completed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("todo_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("todo_pkey")),
        *_length_checks(("ck_todo_title_length", "title", 200)),
        sqlite_autoincrement=True,
    )
    op.create_index("idx_todo_user_id", "todo", ["user_id"])


def downgrade() -> None:
    op.drop_index("idx_todo_user_id", table_name="todo")
    op.drop_table("todo")
    op.drop_index("idx_user_email_unique", table_name="user")
    op.drop_table("user")
