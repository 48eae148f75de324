"""The return of goods on a dispute: its deadlines and its shipment.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import refundkit.adapters.db.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TIMES = ("return_ship_by", "return_shipped_at", "return_delivered_at", "return_confirm_by")


def upgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        for name in _TIMES:
            batch.add_column(
                sa.Column(name, refundkit.adapters.db.tables.UTCDateTime(), nullable=True)
            )
        batch.add_column(sa.Column("return_carrier", sa.String(100), nullable=True))
        batch.add_column(sa.Column("return_tracking_number", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        for name in (*_TIMES, "return_carrier", "return_tracking_number"):
            batch.drop_column(name)
