"""What the pages show and check of an order's items (issue 18, item 5): the units a buyer
may still dispute, the units a seller has left to ship, and the lines of a dispute with
what each may still refund. Read helpers only: every rule is decided again by the use case
(``disputes.open_dispute``, ``shipments.ship``); these give the forms their bounds and their
messages in the words of the page (item titles, not ids)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.disputes.lines import (
    MISSING_ITEMS,
    cap_parts,
    covered_units,
    open_units,
    refund_cap,
    units_cap,
)
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import ValidationError
from refundkit.domain.orders.lines import LineHolding, holdings
from refundkit.domain.orders.model import Order, OrderLine
from refundkit.domain.orders.parcels import is_late
from refundkit.domain.tracking import Flag


@dataclass(frozen=True, slots=True)
class DisputableItem:
    line: OrderLine
    shipped: int
    disputed: int
    """Units under another dispute (any but a withdrawn one)."""
    refunded: int
    """Units whose whole price already came back."""
    left: int
    """Units the buyer may still dispute: shipped, not under another dispute, not refunded."""


def disputable_items(order: Order, disputes: Sequence[Dispute]) -> list[DisputableItem]:
    covered = covered_units(order, disputes)
    found = []
    for h in holdings(order, covered):
        free = h.shipped - h.disputed
        # A refunded unit may also be a disputed one (its dispute refunded it): the tighter
        # of the two bounds, never below zero.
        left = max(0, min(free, h.quantity - h.refunded - h.cancelled))
        found.append(DisputableItem(h.line, h.shipped, h.disputed, h.refunded, left))
    return found


def item_holdings(order: Order, disputes: Sequence[Dispute]) -> list[LineHolding]:
    """Each item with its units shipped, delivered, under an open dispute, refunded."""
    return holdings(order, open_units(order, disputes))


def missing_items_applies(order: Order) -> bool:
    """``missing_items`` (a parcel arrived without some units) needs a parcel that arrived."""
    return order.confirmed_at is not None or any(p.delivered_at for p in order.parcels)


def sub_reasons_for(order: Order | None, every: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form's sub-reason choices for this order: ``missing_items`` only where it applies
    (None: no order named, every choice)."""
    if order is None or missing_items_applies(order):
        return every
    return {r: [s for s in subs if s != MISSING_ITEMS] for r, subs in every.items()}


def read_dispute_picks(
    items: Sequence[DisputableItem], quantities: dict[str, str]
) -> tuple[tuple[str, int], ...] | None:
    """The units of each item chosen (an empty choice: not that item), within what is left
    to dispute, for the refund field's maximum (``ValidationError`` with ``field``
    ``qty-<item id>`` and the item's title otherwise). Nothing chosen: None, the whole order.
    Opening the dispute is the use case's check, not this one."""
    by_id = {i.line.id: i for i in items}
    lines: list[tuple[str, int]] = []
    for item_id, posted in quantities.items():
        text = posted.strip()
        if not text:
            continue
        item = by_id.get(item_id)
        if item is None:
            raise ValidationError("an item you chose is not on this order", field="items")
        field = f"qty-{item_id}"
        quantity = int(text) if text.isdigit() else 0
        if not 1 <= quantity <= item.left:
            raise ValidationError(left_to_dispute(item), field=field)
        lines.append((item_id, quantity))
    return tuple(lines) or None


def left_to_dispute(item: DisputableItem) -> str:
    if item.left == 0:
        return f"{item.line.title}: no unit is left to dispute"
    return (
        f"{item.line.title}: only {item.left} of {item.line.quantity} unit(s) can still be "
        "disputed (the others are not shipped, under another dispute or refunded)"
    )


def picked_cap(order: Order, lines: Sequence[tuple[str, int]] | None) -> int:
    """The most a dispute on those units may ask (None: the whole order)."""
    return units_cap(order, dict(lines or ())).minor


@dataclass(frozen=True, slots=True)
class ShippableItem:
    line: OrderLine
    shipped: int
    cancelled: int
    left: int


def shippable_items(order: Order) -> list[ShippableItem]:
    return [
        ShippableItem(h.line, h.shipped, h.cancelled, order.units_to_ship(h.item_id))
        for h in holdings(order, {})
    ]


def left_to_ship(order: Order, item_id: str) -> str:
    """``Cup: only 1 of 3 units is left to ship`` (empty for an item not on the order)."""
    line = order.line(item_id)
    if line is None:
        return ""
    left = order.units_to_ship(item_id)
    if left == 0:
        return f"{line.title}: every unit is shipped or cancelled, none is left to ship"
    return f"{line.title}: only {left} of {line.quantity} unit(s) left to ship"


@dataclass(frozen=True, slots=True)
class DisputedLine:
    line: OrderLine
    quantity: int
    worth: int
    """The units' price."""
    cap: int
    """What those units may still give back from their line."""


@dataclass(frozen=True, slots=True)
class DisputedLines:
    lines: list[DisputedLine]
    shipping_cap: int
    """Their share of shipping, within what the fee may still give back."""
    cap: int
    """The most the dispute may still refund (the order's refundable amount at most)."""
    whole_order: bool


def disputed_lines(order: Order, d: Dispute) -> DisputedLines:
    """The lines a dispute is about: the units it names, or every unit of the whole order."""
    units = d.units or {line.id: line.quantity for line in order.lines}
    parts = cap_parts(order, units)
    shown = [
        DisputedLine(line, units[line.id], units[line.id] * line.unit_price, part)
        for line, part in zip(order.lines, parts, strict=False)
        if units.get(line.id)
    ]
    return DisputedLines(shown, parts[-1], refund_cap(order, d).minor, not d.units)


def order_only_flags(order: Order) -> list[Flag]:
    """The order's tracking flags no parcel shows itself (the pages list each parcel's own
    beside it)."""
    on_parcels = {f.signal for p in order.parcels for f in p.tracking_flags}
    return [f for f in order.tracking_flags if f.signal not in on_parcels]


def late_parcels(order: Order, now: datetime) -> set[str]:
    return {p.id for p in order.parcels if is_late(order, p, now)}
