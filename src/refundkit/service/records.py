"""Plain records the service layer passes around that are not domain aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from refundkit.domain.disputes.thread import DisputeNote as DisputeNote
from refundkit.domain.roles import Role


class Tier(StrEnum):
    STANDARD = "standard"
    GOLD = "gold"
    PLATINUM = "platinum"
    DIAMOND = "diamond"


@dataclass
class User:
    id: str
    role: Role
    name: str
    email: str
    country: str
    tier: Tier | None
    created_at: datetime
    password_hash: str | None = None


@dataclass(frozen=True, slots=True)
class DueTimer:
    id: int
    kind: str
    subject_id: str
    due_at: datetime
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: str
    type: str
    subject_id: str
    order_id: str | None
    occurred_at: datetime
    actor_role: str
    actor_id: str | None
    data: dict[str, Any]
    object: dict[str, Any] | None = None
    """The order, dispute or refund the event is about, as the API showed it then."""


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    principal_id: str
    key: str
    fingerprint: str
    status_code: int
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TrackingScan:
    carrier: str
    tracking_number: str
    status: str
    country: str
    city: str
    postcode: str | None
    occurred_at: datetime
    description: str | None
    received_at: datetime
