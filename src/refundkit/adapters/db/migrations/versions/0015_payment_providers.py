"""Payment providers: which provider executed each refund (its own id was already kept in
``psp_reference``, now indexed for the provider's webhooks), the provider's events, stored
once by id, and chargebacks (with what they took from each order).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0015"
down_revision = "0014"
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

    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("charged_back_amount", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("charged_back_from_escrow", sa.BigInteger, nullable=False,
                      server_default="0")
        )  # fmt: skip
        batch.add_column(sa.Column("open_chargeback_id", sa.String(40), nullable=True))
    op.create_table(
        "chargebacks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("psp", sa.String(16), nullable=False),
        sa.Column("psp_reference", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("fee", sa.BigInteger, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("funds_withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("counted", sa.BigInteger, nullable=False),
        sa.Column("recovered_from_seller", sa.BigInteger, nullable=False),
        sa.Column("borne_by_platform", sa.BigInteger, nullable=False),
        sa.Column("suspended_dispute_id", sa.String(40), nullable=True),
        sa.Column("evidence", sa.String(4000), nullable=True),
        sa.UniqueConstraint("psp", "psp_reference", name=op.f("uq_chargebacks_psp_reference")),
        sa.CheckConstraint(
            "amount > 0 AND fee >= 0 AND counted >= 0 AND counted <= amount",
            name=op.f("ck_chargebacks_amounts"),
        ),
    )
    op.create_index("ix_chargebacks_order_id", "chargebacks", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_chargebacks_order_id", "chargebacks")
    op.drop_table("chargebacks")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("open_chargeback_id")
        batch.drop_column("charged_back_from_escrow")
        batch.drop_column("charged_back_amount")
    op.drop_table("psp_events")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_index("ix_refunds_psp_reference")
        batch.drop_column("psp")
