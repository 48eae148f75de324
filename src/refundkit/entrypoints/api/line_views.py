"""The items of an order as the API shows them: ids, units and money per item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from refundkit.domain.disputes.lines import open_units
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.orders.lines import LineHolding, holdings
from refundkit.domain.orders.model import Order, Parcel
from refundkit.domain.orders.parcels import is_late, order_late
from refundkit.service.orders import OrderDetails


def item_out(h: LineHolding, m: Callable[[int], str]) -> dict[str, Any]:
    """An item with what its units went through and what they are worth (``m`` writes an
    amount of the order's currency)."""
    li = h.line
    return {
        "id": li.id, "sku": li.sku, "title": li.title, "category": li.category,
        "quantity": li.quantity,
        "unit_price": m(li.unit_price), "total": m(li.total),
        "units": {"shipped": h.shipped, "delivered": h.delivered, "disputed": h.disputed,
                  "refunded": h.refunded, "cancelled": h.cancelled},
        "amounts": {"total": m(li.total), "shipped": m(h.worth(h.shipped)),
                    "delivered": m(h.worth(h.delivered)), "disputed": m(h.worth(h.disputed)),
                    "refunded": m(h.refunded_amount), "refundable": m(h.refundable_amount)},
    }  # fmt: skip


def parcel_out(order: Order, p: Parcel, now: datetime) -> dict[str, Any]:
    """A parcel with its own tracking, deadline and flags."""
    return {
        "id": p.id, "status": p.status.value, "carrier": p.carrier,
        "tracking_number": p.tracking_number,
        "lines": [{"item_id": item_id, "quantity": n} for item_id, n in p.units.items()],
        "shipped_at": p.shipped_at, "delivery_deadline": p.delivery_deadline,
        "delivered_at": p.delivered_at, "late": is_late(order, p, now),
        "tracking_flags": [
            {"signal": f.signal.value, "raised_at": f.raised_at, "evidence": f.evidence}
            for f in p.tracking_flags
        ],
    }  # fmt: skip


def dispute_summary(d: Dispute, m: Callable[[int], str]) -> dict[str, Any]:
    """A dispute as the order lists it; ``GET /v1/disputes/{id}`` has the rest."""
    return {
        "id": d.id, "status": d.status.value, "reason": d.reason.value,
        "sub_reason": d.sub_reason, "requested_refund": m(d.requested_refund),
        "outcome": d.outcome.value if d.outcome else None,
        "refund_amount": None if d.refund_amount is None else m(d.refund_amount),
        "opened_at": d.opened_at, "resolved_at": d.resolved_at,
    }  # fmt: skip


def order_parts(found: OrderDetails, m: Callable[[int], str]) -> dict[str, Any]:
    """The order's ``items``, ``disputes`` (every one, oldest first; ``dispute_id`` is the
    one open now), ``parcels`` and ``late`` (a parcel past its delivery deadline with no
    delivery shown and no confirmation)."""
    order = found.order
    return {
        "items": [item_out(h, m) for h in holdings(order, open_units(order, found.disputes))],
        "disputes": [dispute_summary(d, m) for d in found.disputes],
        "parcels": [parcel_out(order, p, found.now) for p in order.parcels],
        "late": order_late(order, found.now),
    }
