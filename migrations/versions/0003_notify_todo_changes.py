"""notify todo changes

PostgreSQL only: every insert, update and delete of a todo sends NOTIFY on the owner's
channel (todo_user_<user id>) with "<todo id>:<version>:<client>" ("<todo id>:deleted:
<client>"), where <client> is the writing app's `todo_tui.client` connection setting, so an
app can ignore its own changes. The payload never carries text. SQLite has no NOTIFY: the
app polls there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
# What it changes, in words for the person asked to upgrade.
description = (
    "Lets other open terminals see each change at once "
    "(PostgreSQL only: nothing changes on SQLite)."
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION todo_notify_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            client text := coalesce(current_setting('todo_tui.client', true), '');
        BEGIN
            IF TG_OP = 'DELETE' THEN
                PERFORM pg_notify(
                    'todo_user_' || OLD.user_id,
                    OLD.id || ':' || 'deleted' || ':' || client
                );
                RETURN OLD;
            END IF;
            PERFORM pg_notify(
                'todo_user_' || NEW.user_id, NEW.id || ':' || NEW.version || ':' || client
            );
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER todo_notify_change AFTER INSERT OR UPDATE OR DELETE ON todo "
        "FOR EACH ROW EXECUTE FUNCTION todo_notify_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER todo_notify_change ON todo")
    op.execute("DROP FUNCTION todo_notify_change()")
