"""Payment providers: which provider executed each refund (its own id was already kept in
``psp_reference``, now indexed for the provider's webhooks), and the provider's events,
stored once by id.

Revision ID: 0015
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("psp", sa.String(16), nullable=True))
        batch.create_index("ix_refunds_psp_reference", ["psp_reference"])
    op.create_table(
        "psp_events",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("object_id", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("result", sa.String(500), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("psp_events")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_index("ix_refunds_psp_reference")
        batch.drop_column("psp")
