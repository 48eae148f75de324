"""Several disputes at once on one order (issue 18): ``orders.dispute_holds`` lists the
disputes holding the order and what escrow keeps back for each, per line then shipping
(null: the whole order). An order held by a dispute before gets that dispute holding the
whole order, as it did; ``open_dispute_id`` stays, the latest of them.

Revision ID: 0025_holds
Revises: 0024_outbox_notify
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_holds"
down_revision = "0024_outbox_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite's batch copy of ``orders`` would trip the foreign keys.
    op.add_column("orders", sa.Column("dispute_holds", sa.JSON, nullable=True))
    orders = sa.table("orders", sa.column("id", sa.String), sa.column("open_dispute_id", sa.String),
                      sa.column("dispute_holds", sa.JSON))  # fmt: skip
    conn = op.get_bind()
    held = conn.execute(
        sa.select(orders.c.id, orders.c.open_dispute_id).where(
            orders.c.open_dispute_id.is_not(None)
        )
    ).all()
    for order_id, dispute_id in held:
        holding = [[dispute_id, None]]
        conn.execute(orders.update().where(orders.c.id == order_id).values(dispute_holds=holding))


def downgrade() -> None:
    op.drop_column("orders", "dispute_holds")
