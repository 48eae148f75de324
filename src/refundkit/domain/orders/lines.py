"""What each item of an order holds: how many of its units were shipped, delivered (in a
parcel with a delivered scan, or all shipped once the buyer confirmed receipt), are under an
open dispute, were refunded and were cancelled unshipped, and what those units are worth.

A unit counts as refunded once its whole price came back: a partial refund spread over the
lines (largest remainder, see ``domain/refunds.py``) gives back money, not units, so
``refunded`` units are the line's refunded amount divided by its unit price, rounded down,
while ``amounts.refunded`` is the exact money.
"""

from __future__ import annotations

from dataclasses import dataclass

from refundkit.domain.orders.model import Order, OrderLine


@dataclass(frozen=True, slots=True)
class LineHolding:
    line: OrderLine
    shipped: int
    delivered: int
    disputed: int
    refunded: int
    refunded_amount: int
    cancelled: int = 0
    """Units not shipped within the handling time, cancelled and refunded."""

    @property
    def item_id(self) -> str:
        return self.line.id

    @property
    def quantity(self) -> int:
        return self.line.quantity

    def worth(self, units: int) -> int:
        return units * self.line.unit_price

    @property
    def refundable_amount(self) -> int:
        return self.line.total - self.refunded_amount


def holdings(order: Order, disputed: dict[str, int] | None = None) -> list[LineHolding]:
    """Each line of ``order``, in order, with its units and their money. ``disputed`` is the
    units under open disputes by item (see ``disputes.lines.open_units``); None: every unit
    while a dispute is open."""
    refunded_by_line = order.line_refunds[:-1] or [0] * len(order.lines)
    found = []
    for line, refunded_amount in zip(order.lines, refunded_by_line, strict=True):
        shipped = order.shipped_units(line.id)
        delivered = (
            shipped
            if order.confirmed_at is not None
            else sum(p.units.get(line.id, 0) for p in order.parcels if p.delivered_at)
        )
        if disputed is not None:
            under_dispute = disputed.get(line.id, 0)
        else:
            under_dispute = line.quantity if order.disputed else 0
        refunded = min(line.quantity, refunded_amount // line.unit_price)
        cancelled = order.cancelled_units.get(line.id, 0)
        found.append(
            LineHolding(
                line, shipped, delivered, under_dispute, refunded, refunded_amount, cancelled
            )
        )
    return found
