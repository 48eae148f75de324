"""What each refund took from each order line (and the shipping fee).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("refunded", sa.BigInteger, nullable=False, server_default="0"))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("shipping_refunded", sa.BigInteger, nullable=False, server_default="0")
        )
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("line_amounts", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("line_amounts")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_refunded")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("refunded")
