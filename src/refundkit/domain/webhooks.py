"""Webhooks to the shop (DESIGN §6): which events an endpoint wants, when a failed delivery
is tried again, and when refundkit gives up on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from refundkit.domain.backoff import Backoff
from refundkit.domain.errors import ValidationError

FIRST_RETRY = timedelta(seconds=5)
RETRY_FACTOR = 4
LONGEST_WAIT = timedelta(hours=12)
GIVE_UP_AFTER = timedelta(days=3)
RETRIES = Backoff(FIRST_RETRY, RETRY_FACTOR, LONGEST_WAIT, GIVE_UP_AFTER)
LEASE = timedelta(minutes=2)
"""A claimed delivery not finished within this time (its worker died) is sent again."""
EVENT_FAMILIES = ("order", "dispute", "refund", "return", "seller", "credit", "webhook_endpoint")


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    """Every attempt for three days failed; a redelivery starts it again."""


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    status: EndpointStatus
    created_at: datetime
    disabled_reason: str | None = None

    def wants(self, event_type: str) -> bool:
        return self.status is EndpointStatus.ENABLED and any(
            matches(pattern, event_type) for pattern in self.events
        )


def matches(pattern: str, event_type: str) -> bool:
    """``*`` is every event, ``order.*`` every event of a family, else the exact type."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def check_endpoint(url: str, events: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("url must be an http or https URL with a host", field="url")
    if not events:
        raise ValidationError("name at least one event type, a family (order.*) or *",
                              field="events")  # fmt: skip
    for pattern in events:
        family = pattern.split(".", 1)[0]
        if pattern != "*" and (family not in EVENT_FAMILIES or pattern.count(".") < 1):
            raise ValidationError(
                f"unknown event filter {pattern!r}: use *, a family such as order.* "
                f"({', '.join(EVENT_FAMILIES)}) or an event type such as refund.succeeded",
                field="events",
            )
    return url.strip(), tuple(dict.fromkeys(events))


def next_attempt(attempts: int, first_attempt_at: datetime, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failures (5 s, 20 s, 80 s, ... at most 12 h
    apart), or None once three days have passed since the first attempt."""
    return RETRIES.next_attempt(attempts, first_attempt_at, now)
