"""Parcels (issue 18, item 2): an order ships in one or more parcels, each with its own
carrier, tracking number, scans, tracking signals and delivery deadline.

A parcel is a table on the one engine (``domain/machine.py``): ``in_transit`` until a
delivered scan dated after its own shipment (``counts_as_delivery``), then ``delivered``.
The order moves on the order table: the first parcel ships it; it counts as delivered when
every parcel is delivered and nothing is left to ship (or when the buyer confirms); it is
*late* while any parcel is past its deadline undelivered. What is not shipped by
``ship_by`` is cancelled and refunded, units and their share of shipping, and the rest goes
on (``cancel_unshipped``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import ValidationError
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.machine import Guard, Machine, Transition
from refundkit.domain.money import allocate
from refundkit.domain.orders import holds, timers
from refundkit.domain.orders.machine import OrderAction, find_transition
from refundkit.domain.orders.model import Order, OrderStatus, Parcel, ParcelStatus
from refundkit.domain.reminders import window_timers
from refundkit.domain.roles import Role
from refundkit.domain.tracking import counts_as_delivery

MAX_PARCELS = 100


class ParcelAction(StrEnum):
    DELIVER = "deliver"


@dataclass(frozen=True, slots=True)
class ParcelFacts:
    parcel: Parcel
    scanned_at: datetime
    """When the carrier saw the delivery."""


def _scanned_after_shipment(facts: ParcelFacts, role: Role) -> str | None:
    if counts_as_delivery(facts.parcel.shipped_at, facts.scanned_at):
        return None
    return "the delivered scan is dated before the parcel was shipped"


PARCEL_MACHINE: Machine[ParcelStatus, ParcelAction, ParcelFacts] = Machine(
    noun="parcel",
    rows=(
        Transition(
            ParcelStatus.IN_TRANSIT, ParcelAction.DELIVER, (Role.PLATFORM,),
            ParcelStatus.DELIVERED,
            Guard("a delivered scan dated after the shipment", _scanned_after_shipment),
            due="delivery_deadline",
            on_timeout="the parcel is late; the buyer may dispute its units as not received",
        ),
    ),
    state_of=lambda f: f.parcel.status,
    deadline_of=lambda f, name: getattr(f.parcel, name),
)  # fmt: skip


def _event(ctx: Context, order: Order, kind: str, **data: Any) -> Event:
    return Event(kind, order.id, order.id, ctx.now, ctx.actor.role, ctx.actor.id, data)


def units_left(order: Order) -> dict[str, int]:
    """Every unit neither shipped nor cancelled, by item id (items with none left omitted)."""
    left = {line.id: order.units_to_ship(line.id) for line in order.lines}
    return {item_id: n for item_id, n in left.items() if n > 0}


def read_units(order: Order, lines: Sequence[tuple[str, int]]) -> dict[str, int]:
    """The ``lines`` a seller names for a parcel, checked against what is left to ship."""
    if not lines:
        raise ValidationError("a parcel holds at least one item", field="lines")
    units: dict[str, int] = {}
    for index, (item_id, quantity) in enumerate(lines):
        where = f"lines[{index}]"
        if order.line(item_id) is None:
            raise ValidationError(f"{where}.item_id: no item {item_id} on this order", field=where)
        if item_id in units:
            raise ValidationError(f"{where}.item_id: {item_id} is named twice", field=where)
        left = order.units_to_ship(item_id)
        if not 1 <= quantity <= left:
            raise ValidationError(
                f"{where}.quantity must be between 1 and {left}, the units of {item_id} "
                "left to ship"
                if left
                else f"{where}: every unit of {item_id} is shipped",
                field=where,
            )
        units[item_id] = quantity
    return units


def ship_parcel(
    ctx: Context, order: Order, carrier: str, tracking_number: str,
    lines: Sequence[tuple[str, int]] | None,
) -> Outcome:  # fmt: skip
    """Ship the units ``lines`` names (None: everything left) as one parcel."""
    if not carrier.strip() or not tracking_number.strip():
        raise ValidationError("carrier and tracking_number are required", field="tracking_number")
    was_requested = order.status is OrderStatus.CANCEL_REQUESTED
    row = find_transition(order, OrderAction.SHIP, ctx.actor.role, ctx.now, ctx.policy)
    units = units_left(order) if lines is None else read_units(order, lines)
    if len(order.parcels) >= MAX_PARCELS:
        raise ValidationError(f"an order ships in at most {MAX_PARCELS} parcels", field="lines")
    assert row.target is not None
    order.status = row.target
    days = order.promised_delivery_days + order.extension_days_granted
    parcel = Parcel(ctx.ids.new("pcl"), carrier.strip(), tracking_number.strip(), ctx.now,
                    ctx.now + timedelta(days=days), units)  # fmt: skip
    first = not order.parcels
    order.parcels.append(parcel)
    d = order.deadlines
    d.cancel_respond_by = None
    d.delivery_deadline = max(p.delivery_deadline for p in order.parcels)
    d.dispute_closes_at = d.delivery_deadline
    events = []
    if was_requested:
        events.append(_event(ctx, order, "order.cancellation_rejected", reason="shipped"))
    if first:
        order.shipped_at = ctx.now
        order.carrier, order.tracking_number = parcel.carrier, parcel.tracking_number
        d.dispute_opens_at = ctx.now + ctx.policy.protection.dispute_opens_after_shipment
    kind = "order.shipped" if first else "order.parcel_shipped"
    events.append(_event(ctx, order, kind, carrier=parcel.carrier,
                         tracking_number=parcel.tracking_number, parcel_id=parcel.id,
                         units=dict(units)))  # fmt: skip
    checks = {ctx.now + ctx.policy.tracking.no_info_after,
              ctx.now + ctx.policy.tracking.stuck_in_origin_after}  # fmt: skip
    late = []
    if ctx.policy.compensation.late_credit_for(order.currency) > 0:
        late = [
            TimerRequest(
                timers.LATE_DELIVERY_CREDIT,
                order.id,
                parcel.delivery_deadline
                + timedelta(hours=ctx.policy.compensation.late_delivery_after_hours),
            )
        ]
    return Outcome(
        events=events,
        timers=[*window_timers(ctx, order), *late,
                *(TimerRequest(timers.TRACKING_CHECK, order.id, at) for at in sorted(checks))],
    )  # fmt: skip


def deliver_parcels(
    ctx: Context, order: Order, carrier: str, tracking_number: str, delivered_at: datetime
) -> list[Parcel]:
    """A delivered scan for ``carrier`` and ``tracking_number``: every parcel of the order
    under that number still in transit, shipped before the scan, is delivered (at the scan's
    time, capped at now). A scan dated before a parcel's shipment delivers nothing of it."""
    delivered = []
    for parcel in order.parcels:
        if (parcel.carrier, parcel.tracking_number) != (carrier, tracking_number):
            continue
        facts = ParcelFacts(parcel, delivered_at)
        if not PARCEL_MACHINE.allowed(facts, ParcelAction.DELIVER, Role.PLATFORM):
            continue
        parcel.delivered_at = min(delivered_at, ctx.now)
        delivered.append(parcel)
    return delivered


