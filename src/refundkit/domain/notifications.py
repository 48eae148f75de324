"""Messages to people (DESIGN §2 reminders, §3): who is told of what, once, and how a
message that could not be sent is tried again.

Every message comes from a domain event: the events of a transaction are turned into
``Notice`` values here, and the service stores them in the same transaction. A notice's
``key`` (kind, the object it is about, its recipient, the occasion) is unique, so a timer or
an event handled twice never makes a second message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from refundkit.domain.backoff import Backoff

FIRST_RETRY = timedelta(minutes=1)
RETRY_FACTOR = 4
LONGEST_WAIT = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)
RETRIES = Backoff(FIRST_RETRY, RETRY_FACTOR, LONGEST_WAIT, GIVE_UP_AFTER)
LEASE = timedelta(minutes=10)
"""A claimed message not booked within this time (its worker died) is sent again; longer
than a send batch can take (service/mailing.py)."""


class NotificationKind(StrEnum):
    DISPUTE_WINDOW_REMINDER = "dispute_window_reminder"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_OFFER = "dispute_offer"
    DISPUTE_ESCALATED = "dispute_escalated"
    EVIDENCE_REQUESTED = "evidence_requested"
    DISPUTE_OVERDUE = "dispute_overdue"
    DISPUTE_OUTCOME = "dispute_outcome"
    DISPUTE_SUSPENDED = "dispute_suspended"
    REFUND_CREATED = "refund_created"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    CREDIT_GRANTED = "credit_granted"
    """Compensation paid into the buyer's store credit (a refund taken as credit is told as
    the refund it is)."""


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    """Refused for good by the mail server, or still failing three days after it was queued."""


class Audience(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    AGENTS = "agents"
    """Every user with the agent role."""


@dataclass(frozen=True, slots=True)
class Happened:
    """The part of a stored event the rules read."""

    id: str
    type: str
    subject_id: str
    order_id: str | None
    actor_role: str
    data: dict[str, object]


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NotificationKind
    audience: Audience
    subject_id: str
    occasion: str
    subject: str
    body: str
    order_id: str | None
    dispute_id: str | None


def next_attempt(attempts: int, queued_at: datetime, now: datetime) -> datetime | None:
    """When to try a message again after ``attempts`` failures (1 min, 4 min, 16 min, ... at
    most 6 h apart), or None once three days have passed since it was queued."""
    return RETRIES.next_attempt(attempts, queued_at, now)


def in_words(at: datetime, now: datetime) -> str:
    """How far ``at`` is from ``now``: "in 5 days", "in 1 day and 3 hours", "in 40 minutes"."""
    left = at - now
    if left <= timedelta(0):
        return "now"
    days, hours, minutes = left.days, left.seconds // 3600, left.seconds % 3600 // 60

    def n(count: int, unit: str) -> str:
        return f"{count} {unit}{'' if count == 1 else 's'}"

    if days:
        return f"in {n(days, 'day')}" + (f" and {n(hours, 'hour')}" if hours else "")
    if hours:
        return f"in {n(hours, 'hour')}" + (f" and {n(minutes, 'minute')}" if minutes else "")
    return f"in {n(max(minutes, 1), 'minute')}"


def time_left(at: datetime, now: datetime) -> str:
    """What is left until ``at``, in its largest whole unit, for a subject line: "5 days",
    "1 day", "7 hours", "40 minutes" (never more than is really left)."""
    left = max(at - now, timedelta(0))
    count, unit = left.days, "day"
    if not count:
        count, unit = left.seconds // 3600, "hour"
    if not count:
        count, unit = max(left.seconds // 60, 1), "minute"
    return f"{count} {unit}{'' if count == 1 else 's'}"


def deadline_text(at: datetime, now: datetime) -> str:
    """A deadline as people and programs read it: the UTC ISO time, then in words."""
    return f"{at.isoformat()} ({at.strftime('%A %-d %B %Y, %H:%M')} UTC, {in_words(at, now)})"


def order_link(order_id: str) -> str:
    return f"/orders/{order_id}"


def dispute_link(dispute_id: str) -> str:
    return f"/disputes/{dispute_id}"
