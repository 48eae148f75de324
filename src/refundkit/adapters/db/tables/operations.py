"""What keeps the service running: the event outbox, timers, rate-limit counters,
idempotency keys, the sandbox clock, webhooks and notifications."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, UTCDateTime, metadata
from refundkit.adapters.db.tables.base import ts as _ts

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("subject_id", Id, nullable=False),
    sa.Column("order_id", Id),
    _ts("occurred_at", False),
    sa.Column("actor_role", sa.String(16), nullable=False),
    sa.Column("actor_id", Id),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("object", sa.JSON),
    _ts("published_at"),
    sa.Column("request_id", sa.String(128)),
    sa.Index("ix_events_order", "order_id", "id"),
    sa.Index("ix_events_request", "request_id"),
    sa.Index(
        "ix_events_unpublished",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

timers = sa.Table(
    "timers",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject_id", Id, nullable=False),
    _ts("due_at", False),
    _ts("fired_at"),
    sa.Column("result", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.String(500)),
    sa.UniqueConstraint("kind", "subject_id", "due_at", name="uq_timers_once"),
    sa.Index("ix_timers_due", "due_at", postgresql_where=sa.text("fired_at IS NULL"),
             sqlite_where=sa.text("fired_at IS NULL")),
)  # fmt: skip

rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    sa.Column("principal_id", Id, primary_key=True),
    sa.Column("action", sa.String(40), primary_key=True),
    sa.Column("window_start", UTCDateTime(), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal_id", Id, primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    _ts(
        "created_at",
        False,
    ),
)

sandbox_clock = sa.Table(
    "sandbox_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _ts("now", False),
)

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("secret", sa.String(400), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("disabled_reason", sa.String(1000)),
    _ts("created_at", False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("endpoint_id", Id, sa.ForeignKey("webhook_endpoints.id"), nullable=False),
    sa.Column("event_id", Id, sa.ForeignKey("events.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    _ts("next_attempt_at", False),
    _ts("first_attempt_at"),
    _ts("delivered_at"),
    sa.Column("request_id", sa.String(128)),
    sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_once"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column(
        "delivery_id",
        sa.BigInteger,
        sa.ForeignKey("webhook_deliveries.id"),
        nullable=False,
        index=True,
    ),
    _ts("attempted_at", False),
    sa.Column("status_code", sa.Integer),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Column("error", sa.String(1000)),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject_id", Id, nullable=False),
    sa.Column("recipient_id", Id, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("occasion", sa.String(100), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("order_id", Id),
    sa.Column("dispute_id", Id),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(8)),
    sa.Column("attempts", sa.Integer, nullable=False),
    _ts("next_attempt_at", False),
    sa.Column("last_error", sa.String(1000)),
    _ts("created_at", False),
    _ts("sent_at"),
    sa.Column("request_id", sa.String(128)),
    sa.UniqueConstraint("kind", "subject_id", "recipient_id", "occasion",
                        name="uq_notifications_once"),
    sa.Index("ix_notifications_due", "status", "next_attempt_at"),
    sa.Index("ix_notifications_recipient", "recipient_id", "id"),
    sa.Index("ix_notifications_order", "order_id", "id"),
)  # fmt: skip
