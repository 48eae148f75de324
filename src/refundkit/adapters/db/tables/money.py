"""Refunds, the double-entry ledger (entries and postings), payment-provider events and
chargebacks."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, Money, metadata
from refundkit.adapters.db.tables.base import ts as _ts

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("amount", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at", False),
    _ts("execute_after", False),
    _ts("eta_earliest", False),
    _ts("eta_latest", False),
    sa.Column("psp_reference", sa.String(200), index=True),
    sa.Column("psp", sa.String(16)),
    _ts("executed_at"),
    _ts("succeeded_at"),
    sa.Column("failure_reason", sa.String(1000)),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("line_amounts", sa.JSON),
    sa.Column("clawback_amount", Money, nullable=False, server_default="0"),
    sa.Column("commission_back", Money, nullable=False, server_default="0"),
    sa.Column("destination", sa.String(16), nullable=False, server_default="original"),
    sa.Column("advanced", Money, nullable=False, server_default="0"),
    sa.Column("advance_dispute_id", Id),
    sa.CheckConstraint("amount > 0", name="positive"),
    sa.CheckConstraint(
        "commission_back >= 0 AND commission_back <= clawback_amount AND clawback_amount <= amount",
        name="clawback_within_refund",
    ),
)

journal_entries = sa.Table(
    "journal_entries",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    _ts("occurred_at", False),
    sa.Column("order_id", Id, index=True),
    sa.Column("memo", sa.String(500), nullable=False),
)

postings = sa.Table(
    "postings",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("entry_id", Id, sa.ForeignKey("journal_entries.id"), nullable=False, index=True),
    sa.Column("account", sa.String(80), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", Money, nullable=False),
    _ts("occurred_at", False),
    sa.Index("ix_postings_account", "account", "currency", "occurred_at"),
)  # fmt: skip

psp_events = sa.Table(
    "psp_events",
    metadata,
    sa.Column("provider", sa.String(16), primary_key=True),
    sa.Column("id", sa.String(255), primary_key=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("object_id", sa.String(255)),
    _ts("created_at", False),
    _ts("received_at", False),
    sa.Column("result", sa.String(500), nullable=False),
)
"""Each event a payment provider sent, stored once by its id: a replay changes nothing."""

chargebacks = sa.Table(
    "chargebacks",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("psp", sa.String(16), nullable=False),
    sa.Column("psp_reference", sa.String(255), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("fee", Money, nullable=False),
    _ts("opened_at", False),
    _ts("funds_withdrawn_at"),
    _ts("closed_at"),
    sa.Column("counted", Money, nullable=False),
    sa.Column("recovered_from_seller", Money, nullable=False),
    sa.Column("borne_by_platform", Money, nullable=False),
    sa.Column("suspended_dispute_id", Id),
    sa.Column("evidence", sa.String(4000)),
    sa.UniqueConstraint("psp", "psp_reference", name="uq_chargebacks_psp_reference"),
    sa.CheckConstraint(
        "amount > 0 AND fee >= 0 AND counted >= 0 AND counted <= amount", name="amounts"
    ),
)
"""The buyer's bank reversing a payment (Stripe's disputes), one row per provider dispute."""
