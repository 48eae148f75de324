"""The longer hold of escrow a seller's standing puts on a new order (issue 19): the money
is released that many days after the dispute window closes, not at its close."""

from __future__ import annotations

from datetime import datetime, timedelta

from refundkit.domain.orders.model import Order


def release_due(order: Order, closes: datetime) -> datetime:
    """When an order whose protection ends at ``closes`` may release its money."""
    return closes + timedelta(days=order.escrow_hold_days)


def held_until(order: Order, now: datetime) -> datetime | None:
    """The end of a standing's hold still running at ``now``, or None."""
    closes = order.deadlines.dispute_closes_at or order.deadlines.delivery_deadline
    if not order.escrow_hold_days or closes is None:
        return None
    due = release_due(order, closes)
    return due if now < due else None
