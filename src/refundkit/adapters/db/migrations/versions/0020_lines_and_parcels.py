"""Items have ids (``order_lines.item_id``, unique within their order); lines placed before
get ``li_<order id>_<position>``.

Revision ID: 0020
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("item_id", sa.String(40), nullable=True))
    op.execute(
        "UPDATE order_lines SET item_id = 'li_' || substr(order_id, 5) || '_' || "
        "CAST(position AS VARCHAR(8))"
    )
    with op.batch_alter_table("order_lines") as batch:
        batch.alter_column("item_id", existing_type=sa.String(40), nullable=False)
        batch.create_unique_constraint("uq_order_lines_order_id_item_id", ["order_id", "item_id"])


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint("uq_order_lines_order_id_item_id", type_="unique")
        batch.drop_column("item_id")
