"""Who bears a return's postage, and what it cost.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(
            sa.Column("return_postage", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("return_postage_payer", sa.String(8), nullable=True))
        batch.add_column(
            sa.Column("return_seller_label", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("return_seller_label")
        batch.drop_column("return_postage_payer")
        batch.drop_column("return_postage")
