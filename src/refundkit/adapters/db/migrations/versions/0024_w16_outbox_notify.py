"""PostgreSQL tells the workers when events are written: a statement-level trigger on
``events`` sends ``NOTIFY refundkit_outbox`` (delivered when the transaction commits, once
per transaction however many events it wrote), so the relay wakes on new rows instead of
sleeping a fixed interval. SQLite has no such thing: its workers poll briefly.

Revision ID: 0024_outbox_notify
Revises: 0023_queue
"""

from __future__ import annotations

from alembic import op

revision = "0024_outbox_notify"
down_revision = "0023_queue"
branch_labels = None
depends_on = None

CHANNEL = "refundkit_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION refundkit_outbox_notify() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER events_notify_outbox AFTER INSERT ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION refundkit_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS events_notify_outbox ON events")
    op.execute("DROP FUNCTION IF EXISTS refundkit_outbox_notify()")
