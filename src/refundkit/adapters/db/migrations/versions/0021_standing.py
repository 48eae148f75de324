"""Standing (issue 19): defect exclusions a seller asks for, signal clearances an agent
makes, used-return reports a seller makes; an order's extra hold of escrow
(``orders.escrow_hold_days``, 0 for every order placed before).

Revision ID: 0021_standing
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0021_standing"
down_revision = "0020"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.add_column("orders", sa.Column("escrow_hold_days", sa.Integer, nullable=False,
                               server_default="0"))  # fmt: skip
    op.create_table(
        "defect_exclusions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("seller_id", sa.String(40), _fk("defect_exclusions", "seller_id", "users"),
                  nullable=False),
        sa.Column("order_id", sa.String(40), _fk("defect_exclusions", "order_id", "orders"),
                  nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(40)),
        sa.Column("note", sa.String(2000)),
        sa.Column("decided_at", UTCDateTime()),
        sa.UniqueConstraint("order_id", name="uq_defect_exclusions_order_id"),
    )  # fmt: skip
    op.create_index("ix_defect_exclusions_seller_id", "defect_exclusions", ["seller_id"])
    op.create_table(
        "signal_clearances",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("buyer_id", sa.String(40), _fk("signal_clearances", "buyer_id", "users"),
                  nullable=False),
        sa.Column("signal", sa.String(40), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("cleared_by", sa.String(40), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=False),
    )  # fmt: skip
    op.create_index("ix_signal_clearances_buyer_id", "signal_clearances", ["buyer_id"])
    op.create_table(
        "used_return_reports",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("dispute_id", sa.String(40), _fk("used_return_reports", "dispute_id",
                  "disputes"), nullable=False),
        sa.Column("buyer_id", sa.String(40), _fk("used_return_reports", "buyer_id", "users"),
                  nullable=False),
        sa.Column("condition", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("deduction", sa.BigInteger, nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(40)),
        sa.Column("decision_note", sa.String(2000)),
        sa.Column("decided_at", UTCDateTime()),
        sa.UniqueConstraint("dispute_id", name="uq_used_return_reports_dispute_id"),
    )  # fmt: skip
    op.create_index("ix_used_return_reports_buyer_id", "used_return_reports", ["buyer_id"])


def downgrade() -> None:
    op.drop_index("ix_used_return_reports_buyer_id", table_name="used_return_reports")
    op.drop_table("used_return_reports")
    op.drop_index("ix_signal_clearances_buyer_id", table_name="signal_clearances")
    op.drop_table("signal_clearances")
    op.drop_index("ix_defect_exclusions_seller_id", table_name="defect_exclusions")
    op.drop_table("defect_exclusions")
    op.drop_column("orders", "escrow_hold_days")
