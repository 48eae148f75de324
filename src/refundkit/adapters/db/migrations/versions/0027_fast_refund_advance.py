"""Fast Refund from the seller's balance first (issue 19, item 2): the dispute keeps
whether its seller's standing asked for it when it opened (``fast_refund_from_balance``)
and what the seller's balance advanced that escrow still owes back (``advance``); the
order sums its disputes' outstanding advances (``advanced_amount``, escrow keeps it); a
refund says how much of it the balance advanced (``advanced``) and for which dispute.
Every existing row takes zero / false / null: nothing was ever advanced.

Revision ID: 0027_fast_refund_advance
Revises: 0026_line_refunds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_fast_refund_advance"
down_revision = "0026_line_refunds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite's batch copy of ``orders`` / ``disputes`` would trip the
    # foreign keys.
    op.add_column("disputes", sa.Column("fast_refund_from_balance", sa.Boolean, nullable=False,
                                        server_default=sa.false()))  # fmt: skip
    op.add_column("disputes", sa.Column("advance", sa.BigInteger, nullable=False,
                                        server_default="0"))  # fmt: skip
    op.add_column("orders", sa.Column("advanced_amount", sa.BigInteger, nullable=False,
                                      server_default="0"))  # fmt: skip
    op.add_column("refunds", sa.Column("advanced", sa.BigInteger, nullable=False,
                                       server_default="0"))  # fmt: skip
    op.add_column("refunds", sa.Column("advance_dispute_id", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("refunds", "advance_dispute_id")
    op.drop_column("refunds", "advanced")
    op.drop_column("orders", "advanced_amount")
    op.drop_column("disputes", "advance")
    op.drop_column("disputes", "fast_refund_from_balance")
