"""Disputes per line and quantity (issue 18, item 3): a dispute may name the units it is
about (``Dispute.units``, item id -> units; empty: the whole order, as before).

- Several disputes may be open at once on different units; two disputes never cover the
  same unit: the units an earlier dispute covers (any but a withdrawn one; a whole-order
  dispute covers every unit) cannot be named again (409 ``units_already_disputed``). A
  dispute without ``lines`` after others covers every shipped unit they leave
  (``whole_order_units``).
- A ``not_received`` dispute covers units of parcels not delivered, unless its sub-reason
  is ``missing_items`` (a parcel arrived without some units).
- Its cap is what those units can still give back: their price and their share of
  shipping (the fee split over the items by their totals, then over the item's units, by
  largest remainder), each within what its line (and the fee) may still give back. Its
  refund is split over those same parts by largest remainder, so it adds up to the cent and
  takes nothing from the other lines.
- While it is open, its cap stays in escrow as the dispute's hold (``orders/holds.py``);
  its refunds come out of that hold, and what it leaves goes to the seller when it ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute, DisputeReason, DisputeStatus
from refundkit.domain.errors import AmountExceedsRefundable, UnitsAlreadyDisputed, ValidationError
from refundkit.domain.money import Money, allocate
from refundkit.domain.orders import holds
from refundkit.domain.orders.escrow import refund_buyer
from refundkit.domain.orders.model import Order
from refundkit.domain.orders.opening import DisputeHistory
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


def free_units(order: Order, earlier: Sequence[Dispute]) -> dict[str, int]:
    """Shipped units of each item under no dispute but withdrawn ones (items with none
    omitted)."""
    covered = covered_units(order, earlier)
    left = {line.id: order.shipped_units(line.id) - covered.get(line.id, 0) for line in order.lines}
    return {item_id: n for item_id, n in left.items() if n > 0}


def history_of(order: Order, earlier: Sequence[Dispute]) -> DisputeHistory:
    """What opening another dispute on the order needs to know of these."""
    withdrawn = sum(d.status is DisputeStatus.WITHDRAWN for d in earlier)
    return DisputeHistory(withdrawn, not free_units(order, earlier))


def whole_order_units(order: Order, earlier: Sequence[Dispute]) -> dict[str, int]:
    """What a dispute without ``lines`` covers: the whole order (empty) when no other
    dispute stands, else every shipped unit the others leave."""
    if all(d.status is DisputeStatus.WITHDRAWN for d in earlier):
        return {}
    left = free_units(order, earlier)
    if not left:
        raise UnitsAlreadyDisputed("every unit of this order is under a dispute already",
                                   field="lines")  # fmt: skip
    return left


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
            raise UnitsAlreadyDisputed(
                f"{where}: only {max(free, 0)} unit(s) of {item_id} are not under another "
                "dispute", field=where, item_id=item_id, free=max(free, 0),
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


def new_hold(order: Order, units: dict[str, int]) -> tuple[int, ...] | None:
    """What a dispute on ``units`` holds of each part (their caps, outside the other
    disputes' holds); None for the whole order."""
    if not units:
        return None
    free = holds.free_room(order)
    return tuple(min(cap, left) for cap, left in zip(cap_parts(order, units), free, strict=True))


def dispute_parts(order: Order, d: Dispute) -> tuple[int, ...]:
    """What the dispute may still refund from each line, then from shipping: its hold while
    it holds the order, else what its units may give back outside the others' holds."""
    holding = d.id in order.dispute_holds
    held = order.dispute_holds[d.id] if holding else new_hold(order, d.units)
    return tuple(holds.free_room(order)) if held is None else held


def units_cap(order: Order, units: dict[str, int]) -> Money:
    """The most a new dispute on ``units`` may refund (empty: the whole order)."""
    held = new_hold(order, units)
    parts = holds.free_room(order) if held is None else held
    return min(order.refundable_money, order.money(sum(parts)))


def refund_cap(order: Order, d: Dispute) -> Money:
    """The most the dispute may refund now."""
    return min(order.refundable_money, order.money(sum(dispute_parts(order, d))))


def room_past(order: Order, d: Dispute, agreed: int) -> int:
    # Minor units: the postage arithmetic of ``returns`` is in the order's own currency.
    """What the dispute may refund on top of ``agreed`` (a return's postage the seller
    bears): the rest of its own parts, then, for a dispute on named units, what no dispute
    holds; never past what the order may still give back."""
    own = sum(dispute_parts(order, d))
    beyond = sum(holds.free_room(order)) if order.dispute_holds.get(d.id) is not None else 0
    return max(0, min(order.refundable, own + beyond) - agreed)


def refund_dispute(
    ctx: Context, order: Order, d: Dispute, money: Money, reason: str, advance_up_to: int = 0
) -> Outcome:
    """The refund of a dispute, out of its own parts (and its hold). What goes past them
    (a return's postage the seller bears) comes from what no dispute holds: once the
    undisputed money went to the seller, that part is clawed back from the seller, never
    taken from escrow, which keeps only the holds. ``advance_up_to``: the seller's balance
    a Fast Refund is taken from first (``disputes/advance.py``); what it advances is the
    dispute's ``advance``."""
    amount = (order.money(0) + money).minor  # refuses another currency than the order's
    caps = dispute_parts(order, d)
    base = min(amount, sum(caps))
    parts = allocate(base, list(caps)) if base else [0] * len(caps)
    if amount > base:
        free = holds.free_room(order)
        if order.dispute_holds.get(d.id) is None:  # its parts came out of the free room
            free = [max(0, f - p) for f, p in zip(free, parts, strict=True)]
        others = free
        if sum(others) < amount - base:
            raise AmountExceedsRefundable("the refund would take money held for a dispute")
        parts = [p + e for p, e in zip(parts, allocate(amount - base, others), strict=True)]
    holds.take(order, d.id, tuple(parts))
    escrow_at_most = base if holds.partly_released(order) else None
    outcome = refund_buyer(ctx, order, money, reason, parts=tuple(parts),
                           destination=RefundDestination(d.refund_destination),
                           escrow_at_most=escrow_at_most, advance_up_to=advance_up_to)  # fmt: skip
    for refund in outcome.refunds:
        if refund.advanced:
            refund.advance_dispute_id = d.id
            d.advance += refund.advanced
    return outcome
