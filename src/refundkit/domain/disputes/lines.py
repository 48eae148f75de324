"""Disputes per line and quantity (issue 18, item 3): a dispute may name the units it is
about (``Dispute.units``, item id -> units; empty: the whole order, as before).

- Two disputes never cover the same unit: the units an earlier dispute covers (any but a
  withdrawn one; a whole-order dispute covers every unit) cannot be named again.
- A ``not_received`` dispute covers units of parcels not delivered, unless its sub-reason
  is ``missing_items`` (a parcel arrived without some units).
- Its cap is what those units can still give back: their price and their share of
  shipping (the fee split over the items by their totals, then over the item's units, by
  largest remainder), each within what its line (and the fee) may still give back. Its
  refund is split over those same parts by largest remainder, so it adds up to the cent and
  takes nothing from the other lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute, DisputeReason, DisputeStatus
from refundkit.domain.errors import InvalidTransition, ValidationError
from refundkit.domain.money import Money, allocate
from refundkit.domain.orders.escrow import refund_buyer
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import RefundDestination

MISSING_ITEMS = "missing_items"


def covered_units(order: Order, disputes: Sequence[Dispute]) -> dict[str, int]:
    """Units each item already has under a dispute that was not withdrawn."""
    covered: dict[str, int] = {}
    for d in disputes:
        if d.status is DisputeStatus.WITHDRAWN:
            continue
        for line in order.lines:
            count = d.units.get(line.id, 0) if d.units else line.quantity
            covered[line.id] = covered.get(line.id, 0) + count
    return covered


def open_units(order: Order, disputes: Sequence[Dispute]) -> dict[str, int]:
    """Units each item has under a dispute still open."""
    return covered_units(order, [d for d in disputes if d.is_open])


def _undelivered(order: Order, item_id: str) -> int:
    """Units of the item in parcels with no delivered scan, none once receipt is confirmed."""
    if order.confirmed_at is not None:
        return 0
    return sum(p.units.get(item_id, 0) for p in order.parcels if p.delivered_at is None)


def read_units(
    order: Order, lines: Sequence[tuple[str, int]], earlier: Sequence[Dispute],
    reason: DisputeReason, sub_reason: str | None,
) -> dict[str, int]:  # fmt: skip
    """The units a buyer names, checked against the order and the earlier disputes."""
    if not lines:
        raise ValidationError("lines names at least one item (leave it out for the whole order)",
                              field="lines")  # fmt: skip
    covered = covered_units(order, earlier)
    units: dict[str, int] = {}
    for index, (item_id, quantity) in enumerate(lines):
        where = f"lines[{index}]"
        line = order.line(item_id)
        if line is None:
            raise ValidationError(f"{where}.item_id: no item {item_id} on this order", field=where)
        if item_id in units:
            raise ValidationError(f"{where}.item_id: {item_id} is named twice", field=where)
        shipped = order.shipped_units(item_id)
        if not 1 <= quantity <= shipped:
            raise ValidationError(
                f"{where}.quantity must be between 1 and {shipped}, the units shipped",
                field=where,
            )
        free = shipped - covered.get(item_id, 0)
        if quantity > free:
            raise InvalidTransition(
                f"{where}: only {max(free, 0)} unit(s) of {item_id} are not under another "
                "dispute", field=where,
            )  # fmt: skip
        lost = _undelivered(order, item_id)
        if reason is DisputeReason.NOT_RECEIVED and sub_reason != MISSING_ITEMS and quantity > lost:
            raise ValidationError(
                f"{where}: not_received covers units of parcels not delivered ({lost} of "
                f"{item_id}); for units missing from a delivered parcel, use the sub_reason "
                f"{MISSING_ITEMS}",
                field=where,
            )
        units[item_id] = quantity
    return units


def cap_parts(order: Order, units: dict[str, int]) -> tuple[int, ...]:
    """What the units may still give back from each line, then from shipping."""
    by_line = allocate(order.shipping_fee, [line.total for line in order.lines])
    room = order.refund_room_by_line
    parts: list[int] = []
    shipping = 0
    for line, share, left in zip(order.lines, by_line, room, strict=False):
        count = units.get(line.id, 0)
        parts.append(min(left, count * line.unit_price))
        if count and share:
            shipping += allocate(share, [count, line.quantity - count])[0]
    parts.append(min(room[-1], shipping))
    return tuple(parts)


def refund_cap(order: Order, units: dict[str, int]) -> Money:
    """The most a dispute on ``units`` may refund now (empty: the whole order)."""
    if not units:
        return order.refundable_money
    return min(order.refundable_money, order.money(sum(cap_parts(order, units))))


def refund_dispute(ctx: Context, order: Order, d: Dispute, amount: Money, reason: str) -> Outcome:
    """The refund of a dispute: over its own units' parts, else over the whole order."""
    destination = RefundDestination(d.refund_destination)
    if not d.units:
        return refund_buyer(ctx, order, amount, reason, destination=destination)
    caps = cap_parts(order, d.units)
    parts = tuple(allocate(amount.minor, list(caps))) if amount.minor else tuple(0 for _ in caps)
    return refund_buyer(ctx, order, amount, reason, parts=parts, destination=destination)
