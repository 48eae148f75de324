"""What the notification use cases read and write, between the service and its adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from refundkit.domain.notifications import NotificationKind, NotificationStatus


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    kind: NotificationKind
    subject_id: str
    """The order, dispute or refund the message is about."""
    recipient_id: str
    occasion: str
    """With kind, subject and recipient: what makes the message unique."""
    email: str
    subject: str
    body: str
    order_id: str | None
    dispute_id: str | None
    status: NotificationStatus
    channel: str | None
    """How it went out: ``smtp``, or ``log`` (no SMTP server configured); None until then."""
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationRepository(Protocol):
    def add_all(self, notifications: Sequence[Notification]) -> None:
        """Store each unless one with the same kind, subject, recipient and occasion exists."""

    def get(self, notification_id: str) -> Notification | None: ...
    def search(
        self, *, recipient_id: str | None, order_id: str | None, kind: str | None,
        starting_after: str | None, limit: int, ending_before: str | None = None,
    ) -> Sequence[Notification]: ...  # fmt: skip
    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Notification]:
        """Lease queued messages due by ``now`` (skipping ones another worker holds)."""

    def finish(
        self, notification_id: str, claimed_attempts: int, status: NotificationStatus, *,
        channel: str | None, next_attempt_at: datetime, sent_at: datetime | None,
        error: str | None,
    ) -> bool:  # fmt: skip
        """Book the answer to the claim that counted ``claimed_attempts``; False (nothing
        changed) when that claim's lease ran out and another worker claimed the message."""


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    message_id: str
    """The notification's id: the mail's Message-ID, so a receiver can tell a resend."""
    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class MailResult:
    sent: bool
    permanent: bool = False
    """The server refused it for good (a 5xx answer): trying again would not help."""
    error: str | None = None


class Mailer(Protocol):
    channel: str

    def send(self, mail: OutgoingMail) -> MailResult:
        """Hand the mail over; a failure is in the result (should it raise anyway, the
        sender books one failed attempt with backoff)."""
        ...
