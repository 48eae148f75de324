"""The request (or worker batch) that caused each event, webhook delivery and notification:
``X-Request-Id`` finds everything one request did.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLES = ("events", "webhook_deliveries", "notifications")


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row, so old processes keep running.
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("request_id", sa.String(128)))
    op.create_index("ix_events_request", "events", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_events_request", "events")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("request_id")
