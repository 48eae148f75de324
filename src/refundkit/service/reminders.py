"""The timers behind the timed messages: the buyer's reminders before the dispute window
closes, and the agents' notice of an overdue escalated dispute. Each writes an event (for
the timeline and webhooks); the message itself comes from that event (service/outbox.py)."""

from __future__ import annotations

from refundkit.domain import reminders
from refundkit.domain.context import SYSTEM_ACTOR
from refundkit.domain.disputes.model import DisputeStatus
from refundkit.domain.errors import InvalidTransition
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import DueTimer
from refundkit.service.transactions import record


def remind_dispute_window(deps: Deps, uow: UnitOfWork, timer: DueTimer) -> str:
    # Locked, like the other order timers: a dispute or confirmation committing meanwhile
    # waits, so no reminder goes out for an order that was just disputed or confirmed.
    order = uow.orders.get(timer.subject_id, for_update=True)
    if order is None:
        return "skipped: order gone"
    disputed = any(d.status is not DisputeStatus.WITHDRAWN
                   for d in uow.disputes.for_order(order.id))  # fmt: skip
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    try:
        outcome = reminders.remind_dispute_window(ctx, order, timer.due_at, disputed=disputed)
    except InvalidTransition as refusal:
        return f"skipped: {refusal.detail}"
    record(uow, outcome)
    return "reminded"


def agents_of_overdue(deps: Deps, uow: UnitOfWork, timer: DueTimer) -> str:
    d = uow.disputes.get(timer.subject_id)
    if d is None:
        return "skipped: dispute gone"
    order = uow.orders.get(d.order_id)
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version if order else None)
    try:
        outcome = reminders.mark_overdue(ctx, d)
    except InvalidTransition as refusal:
        return f"skipped: {refusal.detail}"
    record(uow, outcome)
    return "overdue"
