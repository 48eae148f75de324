"""What was refunded of each line moves onto the order row (issue 16): ``orders.line_refunds``
lists it by line position (null: nothing refunded of any line), beside ``shipping_refunded``,
so a refund writes the order in one UPDATE instead of the order and its lines in two.
``order_lines.refunded`` goes.

Revision ID: 0026_line_refunds
Revises: 0025_holds
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0026_line_refunds"
down_revision = "0025_holds"
branch_labels = None
depends_on = None

_orders = sa.table(
    "orders", sa.column("id", sa.String), sa.column("line_refunds", sa.JSON(none_as_null=True))
)
_lines = sa.table(
    "order_lines",
    sa.column("order_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("refunded", sa.BigInteger),
)


def upgrade() -> None:
    # Plain ADD and DROP COLUMN: SQLite's batch copy of ``orders`` would trip the foreign keys.
    op.add_column("orders", sa.Column("line_refunds", sa.JSON, nullable=True))
    conn = op.get_bind()
    refunded: dict[str, list[int]] = defaultdict(list)
    touched = sa.select(_lines.c.order_id).where(_lines.c.refunded != 0)
    for order_id, amount in conn.execute(
        sa.select(_lines.c.order_id, _lines.c.refunded)
        .where(_lines.c.order_id.in_(touched.scalar_subquery()))
        .order_by(_lines.c.order_id, _lines.c.position)
    ):
        refunded[order_id].append(int(amount))
    for order_id, amounts in refunded.items():
        conn.execute(_orders.update().where(_orders.c.id == order_id)
                     .values(line_refunds=amounts))  # fmt: skip
    op.drop_column("order_lines", "refunded")


def downgrade() -> None:
    op.add_column(
        "order_lines", sa.Column("refunded", sa.BigInteger, nullable=False, server_default="0")
    )
    conn = op.get_bind()
    found = conn.execute(
        sa.select(_orders.c.id, _orders.c.line_refunds).where(_orders.c.line_refunds.is_not(None))
    ).all()
    for order_id, amounts in found:
        for position, amount in enumerate(amounts or []):
            conn.execute(_lines.update()
                         .where(_lines.c.order_id == order_id, _lines.c.position == position)
                         .values(refunded=amount))  # fmt: skip
    op.drop_column("orders", "line_refunds")
