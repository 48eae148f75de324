"""Orders with their lines, protection extensions and carrier tracking events."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, Money, metadata
from refundkit.adapters.db.tables.base import ts as _ts

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("buyer_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("seller_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("buyer_country", sa.String(2), nullable=False),
    sa.Column("seller_country", sa.String(2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("shipping_fee", Money, nullable=False),
    sa.Column("payment_method", sa.String(16), nullable=False),
    sa.Column("ship_to_country", sa.String(2), nullable=False),
    sa.Column("ship_to_city", sa.String(200), nullable=False),
    sa.Column("ship_to_postcode", sa.String(32)),
    sa.Column("promised_delivery_days", sa.Integer, nullable=False),
    sa.Column("handling_days", sa.Integer, nullable=False),
    sa.Column("policy_version", sa.String(64), sa.ForeignKey("policies.version"), nullable=False),
    sa.Column("status", sa.String(24), nullable=False, index=True),
    _ts("created_at", False),
    _ts("pay_by"),
    _ts("free_cancel_until"),
    _ts("ship_by"),
    _ts("cancel_respond_by"),
    _ts("delivery_deadline"),
    _ts("dispute_opens_at"),
    _ts("dispute_closes_at"),
    sa.Column("paid_amount", Money, nullable=False),
    sa.Column("refunded_amount", Money, nullable=False),
    sa.Column("released_amount", Money, nullable=False),
    sa.Column("commission_amount", Money, nullable=False),
    sa.Column("clawed_back_amount", Money, nullable=False, server_default="0"),
    sa.Column("shipping_refunded", Money, nullable=False, server_default="0"),
    sa.Column("charged_back_amount", Money, nullable=False, server_default="0"),
    sa.Column("charged_back_from_escrow", Money, nullable=False, server_default="0"),
    sa.Column("advanced_amount", Money, nullable=False, server_default="0"),
    sa.Column("open_chargeback_id", Id),
    sa.Column("payment_reference", sa.String(200)),
    _ts("paid_at"),
    _ts("cancel_requested_at"),
    sa.Column("cancel_reason", sa.String(1000)),
    _ts("cancelled_at"),
    _ts("shipped_at"),
    sa.Column("carrier", sa.String(100)),
    sa.Column("tracking_number", sa.String(100)),
    _ts("delivered_at"),
    _ts("confirmed_at"),
    _ts("completed_at"),
    _ts("released_at"),
    sa.Column("extension_days_granted", sa.Integer, nullable=False),
    sa.Column("escrow_hold_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("open_dispute_id", Id),
    sa.Column("dispute_holds", sa.JSON),
    sa.Column("tracking_flags", sa.JSON),
    # What was refunded of each line, by position (null: nothing); shipping's is above.
    sa.Column("line_refunds", sa.JSON(none_as_null=True)),
    sa.Column("version", sa.Integer, nullable=False),
    sa.CheckConstraint("refunded_amount <= paid_amount", name="refunds_within_paid"),
    sa.CheckConstraint(
        "refunded_amount - clawed_back_amount + released_amount <= paid_amount",
        name="escrow_not_negative",
    ),
    sa.CheckConstraint(
        "clawed_back_amount >= 0 AND clawed_back_amount <= refunded_amount",
        name="clawback_within_refunds",
    ),
    sa.Index("ix_orders_buyer", "buyer_id", "id"),
    sa.Index("ix_orders_seller", "seller_id", "id"),
    sa.Index("ix_orders_tracking", "carrier", "tracking_number"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(100), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", Money, nullable=False),
    sa.Column("item_id", Id, nullable=False),
    sa.Column("cancelled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("category", sa.String(64)),
    sa.UniqueConstraint("order_id", "item_id", name="uq_order_lines_order_id_item_id"),
)

parcels = sa.Table(
    "parcels",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("carrier", sa.String(100), nullable=False),
    sa.Column("tracking_number", sa.String(100), nullable=False),
    _ts("shipped_at", False),
    _ts("delivery_deadline", False),
    _ts("delivered_at"),
    sa.Column("tracking_flags", sa.JSON),
    sa.Index("ix_parcels_tracking", "carrier", "tracking_number"),
)

parcel_lines = sa.Table(
    "parcel_lines",
    metadata,
    sa.Column("parcel_id", Id, sa.ForeignKey("parcels.id"), primary_key=True),
    sa.Column("item_id", Id, primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
)

protection_extensions = sa.Table(
    "protection_extensions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("requested_at", False),
    _ts("respond_by", False),
    _ts("decided_at"),
)

tracking_events = sa.Table(
    "tracking_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("carrier", sa.String(100), nullable=False),
    sa.Column("tracking_number", sa.String(100), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("city", sa.String(200), nullable=False),
    sa.Column("postcode", sa.String(32)),
    _ts("occurred_at", False),
    sa.Column("description", sa.String(1000)),
    _ts("received_at", False),
    sa.UniqueConstraint("carrier", "tracking_number", "occurred_at", "status",
                        name="uq_tracking_events_scan"),
)  # fmt: skip
