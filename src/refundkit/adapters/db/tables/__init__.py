"""The schema, in SQLAlchemy Core, by area. Alembic's migrations create exactly these
tables; ``from refundkit.adapters.db import tables as t`` then ``t.orders`` reads any of them."""

from __future__ import annotations

from refundkit.adapters.db.tables.base import Id, Money, UTCDateTime, metadata
from refundkit.adapters.db.tables.credit import seller_returnless_rules
from refundkit.adapters.db.tables.disputes import (
    appeals,
    dispute_evidence,
    dispute_messages,
    dispute_offers,
    disputes,
    evidence_requests,
    files,
)
from refundkit.adapters.db.tables.money import (
    chargebacks,
    journal_entries,
    postings,
    psp_events,
    refunds,
)
from refundkit.adapters.db.tables.operations import (
    events,
    idempotency_keys,
    notifications,
    rate_limit_counters,
    sandbox_clock,
    timers,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
)
from refundkit.adapters.db.tables.orders import (
    order_lines,
    orders,
    parcel_lines,
    parcels,
    protection_extensions,
    tracking_events,
)
from refundkit.adapters.db.tables.people import (
    api_keys,
    calendar_feeds,
    policies,
    users,
    web_sessions,
)
from refundkit.adapters.db.tables.standing import (
    defect_exclusions,
    signal_clearances,
    used_return_reports,
)

__all__ = [
    "Id",
    "Money",
    "UTCDateTime",
    "api_keys",
    "appeals",
    "calendar_feeds",
    "chargebacks",
    "defect_exclusions",
    "dispute_evidence",
    "dispute_messages",
    "dispute_offers",
    "disputes",
    "events",
    "evidence_requests",
    "files",
    "idempotency_keys",
    "journal_entries",
    "metadata",
    "notifications",
    "order_lines",
    "orders",
    "parcel_lines",
    "parcels",
    "policies",
    "postings",
    "protection_extensions",
    "psp_events",
    "rate_limit_counters",
    "refunds",
    "sandbox_clock",
    "seller_returnless_rules",
    "signal_clearances",
    "timers",
    "tracking_events",
    "used_return_reports",
    "users",
    "web_sessions",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
]
