"""Notifications (the mail outbox and log), and each event's object as it was.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("object", sa.JSON, nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=False),
        sa.Column("recipient_id", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("occasion", sa.String(100), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("order_id", sa.String(40)),
        sa.Column("dispute_id", sa.String(40)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(1000)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.UniqueConstraint("kind", "subject_id", "recipient_id", "occasion",
                            name="uq_notifications_once"),
    )  # fmt: skip
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_recipient", "notifications", ["recipient_id", "id"])
    op.create_index("ix_notifications_order", "notifications", ["order_id", "id"])


def downgrade() -> None:
    op.drop_table("notifications")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("object")
