"""Standing (issue 19): sellers' requests to exclude a defect, agents' clearances of a
buyer's signal, and sellers' reports of a used or incomplete return."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, Money, metadata
from refundkit.adapters.db.tables.base import ts as _ts

defect_exclusions = sa.Table(
    "defect_exclusions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("seller_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("order_id", Id, sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("reason", sa.String(2000), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("requested_at", False),
    sa.Column("decided_by", Id),
    sa.Column("note", sa.String(2000)),
    _ts("decided_at"),
)

signal_clearances = sa.Table(
    "signal_clearances",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("buyer_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("signal", sa.String(40), nullable=False),
    sa.Column("note", sa.String(2000), nullable=False),
    sa.Column("cleared_by", Id, nullable=False),
    _ts("cleared_at", False),
)

used_return_reports = sa.Table(
    "used_return_reports",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("dispute_id", Id, sa.ForeignKey("disputes.id"), nullable=False, unique=True),
    sa.Column("buyer_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("note", sa.String(2000), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("deduction", Money, nullable=False),
    _ts("reported_at", False),
    sa.Column("decided_by", Id),
    sa.Column("decision_note", sa.String(2000)),
    _ts("decided_at"),
)
