"""Raising tracking signals on orders (DESIGN §3) and acting on them: each new flag goes on
the order's timeline; a flag the policy names resolves an open ``not_received`` dispute at
once in the buyer's favour."""

from __future__ import annotations

from datetime import datetime

from refundkit.domain.context import SYSTEM_ACTOR, Outcome
from refundkit.domain.disputes.commands import settle
from refundkit.domain.disputes.lines import refund_cap
from refundkit.domain.disputes.model import DecidedBy, DisputeReason
from refundkit.domain.events import Event
from refundkit.domain.orders.model import Order, OrderStatus, Parcel
from refundkit.domain.policy import Policy
from refundkit.domain.rules import not_received_rule
from refundkit.domain.tracking import Flag, Scan, Shipment, signals
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.transactions import record

WATCHED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})


def check_order(deps: Deps, uow: UnitOfWork, order: Order) -> list[Flag]:
    """Raise what each parcel's scans show now; the caller holds the order's row lock and
    saves it. Each parcel keeps its own flags; the order shows each signal once, from
    whichever parcel raised it first. Answers the flags new on any parcel."""
    if order.status not in WATCHED or not order.parcels:
        return []
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    raised: list[Flag] = []
    events = []
    several = len(order.parcels) > 1
    for parcel in order.parcels:
        new = _parcel_signals(uow, order, parcel, ctx.now, ctx.policy)
        parcel.tracking_flags.extend(new)
        raised.extend(new)
        on_order = {flag.signal for flag in order.tracking_flags}
        for f in new:
            if f.signal in on_order:
                continue
            order.tracking_flags.append(f)
            on_order.add(f.signal)
            data = {"signal": f.signal.value, "evidence": f.evidence}
            if several:
                data["parcel_id"] = parcel.id
            events.append(Event("order.flagged", order.id, order.id, ctx.now,
                                SYSTEM_ACTOR.role, None, data))  # fmt: skip
    if events:
        outcome = Outcome(events=events)
        outcome.merge(resolve_not_received(deps, uow, order))
        record(uow, outcome)
    return raised


def _parcel_signals(
    uow: UnitOfWork, order: Order, parcel: Parcel, now: datetime, policy: Policy
) -> list[Flag]:
    stored = uow.tracking.for_tracking(parcel.carrier, parcel.tracking_number)
    scans = [Scan(s.status, s.country, s.city, s.postcode, s.occurred_at) for s in stored]
    sharing = uow.tracking.buyers_with_tracking(parcel.carrier, parcel.tracking_number)
    others = sorted(o for o, buyer in sharing.items() if buyer != order.buyer_id)
    shipment = Shipment(order.id, parcel.shipped_at, order.seller_country, order.ship_to.country,
                        order.ship_to.city, order.ship_to.postcode)  # fmt: skip
    had = {flag.signal for flag in parcel.tracking_flags}
    return [f for f in signals(shipment, scans, others, now, policy) if f.signal not in had]


def resolve_not_received(deps: Deps, uow: UnitOfWork, order: Order) -> Outcome:
    """Every open ``not_received`` dispute on an order carrying a decisive flag is settled
    now (when the flag is raised, or when the dispute is opened on a flagged order): a full
    refund, decided by the policy, naming the rule and the evidence. A dispute on named
    units is settled by a flag of a parcel holding some of them; a whole-order one by any."""
    if not order.disputed:
        return Outcome()
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    decisive = ctx.policy.tracking.resolve_not_received_at_once
    outcome = Outcome()
    for dispute_id in list(order.dispute_holds):
        d = uow.disputes.get(dispute_id, for_update=True)
        if d is None or d.reason is not DisputeReason.NOT_RECEIVED or not d.is_open:
            continue
        flags = order.tracking_flags if not d.units else [
            f for p in order.parcels
            if p.delivered_at is None and any(p.units.get(item) for item in d.units)
            for f in p.tracking_flags
        ]  # fmt: skip
        flag = next((f for f in flags if f.signal.value in decisive), None)
        if flag is None:
            continue
        outcome.merge(settle(
            ctx, d, order, refund_cap(order, d), False, DecidedBy.POLICY,
            rule=not_received_rule(flag.signal.value),
            rationale=f"tracking signal {flag.signal.value}: {flag.evidence}",
        ))  # fmt: skip
        uow.disputes.save(d)
    return outcome


def check_timer(deps: Deps, uow: UnitOfWork, order_id: str) -> str:
    """The worker's look at an order some days after shipment (no scans, stuck in origin)."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        return "skipped: order gone"
    new = check_order(deps, uow, order)
    if new:
        uow.orders.save(order)
    return f"flags: {', '.join(f.signal.value for f in new) or 'none new'}"
