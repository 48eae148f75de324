"""Items have ids (``order_lines.item_id``, unique within their order) and cancelled units;
orders ship in parcels (``parcels``, ``parcel_lines``); a dispute may name its units
(``disputes.lines``, null: the whole order). Lines placed before get
``li_<order id>_<position>``; an order shipped before gets one parcel holding every unit,
with the order's carrier, number, deadline, delivery and flags.

Revision ID: 0020
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0020"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("item_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("cancelled", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE order_lines SET item_id = 'li_' || substr(order_id, 5) || '_' || "
        "CAST(position AS VARCHAR(8))"
    )
    with op.batch_alter_table("order_lines") as batch:
        batch.alter_column("item_id", existing_type=sa.String(40), nullable=False)
        batch.create_unique_constraint("uq_order_lines_order_id_item_id", ["order_id", "item_id"])
    with op.batch_alter_table("disputes") as batch:
        batch.add_column(sa.Column("lines", sa.JSON, nullable=True))
    op.create_table(
        "parcels",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_id", sa.String(40), sa.ForeignKey("orders.id",
                  name="fk_parcels_order_id_orders"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("carrier", sa.String(100), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("shipped_at", UTCDateTime(), nullable=False),
        sa.Column("delivery_deadline", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("tracking_flags", sa.JSON, nullable=True),
    )  # fmt: skip
    op.create_index("ix_parcels_order_id", "parcels", ["order_id"])
    op.create_index("ix_parcels_tracking", "parcels", ["carrier", "tracking_number"])
    op.create_table(
        "parcel_lines",
        sa.Column("parcel_id", sa.String(40), sa.ForeignKey("parcels.id",
                  name="fk_parcel_lines_parcel_id_parcels"), primary_key=True),
        sa.Column("item_id", sa.String(40), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
    )  # fmt: skip
    # Every order shipped before: one parcel of every unit. A delivery by confirmation only
    # shows on the order (confirmed_at), not as a scan on the parcel.
    op.execute(
        "INSERT INTO parcels (id, order_id, position, carrier, tracking_number, shipped_at, "
        "delivery_deadline, delivered_at, tracking_flags) "
        "SELECT 'pcl_' || substr(id, 5), id, 0, carrier, tracking_number, shipped_at, "
        "delivery_deadline, CASE WHEN confirmed_at IS NULL OR delivered_at < confirmed_at "
        "THEN delivered_at END, tracking_flags FROM orders "
        "WHERE shipped_at IS NOT NULL AND carrier IS NOT NULL AND tracking_number IS NOT NULL "
        "AND delivery_deadline IS NOT NULL"
    )
    op.execute(
        "INSERT INTO parcel_lines (parcel_id, item_id, quantity) "
        "SELECT p.id, l.item_id, l.quantity FROM parcels p "
        "JOIN order_lines l ON l.order_id = p.order_id"
    )


def downgrade() -> None:
    with op.batch_alter_table("disputes") as batch:
        batch.drop_column("lines")
    op.drop_table("parcel_lines")
    op.drop_index("ix_parcels_tracking", table_name="parcels")
    op.drop_index("ix_parcels_order_id", table_name="parcels")
    op.drop_table("parcels")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint("uq_order_lines_order_id_item_id", type_="unique")
        batch.drop_column("cancelled")
        batch.drop_column("item_id")
