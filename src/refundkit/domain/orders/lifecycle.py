"""Commands on an order. Each checks the state machine, changes the order, and returns
the events, timers, ledger entries and refunds that go with the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from refundkit.domain.calendar import add_business_days
from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import InvalidTransition
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.orders import parcels, timers
from refundkit.domain.orders.escrow import hold_payment, refund_buyer, release_to_seller
from refundkit.domain.orders.machine import OrderAction, OrderTransition, find_transition
from refundkit.domain.orders.model import ExtensionStatus, Order, OrderStatus
from refundkit.domain.reminders import window_timers
from refundkit.domain.rules import Rule
from refundkit.domain.standing.hold import held_until


def _step(ctx: Context, order: Order, action: OrderAction) -> OrderTransition:
    return find_transition(order, action, ctx.actor.role, ctx.now, ctx.policy)


def _event(ctx: Context, order: Order, kind: str, **data: Any) -> Event:
    return Event(kind, order.id, order.id, ctx.now, ctx.actor.role, ctx.actor.id, data)


def _move(order: Order, row: OrderTransition) -> None:
    assert row.target is not None
    order.status = row.target


def pay(ctx: Context, order: Order, payment_reference: str | None = None) -> Outcome:
    _move(order, _step(ctx, order, OrderAction.PAY))
    order.paid_at = ctx.now
    order.payment_reference = payment_reference
    d = order.deadlines
    d.free_cancel_until = ctx.now + ctx.policy.cancellation.free_cancel
    d.ship_by = add_business_days(ctx.calendar, order.seller_country, ctx.now, order.handling_days)
    outcome = hold_payment(ctx, order, order.total_money)
    outcome.events.append(_event(ctx, order, "order.paid", amount=order.total))
    outcome.timers.append(TimerRequest(timers.AUTO_CANCEL, order.id, d.ship_by))
    return outcome


def expire(ctx: Context, order: Order) -> Outcome:
    _move(order, _step(ctx, order, OrderAction.EXPIRE))
    return Outcome(events=[_event(ctx, order, "order.expired", rule=Rule.PAY_WITHIN)])


def cancel(ctx: Context, order: Order, reason: str) -> Outcome:
    row = _step(ctx, order, OrderAction.CANCEL)
    _move(order, row)
    order.cancel_reason = reason
    if row.target is OrderStatus.CANCEL_REQUESTED:
        order.cancel_requested_at = ctx.now
        respond_by = ctx.now + ctx.policy.cancellation.seller_answer
        order.deadlines.cancel_respond_by = respond_by
        return Outcome(
            events=[_event(ctx, order, "order.cancellation_requested", reason=reason,
                           respond_by=respond_by.isoformat())],
            timers=[TimerRequest(timers.CANCELLATION_SILENCE, order.id, respond_by)],
        )  # fmt: skip
    return _cancelled(ctx, order, reason=reason, rule=None)


def approve_cancellation(ctx: Context, order: Order) -> Outcome:
    _move(order, _step(ctx, order, OrderAction.APPROVE_CANCELLATION))
    rule = Rule.CANCELLATION_SELLER_ANSWER if ctx.actor.role.value == "system" else None
    return _cancelled(ctx, order, reason=order.cancel_reason or "", rule=rule)


def reject_cancellation(ctx: Context, order: Order, reason: str) -> Outcome:
    _move(order, _step(ctx, order, OrderAction.REJECT_CANCELLATION))
    order.deadlines.cancel_respond_by = None
    return Outcome(events=[_event(ctx, order, "order.cancellation_rejected", reason=reason)])


def auto_cancel(ctx: Context, order: Order) -> Outcome:
    if order.status is OrderStatus.SHIPPED:
        return cancel_unshipped(ctx, order)
    _move(order, _step(ctx, order, OrderAction.AUTO_CANCEL))
    return _cancelled(
        ctx, order, reason="not shipped within the handling time",
        rule=Rule.HANDLING_TIME,
    )  # fmt: skip


def _cancelled(ctx: Context, order: Order, *, reason: str, rule: Rule | None) -> Outcome:
    order.cancelled_at = ctx.now
    order.deadlines.cancel_respond_by = None
    outcome = Outcome(events=[_event(ctx, order, "order.cancelled", reason=reason, rule=rule)])
    if order.refundable_money.is_positive:
        outcome.merge(refund_buyer(ctx, order, order.refundable_money, "order cancelled"))
    return outcome


def ship(ctx: Context, order: Order, carrier: str, tracking_number: str) -> Outcome:
    """Ship everything not shipped yet, as one parcel."""
    return parcels.ship_parcel(ctx, order, carrier, tracking_number, None)


def mark_delivered(
    ctx: Context, order: Order, delivered_at: datetime, carrier: str | None = None,
    tracking_number: str | None = None,
) -> Outcome:  # fmt: skip
    """A carrier's delivered scan for ``carrier`` and ``tracking_number`` (None: the order's
    first parcel's). ``delivered_at`` is when the carrier saw it, capped at now. A scan dated
    before a parcel's shipment changes nothing of it: it is an earlier parcel's, and the
    tracking signals flag it (``delivered_before_shipment``). The order is delivered once
    every parcel is and nothing is left to ship."""
    row = _step(ctx, order, OrderAction.MARK_DELIVERED)
    carrier = carrier or order.carrier
    tracking_number = tracking_number or order.tracking_number
    assert carrier is not None
    assert tracking_number is not None
    found = parcels.deliver_parcels(ctx, order, carrier, tracking_number, delivered_at)
    if not found:
        return Outcome()
    at = min(delivered_at, ctx.now)
    outcome = Outcome()
    if len(order.parcels) > 1:
        outcome.events.extend(
            _event(ctx, order, "order.parcel_delivered", parcel_id=p.id,
                   delivered_at=at.isoformat())
            for p in found
        )  # fmt: skip
    if not parcels.all_delivered(order):
        return outcome
    _move(order, row)
    outcome.merge(_delivered(ctx, order, at))
    event = _event(ctx, order, "order.delivered", source="carrier", delivered_at=at.isoformat())
    outcome.events.insert(len(found) if len(order.parcels) > 1 else 0, event)
    return outcome


def cancel_unshipped(ctx: Context, order: Order) -> Outcome:
    """The handling time ran out on a partly shipped order: what is not shipped is cancelled
    and refunded (the units and their share of shipping); the parcels go on."""
    _step(ctx, order, OrderAction.AUTO_CANCEL)
    units = parcels.units_left(order)
    for item_id, count in units.items():
        order.cancelled_units[item_id] = order.cancelled_units.get(item_id, 0) + count
    outcome = Outcome(events=[_event(ctx, order, "order.units_cancelled", units=dict(units),
                                     rule=Rule.HANDLING_TIME)])  # fmt: skip
    parts = parcels.cancellation_parts(order, units)
    if sum(parts) > 0:
        outcome.merge(refund_buyer(ctx, order, order.money(sum(parts)),
                                   "not shipped within the handling time",
                                   parts=parts))  # fmt: skip
    if parcels.all_delivered(order):
        _move(order, _step(ctx, order, OrderAction.MARK_DELIVERED))
        at = max(p.delivered_at for p in order.parcels if p.delivered_at)
        outcome.merge(_delivered(ctx, order, at))
    return outcome


def confirm_receipt(ctx: Context, order: Order) -> Outcome:
    row = _step(ctx, order, OrderAction.CONFIRM_RECEIPT)
    was_delivered = order.delivered_at is not None
    _move(order, row)
    order.confirmed_at = ctx.now
    outcome = Outcome(events=[_event(ctx, order, "order.receipt_confirmed")])
    if not was_delivered:
        outcome.merge(_delivered(ctx, order, ctx.now))
    if row.target is OrderStatus.COMPLETED:
        outcome.merge(_complete(ctx, order, rule=Rule.RELEASE_ON_CONFIRMATION))
    return outcome


def _delivered(ctx: Context, order: Order, at: datetime) -> Outcome:
    """Delivery, whichever of scan and confirmation comes first, fixes the dispute window."""
    order.delivered_at = at
    d = order.deadlines
    d.dispute_opens_at = min(d.dispute_opens_at or at, at)
    d.dispute_closes_at = at + ctx.policy.protection.dispute_closes_after_delivery
    outcome = Outcome(timers=window_timers(ctx, order))
    pending = order.pending_extension
    if pending is not None:
        pending.status = ExtensionStatus.EXPIRED
        pending.decided_at = ctx.now
        outcome.events.append(_event(ctx, order, "order.protection_extension_lapsed",
                                     extension_id=pending.id, why="delivered"))  # fmt: skip
    return outcome


def complete(ctx: Context, order: Order) -> Outcome:
    """The worker's timer: the protection ended (and the hold the seller's standing set
    when the order was placed has run out). With no dispute open the order completes;
    while disputes hold some units, the money they do not hold goes to the seller now and
    the order completes when the last one ends (``holds``)."""
    until = held_until(order, ctx.now)
    if until is not None:
        raise InvalidTransition(f"the seller's standing holds the money until {until.isoformat()}")
    row = _step(ctx, order, OrderAction.COMPLETE)
    rule = Rule.DISPUTE_WINDOW if order.delivered_at else Rule.MAX_DELIVERY_DAYS
    if row.target is not OrderStatus.COMPLETED:
        return release_to_seller(ctx, order)
    _move(order, row)
    return _complete(ctx, order, rule=rule)


def _complete(ctx: Context, order: Order, *, rule: Rule) -> Outcome:
    order.completed_at = ctx.now
    outcome = Outcome(events=[_event(ctx, order, "order.completed", rule=rule)])
    return outcome.merge(release_to_seller(ctx, order))
