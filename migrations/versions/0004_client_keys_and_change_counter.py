"""client keys for new todos and a change counter per list

Two guarantees for writers on any network and any pooler:

- `todo.client_key`: the app makes a key for every new todo and sends it with the INSERT,
  unique per owner, so an insert retried after a lost reply finds the first attempt
  instead of adding a second copy. Imports use it as each item's stable key. Existing
  todos have none (NULL, which a unique index never compares equal).
- `todo_change_counter`: one row per owner whose `counter` the database moves on every
  insert, update and delete of their todos (triggers, on both databases). Where the app
  cannot LISTEN (SQLite, a transaction-mode pooler) it polls this one row: unlike a
  fingerprint of the rows, no sequence of edits can leave it where it was.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = (
    "Lets a save that is retried after a lost connection find its first attempt instead of "
    "adding a copy, and gives every list a change counter that other terminals check."
)

CLIENT_KEY_MAX = 64

POSTGRES_FUNCTION = """
CREATE FUNCTION todo_count_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- An update only: when the owner is being deleted, the row may be gone already.
        UPDATE todo_change_counter SET counter = counter + 1 WHERE user_id = OLD.user_id;
        RETURN OLD;
    END IF;
    INSERT INTO todo_change_counter AS c (user_id, counter) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET counter = c.counter + 1;
    RETURN NEW;
END
$$
"""

SQLITE_UPSERT = (
    "INSERT INTO todo_change_counter (user_id, counter) VALUES (NEW.user_id, 1) "
    "ON CONFLICT (user_id) DO UPDATE SET counter = counter + 1"
)
SQLITE_TRIGGERS = {
    "todo_count_insert": f"AFTER INSERT ON todo BEGIN {SQLITE_UPSERT}; END",
    "todo_count_update": f"AFTER UPDATE ON todo BEGIN {SQLITE_UPSERT}; END",
    "todo_count_delete": (
        "AFTER DELETE ON todo BEGIN UPDATE todo_change_counter SET counter = counter + 1 "
        "WHERE user_id = OLD.user_id; END"
    ),
}


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default): no table rewrite, and on SQLite no batch
    # copy, which would drop the table's triggers.
    op.add_column("todo", sa.Column("client_key", sa.String(CLIENT_KEY_MAX), nullable=True))
    op.create_index(
        "idx_todo_user_id_client_key_unique", "todo", ["user_id", "client_key"], unique=True
    )
    op.create_table(
        "todo_change_counter",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("counter", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name="todo_change_counter_user_id_fkey",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name="todo_change_counter_pkey"),
    )
    op.execute('INSERT INTO todo_change_counter (user_id, counter) SELECT id, 0 FROM "user"')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER todo_count_change AFTER INSERT OR UPDATE OR DELETE ON todo "
            "FOR EACH ROW EXECUTE FUNCTION todo_count_change()"
        )
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER todo_count_change ON todo")
        op.execute("DROP FUNCTION todo_count_change()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("todo_change_counter")
    op.drop_index("idx_todo_user_id_client_key_unique", table_name="todo")
    # A plain DROP COLUMN (SQLite >= 3.35): a batch-mode table copy would lose the CHECKs.
    op.drop_column("todo", "client_key")
