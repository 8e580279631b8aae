"""due dates, priorities, completion times and tags

- `todo.due_date` (a calendar date) and `todo.due_time` (a wall-clock time, only with a
  date): floating, as iCalendar's `DUE;VALUE=DATE`, so "due Friday" is Friday wherever the
  user is.
- `todo.priority`: 0 none, 1 low, 2 medium, 3 high.
- `todo.completed_at`: when the todo was marked done (cleared when it is reopened); todos
  done before this revision get their `updated_at`.
- `tag` (names unique per owner whatever their case) and `todo_tag` linking them to todos.

Every column is a plain ADD COLUMN, its CHECK inline: no table copy, which on SQLite would
drop the triggers of 0004.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = (
    "Gives todos due dates (with an optional time), priorities, tags and the time they "
    "were done; todos already done get the time they were last changed."
)

TAG_NAME_MAX = 50

# On PostgreSQL the change counter (0004) moves once per statement, by the rows it changed,
# instead of once per row: a statement that writes n rows of a list updated its counter row
# n times, each update walking the versions the ones before it left (n² in all: 4 s for an
# import of 20,000 todos). The counts are the same as before.
COUNT_CHANGES = """
CREATE OR REPLACE FUNCTION todo_count_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- An update only: when the owner is being deleted, the row may be gone already.
        UPDATE todo_change_counter AS c SET counter = c.counter + changed.n
        FROM (SELECT user_id, count(*) AS n FROM old_rows GROUP BY user_id) AS changed
        WHERE c.user_id = changed.user_id;
    ELSE
        INSERT INTO todo_change_counter AS c (user_id, counter)
        SELECT user_id, count(*) FROM new_rows GROUP BY user_id
        ON CONFLICT (user_id) DO UPDATE SET counter = c.counter + excluded.counter;
    END IF;
    RETURN NULL;
END
$$
"""
# A trigger with transition tables handles one event: one per event, named as on SQLite.
COUNT_TRIGGERS = {
    "todo_count_insert": "AFTER INSERT ON todo REFERENCING NEW TABLE AS new_rows",
    "todo_count_update": "AFTER UPDATE ON todo REFERENCING NEW TABLE AS new_rows",
    "todo_count_delete": "AFTER DELETE ON todo REFERENCING OLD TABLE AS old_rows",
}
# 0004's, for the way back down.
COUNT_EACH_ROW = """
CREATE OR REPLACE FUNCTION todo_count_change() RETURNS trigger
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

PRIORITY_CHECK = "priority BETWEEN 0 AND 3"
DUE_TIME_CHECK = "due_time IS NULL OR due_date IS NOT NULL"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute("DROP TRIGGER todo_count_change ON todo")
        op.execute(COUNT_CHANGES)
        for name, when in COUNT_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                "EXECUTE FUNCTION todo_count_change()"
            )
    op.add_column("todo", sa.Column("due_date", sa.Date(), nullable=True))
    if sqlite:
        # SQLite adds a constraint only with its column, inline (the table keeps its triggers).
        op.execute(
            "ALTER TABLE todo ADD COLUMN due_time TIME "
            f"CONSTRAINT ck_todo_due_time_needs_date CHECK ({DUE_TIME_CHECK})"
        )
        op.execute(
            "ALTER TABLE todo ADD COLUMN priority SMALLINT DEFAULT 0 NOT NULL "
            f"CONSTRAINT ck_todo_priority_range CHECK ({PRIORITY_CHECK})"
        )
    else:
        op.add_column("todo", sa.Column("due_time", sa.Time(), nullable=True))
        op.add_column(
            "todo",
            sa.Column("priority", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        )
        op.create_check_constraint(op.f("ck_todo_due_time_needs_date"), "todo", DUE_TIME_CHECK)
        op.create_check_constraint(op.f("ck_todo_priority_range"), "todo", PRIORITY_CHECK)
    op.add_column("todo", sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("idx_todo_user_id_due_date", "todo", ["user_id", "due_date"])
    # A change of those todos like any other: the change counter (0004) moves with it.
    op.execute("UPDATE todo SET completed_at = updated_at WHERE is_completed")

    op.create_table(
        "tag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=TAG_NAME_MAX), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="tag_user_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="tag_pkey"),
        *(
            [sa.CheckConstraint(f"length(name) <= {TAG_NAME_MAX}", name=op.f("ck_tag_name_length"))]
            if sqlite
            else []
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "idx_tag_user_name_unique", "tag", ["user_id", sa.text("lower(name)")], unique=True
    )
    op.create_table(
        "todo_tag",
        sa.Column("todo_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["todo_id"], ["todo.id"], name="todo_tag_todo_id_fkey", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tag.id"], name="todo_tag_tag_id_fkey", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("todo_id", "tag_id", name="todo_tag_pkey"),
    )
    op.create_index("idx_todo_tag_tag_id", "todo_tag", ["tag_id"])


def downgrade() -> None:
    op.drop_index("idx_todo_tag_tag_id", table_name="todo_tag")
    op.drop_table("todo_tag")
    op.drop_index("idx_tag_user_name_unique", table_name="tag")
    op.drop_table("tag")
    op.drop_index("idx_todo_user_id_due_date", table_name="todo")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_todo_due_time_needs_date"), "todo", type_="check")
        op.drop_constraint(op.f("ck_todo_priority_range"), "todo", type_="check")
        for name in COUNT_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON todo")
        op.execute(COUNT_EACH_ROW)
        op.execute(
            "CREATE TRIGGER todo_count_change AFTER INSERT OR UPDATE OR DELETE ON todo "
            "FOR EACH ROW EXECUTE FUNCTION todo_count_change()"
        )
    # Plain DROP COLUMN (SQLite >= 3.35; a column's own CHECK goes with it): a batch-mode
    # table copy would lose the CHECKs and triggers of the table.
    for column in ("completed_at", "priority", "due_time", "due_date"):
        op.drop_column("todo", column)
