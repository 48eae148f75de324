"""Users, their API keys and web sessions, calendar feeds, and the stored policies."""

from __future__ import annotations

import sqlalchemy as sa

from refundkit.adapters.db.tables.base import Id, metadata
from refundkit.adapters.db.tables.base import ts as _ts

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
