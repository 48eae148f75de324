"""Notifications (DESIGN §2 reminders, §3): stored from the events of each transaction,
listed for the people they were sent to. ``service/mailing.py`` sends them.

A message is stored once whatever happens twice: its (kind, subject, recipient, occasion)
is unique, so an event or a timer handled again finds its message already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from refundkit.domain.errors import NotFound, ValidationError
from refundkit.domain.money import Money, format_major
from refundkit.domain.notices import TRIGGERS, Facts, notices_for
from refundkit.domain.notifications import (
    Audience,
    Happened,
    Notice,
    NotificationKind,
    NotificationStatus,
)
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.service.deps import Deps
from refundkit.service.notification_records import Notification
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent, User

SEES_ALL_NOTIFICATIONS = frozenset({Role.PLATFORM, Role.ADMIN})
AGENTS = "*agents"


def store_for_events(deps: Deps, uow: UnitOfWork, events: Sequence[StoredEvent]) -> None:
    """Queue the messages these events call for (one read of their recipients, one write)."""
    queued = messages_for_events(deps, uow, events)
    if queued:
        uow.notifications.add_all(queued)


def messages_for_events(
    deps: Deps, uow: UnitOfWork, events: Sequence[StoredEvent]
) -> list[Notification]:
    """The messages these events call for, made but not written (reads only)."""
    notices: list[tuple[Notice, Order]] = []
    now = deps.clock.now()
    for event in events:
        if event.type not in TRIGGERS or event.order_id is None:
            continue
        order = uow.orders.seen(event.order_id) or uow.orders.get(event.order_id)
        if order is None:
            continue
        happened = Happened(event.id, event.type, event.subject_id, event.order_id,
                            event.actor_role, event.data)  # fmt: skip
        notices += [(n, order) for n in notices_for(happened, _facts(deps, uow, event, order, now))]
    if not notices:
        return []
    wanted = {_party(n, o) for n, o in notices} - {AGENTS}
    found = deps.parties.get_many(sorted(wanted), uow.users.get_many)  # never change
    people = {uid: [u] for uid, u in found.items()}
    if any(n.audience is Audience.AGENTS for n, _ in notices):
        people[AGENTS] = uow.users.with_role(Role.AGENT)
    return [_queued(deps, n, user, now) for n, order in notices
            for user in people.get(_party(n, order), [])]  # fmt: skip


def _facts(deps: Deps, uow: UnitOfWork, event: StoredEvent, order: Order,
           now: datetime) -> Facts:  # fmt: skip
    family = event.type.split(".", 1)[0]
    dispute = refund = None
    if family in ("dispute", "return"):
        dispute = uow.disputes.seen(event.subject_id) or uow.disputes.get(event.subject_id)
    if family == "refund":
        refund = uow.refunds.seen(event.subject_id) or uow.refunds.get(event.subject_id)
    exponent = deps.currencies.exponent(order.currency)

    def money(minor: int) -> str:
        return f"{format_major(Money(minor, order.currency), exponent)} {order.currency}"

    return Facts(order, dispute, refund, money, now)


def _party(notice: Notice, order: Order) -> str:
    """Who a notice goes to: the buyer's or seller's id, or every agent."""
    if notice.audience is Audience.AGENTS:
        return AGENTS
    return order.buyer_id if notice.audience is Audience.BUYER else order.seller_id


def _queued(deps: Deps, notice: Notice, user: User, now: datetime) -> Notification:
    return Notification(
        id=deps.ids.new("ntf"), kind=notice.kind, subject_id=notice.subject_id,
        recipient_id=user.id, occasion=notice.occasion, email=user.email,
        subject=notice.subject, body=notice.body, order_id=notice.order_id,
        dispute_id=notice.dispute_id, status=NotificationStatus.QUEUED, channel=None,
        attempts=0, next_attempt_at=now, last_error=None, created_at=now, sent_at=None,
    )  # fmt: skip


def list_notifications(
    uow: UnitOfWork, user: User, *, user_id: str | None, order_id: str | None,
    kind: str | None, starting_after: str | None, limit: int, ending_before: str | None = None,
) -> tuple[list[Notification], bool]:  # fmt: skip
    """Newest first. The platform and admins see every message; anyone else only their own
    (a filter on another user's id then finds nothing)."""
    if kind is not None and kind not in {k.value for k in NotificationKind}:
        raise ValidationError(f"unknown notification kind {kind!r}", field="kind")
    recipient = user_id
    if user.role not in SEES_ALL_NOTIFICATIONS:
        if user_id not in (None, user.id):
            return [], False
        recipient = user.id
    found = uow.notifications.search(recipient_id=recipient, order_id=order_id, kind=kind,
                                     starting_after=starting_after, limit=limit + 1,
                                     ending_before=ending_before)  # fmt: skip
    page, more = window(found, limit, backwards=ending_before is not None)
    return [_as_seen_by(user, n) for n in page], more


def get_notification(uow: UnitOfWork, user: User, notification_id: str) -> Notification:
    found = uow.notifications.get(notification_id)
    if found is None or (user.role not in SEES_ALL_NOTIFICATIONS and found.recipient_id != user.id):
        raise NotFound(f"no notification {notification_id}")
    return _as_seen_by(user, found)


NOT_YET_DELIVERED = "Not delivered yet; it is tried again automatically."
UNDELIVERABLE = "It could not be delivered to this address."


def _as_seen_by(user: User, n: Notification) -> Notification:
    """The mail server's own answer (``last_error``) is for the platform and admins; anyone
    else reads a plain sentence."""
    if user.role in SEES_ALL_NOTIFICATIONS or n.last_error is None:
        return n
    plain = UNDELIVERABLE if n.status is NotificationStatus.FAILED else NOT_YET_DELIVERED
    return replace(n, last_error=plain)
