"""What the webhook use cases read and write, between the service and its adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from refundkit.domain.webhooks import DeliveryStatus, WebhookEndpoint
from refundkit.service.records import StoredEvent


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: int
    endpoint: WebhookEndpoint
    event: StoredEvent
    attempt: int
    """This attempt's number (1 for the first)."""
    first_attempt_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    attempt_log: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One webhook to send: where, signed with what, under which ``webhook-id``."""

    url: str
    secret: str
    message_id: str
    payload: str


class WebhookSender(Protocol):
    def send(self, url: str, secret: str, message_id: str, payload: str) -> SendResult:
        """POST the signed payload; never raises (a failure is in the result)."""
        ...

    def send_many(self, deliveries: Sequence[Outgoing]) -> list[SendResult]:
        """POST each, several at once (bounded per endpoint); their results in their
        order; never raises for a delivery's failure."""
        ...


class WebhookTargetCheck(Protocol):
    def refusal(self, url: str, *, resolve: bool) -> str | None:
        """Why no webhook may be sent to ``url`` (its host is, or with ``resolve`` resolves
        to, a loopback, private, link-local or metadata address outside what is allowed),
        or None."""
        ...
