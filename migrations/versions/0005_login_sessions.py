"""login sessions: stay logged in, revocably

One row per device an account stays logged in on. The token itself lives only in a file on
that device; the row holds the sha256 of it, so a reader of this table cannot log in with
what it finds. Deleting a row (log out, revoke, a password change, deleting the account)
makes the token worthless at once. Nothing existing is changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = (
    "Lets you stay logged in on this computer, and see and end the places your account is "
    "logged in; existing accounts and todos are not changed."
)

TOKEN_HASH_LENGTH = 64
LABEL_MAX = 200


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
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=TOKEN_HASH_LENGTH), nullable=False),
        sa.Column("label", sa.String(length=LABEL_MAX), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_used_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("login_session_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("login_session_pkey")),
        *_length_checks(
            ("ck_login_session_token_hash_length", "token_hash", TOKEN_HASH_LENGTH),
            ("ck_login_session_label_length", "label", LABEL_MAX),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("idx_login_session_user_id", "login_session", ["user_id"])
    op.create_index(
        "idx_login_session_token_hash_unique", "login_session", ["token_hash"], unique=True
    )


def downgrade() -> None:
    op.drop_index("idx_login_session_token_hash_unique", table_name="login_session")
    op.drop_index("idx_login_session_user_id", table_name="login_session")
    op.drop_table("login_session")
