"""Shipping an order in parcels (issue 18, item 2). Runs inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from refundkit.domain.orders.model import Order
from refundkit.domain.orders.parcels import ship_parcel
from refundkit.service import tracking, tracking_signals
from refundkit.service.access import actor_of, visible_order
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.transactions import record


def ship(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, carrier: str, tracking_number: str,
    lines: Sequence[tuple[str, int]] | None,
) -> Order:  # fmt: skip
    """Ship the units ``lines`` names (None: everything left) as one parcel. A tracking
    number already on another buyer's order flags both orders (the shipped order is saved
    first, so the others' check sees its number)."""
    order = visible_order(uow, user, order_id, for_update=True)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    record(uow, ship_parcel(ctx, order, carrier, tracking_number, lines))
    tracking_signals.check_order(deps, uow, order)
    uow.orders.save(order)
    parcel = order.parcels[-1]
    tracking.check_shipments(deps, uow, parcel.carrier, parcel.tracking_number, but=order.id)
    return order
