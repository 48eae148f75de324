"""Timed notices: the buyer's reminders before the dispute window closes (DESIGN §2) and
the agents' notice of an escalated dispute past its deadline (DESIGN §3).

Like every timer, these are never cancelled: each re-checks the order or dispute when it
fires and does nothing when it has moved on (confirmed, disputed, ended, or the deadline
moved, in which case the timers of the new deadline are already waiting).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import timers as dispute_timers
from refundkit.domain.disputes.model import Dispute, DisputeStatus
from refundkit.domain.errors import InvalidTransition
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.orders import timers as order_timers
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.rules import Rule
from refundkit.domain.standing.hold import release_due

REMINDER_RULE = Rule.REMINDER_BEFORE_CLOSE


def window_timers(ctx: Context, order: Order) -> list[TimerRequest]:
    """For a dispute window whose close is now known (or moved): completion at the close,
    and a reminder the policy's number of days before it, for each one still ahead."""
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    timers = [TimerRequest(order_timers.COMPLETE, order.id, release_due(order, closes))]
    for days in ctx.policy.reminders.before_dispute_close_days:
        at = closes - timedelta(days=days)
        if at > ctx.now:
            timers.append(TimerRequest(order_timers.DISPUTE_WINDOW_REMINDER, order.id, at))
    return timers


def remind_dispute_window(ctx: Context, order: Order, due_at: datetime, *,
                          disputed: bool) -> Outcome:  # fmt: skip
    """The reminder set for ``due_at``: only for an order neither confirmed nor disputed,
    whose window still closes where it did when the reminder was set."""
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise InvalidTransition(f"no reminder for an order that is {order.status.value}")
    if order.confirmed_at is not None:
        raise InvalidTransition("no reminder: the buyer confirmed receipt")
    if order.disputed or disputed:
        raise InvalidTransition("no reminder: the order is disputed")
    closes = order.deadlines.dispute_closes_at
    if closes is None or ctx.now >= closes:
        raise InvalidTransition("no reminder: the dispute window has closed")
    offsets = ctx.policy.reminders.before_dispute_close_days
    days = next((n for n in offsets if closes - timedelta(days=n) == due_at), None)
    if days is None:
        raise InvalidTransition("no reminder: the dispute window moved since it was set")
    if any(n < days and ctx.now >= closes - timedelta(days=n) for n in offsets):
        # Fired late (the worker was down): the later reminder is due too and says it all.
        raise InvalidTransition("no reminder: a later reminder is already due")
    event = Event("order.dispute_window_closing", order.id, order.id, ctx.now, ctx.actor.role,
                  ctx.actor.id, {"closes_at": closes.isoformat(), "days_before": days,
                                 "rule": REMINDER_RULE})  # fmt: skip
    return Outcome(events=[event])


def agent_timer(d: Dispute) -> TimerRequest:
    """Set when a dispute is escalated: the moment it goes overdue."""
    assert d.agent_due_by is not None
    return TimerRequest(dispute_timers.AGENT_OVERDUE, d.id, d.agent_due_by)


def mark_overdue(ctx: Context, d: Dispute) -> Outcome:
    """An escalated dispute nobody decided by its deadline: the agents are told, once."""
    if d.status is not DisputeStatus.ESCALATED or d.agent_due_by is None:
        raise InvalidTransition(f"not waiting for an agent: the dispute is {d.status.value}")
    if ctx.now < d.agent_due_by:
        raise InvalidTransition("not overdue: the agent deadline moved")
    event = Event("dispute.agent_overdue", d.id, d.order_id, ctx.now, ctx.actor.role,
                  ctx.actor.id, {"agent_due_by": d.agent_due_by.isoformat(),
                                 "rule": Rule.AGENT_SLA})  # fmt: skip
    return Outcome(events=[event])
