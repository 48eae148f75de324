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
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("destination", sa.String(16), nullable=False,
                                   server_default="original"))  # fmt: skip
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("refund_destination", sa.String(16), nullable=False,
                                   server_default="original"))  # fmt: skip
        batch.add_column(sa.Column("compensation_credit", sa.BigInteger, nullable=False,
                                   server_default="0"))  # fmt: skip
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("category", sa.String(64), nullable=True))
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
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("category")
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("compensation_credit")
        batch.drop_column("refund_destination")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("destination")
