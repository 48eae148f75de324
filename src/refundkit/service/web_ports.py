"""Ports of the web pages: sign-in sessions, calendar feed tokens and the reports behind the
dashboards. Tokens are kept only as SHA-256 hashes; the secrets live in cookies and URLs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from refundkit.service.records import User


@dataclass(frozen=True, slots=True)
class WebSession:
    user: User
    csrf_token: str
    expires_at: datetime


class WebSessionRepository(Protocol):
    def add(
        self, token_hash: str, user_id: str, csrf_token: str, created_at: datetime,
        expires_at: datetime,
    ) -> None: ...  # fmt: skip
    def get(self, token_hash: str) -> WebSession | None: ...
    def remove(self, token_hash: str) -> None: ...
    def remove_expired(self, now: datetime) -> int: ...
    def set_feed_token(self, user_id: str, token_hash: str, created_at: datetime) -> None:
        """The user's one calendar feed token: a new one replaces (revokes) the old."""

    def user_by_feed_token(self, token_hash: str) -> User | None: ...
    def has_feed_token(self, user_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class DisputeFact:
    """One dispute, as the dashboard counts it."""

    reason: str
    opened_at: datetime
    resolved_at: datetime | None
    decided_by: str | None
    outcome: str | None
    seller_id: str


@dataclass(frozen=True, slots=True)
class RefundFact:
    amount: int
    currency: str
    succeeded_at: datetime


@dataclass(frozen=True, slots=True)
class PartyRecord:
    """A party's history: orders, disputes, and disputes lost (resolved with a refund)."""

    user_id: str
    name: str
    orders: int
    disputes: int
    resolved: int
    lost: int


class ReportRepository(Protocol):
    def disputes_since(self, since: datetime) -> Sequence[DisputeFact]: ...
    def refunds_paid_since(self, since: datetime) -> Sequence[RefundFact]: ...
    def seller_records(self, seller_ids: Sequence[str] | None = None) -> list[PartyRecord]:
        """Every seller with at least one paid order (or those named)."""

    def buyer_record(self, buyer_id: str) -> PartyRecord: ...
    def refunded_by_currency(self, seller_id: str) -> dict[str, int]: ...
