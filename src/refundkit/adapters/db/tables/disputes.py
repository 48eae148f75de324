"""Disputes with their offers, messages, evidence (and its files), evidence requests and
appeals."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, Money, metadata
from refundkit.adapters.db.tables.base import ts as _ts

files = sa.Table(
    "files",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("owner_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("storage_name", sa.String(80), nullable=False, unique=True),
    sa.Column("display_name", sa.String(120), nullable=False),
    _ts("created_at", False),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("buyer_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("seller_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("status", sa.String(24), nullable=False, index=True),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("sub_reason", sa.String(64)),
    sa.Column("item_received", sa.Boolean, nullable=False),
    sa.Column("requested_refund", Money, nullable=False),
    sa.Column("return_goods", sa.Boolean, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    _ts("opened_at", False),
    _ts("respond_by"),
    _ts("escalate_at"),
    _ts("escalated_at"),
    _ts("agent_due_by"),
    sa.Column("outcome", sa.String(24)),
    sa.Column("refund_amount", Money),
    sa.Column("decided_by", sa.String(16)),
    sa.Column("rule", sa.String(80)),
    sa.Column("rationale", sa.Text),
    _ts("resolved_at"),
    _ts("appeal_until"),
    _ts("return_ship_by"),
    sa.Column("return_carrier", sa.String(100)),
    sa.Column("return_tracking_number", sa.String(100)),
    _ts("return_shipped_at"),
    _ts("return_delivered_at"),
    _ts("return_confirm_by"),
    _ts("fast_refunded_at"),
    sa.Column("return_postage", Money, nullable=False, server_default="0"),
    sa.Column("return_postage_payer", sa.String(8)),
    sa.Column("return_seller_label", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("lines", sa.JSON),
    sa.Column("refund_destination", sa.String(16), nullable=False, server_default="original"),
    sa.Column("compensation_credit", Money, nullable=False, server_default="0"),
    sa.Column("fast_refund_from_balance", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("advance", Money, nullable=False, server_default="0"),
    sa.Column("version", sa.Integer, nullable=False),
    # The agents' queue (escalated, oldest due first) read in index order: migration 0023_queue.
    sa.Index("ix_disputes_queue", "status", "agent_due_by", "id"),
)

dispute_offers = sa.Table(
    "dispute_offers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=False, index=True),
    sa.Column("by_role", sa.String(16), nullable=False),
    sa.Column("by_user", Id, nullable=False),
    sa.Column("refund_amount", Money, nullable=False),
    sa.Column("return_goods", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at", False),
)

dispute_messages = sa.Table(
    "dispute_messages",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=False, index=True),
    sa.Column("author_id", Id, nullable=False),
    sa.Column("author_role", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    _ts("created_at", False),
)

dispute_evidence = sa.Table(
    "dispute_evidence",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=True, index=True),
    sa.Column("file_id", Id, sa.ForeignKey("files.id"), nullable=False, unique=True),
    sa.Column("note", sa.String(1000), nullable=False),
    sa.Column("added_by", Id, nullable=False),
    sa.Column("added_role", sa.String(16), nullable=False),
    _ts("created_at", False),
)

evidence_requests = sa.Table(
    "evidence_requests",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=False, index=True),
    sa.Column("party", sa.String(16), nullable=False),
    sa.Column("requested_by", Id, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    _ts("due_by", False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at", False),
    _ts("answered_at"),
)

appeals = sa.Table(
    "appeals",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=False, index=True),
    sa.Column("by_role", sa.String(16), nullable=False),
    sa.Column("by_user", Id, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at", False),
    sa.UniqueConstraint("dispute_id", "by_role", name="uq_appeals_once_per_party"),
)