def all_delivered(order: Order) -> bool:
    return (
        bool(order.parcels)
        and order.everything_shipped
        and all(p.status is ParcelStatus.DELIVERED for p in order.parcels)
    )


def is_late(order: Order, parcel: Parcel, now: datetime) -> bool:
    """Past its delivery deadline with no delivered scan and no confirmation."""
    return (
        parcel.delivered_at is None
        and order.confirmed_at is None
        and now >= parcel.delivery_deadline
    )


def order_late(order: Order, now: datetime) -> bool:
    return any(is_late(order, p, now) for p in order.parcels)


def extend_parcels(order: Order, days: int) -> None:
    """An approved protection extension moves every undelivered parcel's deadline."""
    for parcel in order.parcels:
        if parcel.delivered_at is None:
            parcel.delivery_deadline += timedelta(days=days)


def unit_shipping_shares(order: Order) -> dict[str, list[int]]:
    """The shipping fee split over the items by their totals, then each item's share over
    its units, both by largest remainder: all the shares add up to the fee to the cent."""
    by_line = allocate(order.shipping_fee, [line.total for line in order.lines])
    return {
        line.id: allocate(share, [1] * line.quantity)
        for line, share in zip(order.lines, by_line, strict=True)
    }


def cancellation_parts(order: Order, units: dict[str, int]) -> tuple[int, ...]:
    """What cancelling ``units`` gives back from each line, then from shipping: the units'
    price and their shipping share (the last units of each item), within what each line and
    the fee may still give back."""
    shares = unit_shipping_shares(order)
    room = holds.free_room(order)  # never what a dispute holds
    parts = []
    shipping = 0
    for line, left in zip(order.lines, room, strict=False):
        count = units.get(line.id, 0)
        parts.append(min(left, count * line.unit_price))
        shipping += sum(shares[line.id][line.quantity - count :]) if count else 0
    parts.append(min(room[-1], shipping))
    return tuple(parts)
