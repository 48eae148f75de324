"""The schema, in SQLAlchemy Core. Alembic's migrations create exactly these tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite keeps no zone, so we store UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times are stored in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Money = sa.BigInteger
Id = sa.String(40)


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("tier", sa.String(16)),
    sa.Column("password_hash", sa.String(200)),
    _ts("created_at", False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    _ts("created_at", False),
    _ts("revoked_at"),
)

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    _ts("registered_at", False),
)

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
    sa.Column("open_dispute_id", Id),
    sa.Column("tracking_flags", sa.JSON),
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
    sa.Column("refunded", Money, nullable=False, server_default="0"),
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

sandbox_clock = sa.Table(
    "sandbox_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _ts("now", False),
)

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
    sa.Column("version", sa.Integer, nullable=False),
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

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    _ts("created_at", False),
    _ts("expires_at", False),
)

calendar_feeds = sa.Table(
    "calendar_feeds",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False, unique=True),
    _ts("created_at", False),
)

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
