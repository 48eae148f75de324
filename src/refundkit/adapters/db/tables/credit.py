"""A seller's own returnless limits (issue 19). Store credit itself lives in the journal:
the postings of the ``store_credit:<buyer>`` accounts."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, metadata
from refundkit.adapters.db.tables.base import ts as _ts

seller_returnless_rules = sa.Table(
    "seller_returnless_rules",
    metadata,
    sa.Column("seller_id", Id, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("max_price", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON),
    sa.Column("categories", sa.JSON),
    _ts("updated_at", False),
    sa.Column("updated_by", Id, nullable=False),
)
