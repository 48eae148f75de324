"""Store credit and returnless refunds (issue 19): where a refund went
(``refunds.destination``), the dispute's chosen destination and compensation paid
(``disputes.refund_destination``, ``disputes.compensation_credit``), an item's optional
``category`` and each seller's own returnless limits (``seller_returnless_rules``).

Revision ID: 0022_credit
Revises: 0021_standing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0022_credit"
down_revision = "0021_standing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refunds", sa.Column("destination", sa.String(16), nullable=False,
                               server_default="original"))  # fmt: skip
    op.add_column("disputes", sa.Column("refund_destination", sa.String(16), nullable=False,
                               server_default="original"))  # fmt: skip
    op.add_column("disputes", sa.Column("compensation_credit", sa.BigInteger, nullable=False,
                               server_default="0"))  # fmt: skip
    op.add_column("order_lines", sa.Column("category", sa.String(64), nullable=True))
    op.create_table(
        "seller_returnless_rules",
        sa.Column("seller_id", sa.String(40), sa.ForeignKey(
            "users.id", name="fk_seller_returnless_rules_seller_id_users"), nullable=False),
        sa.Column("max_price", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=True),
        sa.Column("categories", sa.JSON, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name="pk_seller_returnless_rules"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("seller_returnless_rules")
    op.drop_column("order_lines", "category")
    op.drop_column("disputes", "compensation_credit")
    op.drop_column("disputes", "refund_destination")
    op.drop_column("refunds", "destination")
