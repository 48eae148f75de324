"""Refunds after release: what was clawed back from the seller, per order and per refund.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OLD_ESCROW_RULE = "refunded_amount + released_amount <= paid_amount"
_NEW_ESCROW_RULE = "refunded_amount - clawed_back_amount + released_amount <= paid_amount"


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("clawed_back_amount", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.drop_constraint(op.f("ck_orders_escrow_not_negative"), type_="check")
        batch.create_check_constraint(op.f("ck_orders_escrow_not_negative"), _NEW_ESCROW_RULE)
        batch.create_check_constraint(
            op.f("ck_orders_clawback_within_refunds"),
            "clawed_back_amount >= 0 AND clawed_back_amount <= refunded_amount",
        )
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(
            sa.Column("clawback_amount", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("commission_back", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.create_check_constraint(
            op.f("ck_refunds_clawback_within_refund"),
            "commission_back >= 0 AND commission_back <= clawback_amount "
            "AND clawback_amount <= amount",
        )


def downgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.drop_constraint(op.f("ck_refunds_clawback_within_refund"), type_="check")
        batch.drop_column("commission_back")
        batch.drop_column("clawback_amount")
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("ck_orders_clawback_within_refunds"), type_="check")
        batch.drop_constraint(op.f("ck_orders_escrow_not_negative"), type_="check")
        batch.create_check_constraint(op.f("ck_orders_escrow_not_negative"), _OLD_ESCROW_RULE)
        batch.drop_column("clawed_back_amount")
