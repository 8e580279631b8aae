"""add a version to todo

Every update and delete names the version the user saw, so a change made in another
terminal is never silently overwritten. Existing rows start at version 1.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = (
    "Adds a version number to every todo, so that edits made elsewhere are never overwritten."
)


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table rewrite on PostgreSQL, no copy on SQLite.
    op.add_column(
        "todo",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite >= 3.35): a batch-mode table copy would lose the CHECKs.
    op.drop_column("todo", "version")
