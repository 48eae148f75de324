"""Carrier scans. A delivered scan marks the order delivered and starts the dispute
countdown; every new scan is checked for tracking signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from refundkit.domain.errors import Forbidden, InvalidTransition
from refundkit.domain.orders import lifecycle
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.roles import Role
from refundkit.service import disputes, tracking_signals
from refundkit.service.access import actor_of
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import TrackingScan, User
from refundkit.service.transactions import record

TRACKING_STATUSES = frozenset(
    {"info_received", "in_transit", "out_for_delivery", "delivered", "exception",
     "returned_to_sender"}
)  # fmt: skip


def ingest_scans(deps: Deps, uow: UnitOfWork, user: User, scans: Sequence[TrackingScan]) -> int:
    """Store new scans (a repeated scan is ignored) and act on deliveries; returns how many
    scans were new."""
    if user.role not in (Role.PLATFORM, Role.ADMIN):
        raise Forbidden("only the platform reports carrier scans")
    new = 0
    for scan in scans:
        if not uow.tracking.add_if_new(scan):
            continue
        new += 1
        if scan.status == "delivered":
            _deliver(deps, uow, user, scan)
            disputes.return_delivered(deps, uow, scan.carrier, scan.tracking_number,
                                      scan.occurred_at)  # fmt: skip
        check_shipments(deps, uow, scan.carrier, scan.tracking_number)
    return new


def as_shipped(uow: UnitOfWork, scans: Sequence[TrackingScan]) -> list[TrackingScan]:
    """Scans from a tracking aggregator name the carrier its own way (``dhl``, ``royal-mail``):
    each takes the carrier name an order or return was shipped with under that tracking
    number when the two agree ignoring case and punctuation, else keeps its own."""
    named: list[TrackingScan] = []
    for scan in scans:
        known = [c for c in uow.tracking.carriers_of(scan.tracking_number)
                 if _plain(c) == _plain(scan.carrier)]  # fmt: skip
        named.append(replace(scan, carrier=known[0]) if known else scan)
    return named


def _plain(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def check_shipments(
    deps: Deps, uow: UnitOfWork, carrier: str, tracking_number: str, *, but: str | None = None
) -> None:
    """Look for tracking signals on every order shipped with this carrier and number (``but``
    one the caller holds and checks itself)."""
    for order_id in uow.tracking.orders_with_tracking(carrier, tracking_number):
        if order_id == but:
            continue
        order = uow.orders.get(order_id, for_update=True)
        if order is not None and tracking_signals.check_order(deps, uow, order):
            uow.orders.save(order)


def _deliver(deps: Deps, uow: UnitOfWork, user: User, scan: TrackingScan) -> None:
    for order_id in uow.tracking.orders_with_tracking(scan.carrier, scan.tracking_number):
        order = uow.orders.get(order_id, for_update=True)
        if order is None or order.status is not OrderStatus.SHIPPED:
            continue
        ctx = deps.context(uow, actor_of(user), order.policy_version)
        try:
            outcome = lifecycle.mark_delivered(ctx, order, scan.occurred_at, scan.carrier,
                                               scan.tracking_number)  # fmt: skip
        except InvalidTransition:
            continue
        uow.orders.save(order)
        record(uow, outcome)
