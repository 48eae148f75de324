"""What the web pages show of an order and of a dispute, read in one transaction through
the same visibility rules as the API (a foreign id is the 404 of an unknown one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from refundkit.domain.disputes.model import SUB_REASONS, Dispute, DisputeReason
from refundkit.domain.disputes.suggestion import Suggestion, suggest_decision
from refundkit.domain.refunds import Refund
from refundkit.service import disputes, files, orders, reports, standing
from refundkit.service.deps import Deps
from refundkit.service.disputes import DisputeDetails
from refundkit.service.file_ports import Evidence
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import DisputeNote, StoredEvent, TrackingScan, User
from refundkit.service.standing import BuyerView, SellerView
from refundkit.service.web_ports import PartyRecord

MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class OrderPage:
    found: OrderDetails
    events: Sequence[StoredEvent]
    scans: Sequence[TrackingScan]
    refunds: Sequence[Refund]
    disputes: list[Dispute]
    seller_name: str
    buyer_name: str
    parcel_scans: dict[str, Sequence[TrackingScan]] = field(default_factory=dict)
    """Parcel id -> the carrier's scans of its tracking number (one read per number)."""


def order_page(deps: Deps, uow: UnitOfWork, user: User, order_id: str) -> OrderPage:
    found = orders.get_order(deps, uow, user, order_id)
    order = found.order
    scans: Sequence[TrackingScan] = ()
    if order.carrier and order.tracking_number:
        scans = uow.tracking.for_tracking(order.carrier, order.tracking_number)
    by_number = {(order.carrier, order.tracking_number): scans}
    for p in order.parcels:
        if (p.carrier, p.tracking_number) not in by_number:
            by_number[p.carrier, p.tracking_number] = uow.tracking.for_tracking(
                p.carrier, p.tracking_number
            )
    parcel_scans = {p.id: by_number[p.carrier, p.tracking_number] for p in order.parcels}
    seller = uow.users.get(order.seller_id)
    buyer = uow.users.get(order.buyer_id)
    return OrderPage(
        found=found,
        events=uow.events.for_order(order.id, starting_after=None, limit=500),
        scans=scans,
        refunds=uow.refunds.list_for_order(order.id, starting_after=None, limit=MAX_LISTED),
        disputes=uow.disputes.for_order(order.id),
        seller_name=seller.name if seller else order.seller_id,
        buyer_name=buyer.name if buyer else order.buyer_id,
        parcel_scans=parcel_scans,
    )


@dataclass(frozen=True, slots=True)
class StaffView:
    """What only agents see on a case: the suggestion and both parties' history."""

    suggestion: Suggestion
    buyer: PartyRecord
    seller: PartyRecord
    open_appeal: dict[str, Any] | None
    seller_standing: SellerView | None = None
    """Both parties' standing and the rules behind it (issue 19)."""
    buyer_standing: BuyerView | None = None


@dataclass(frozen=True, slots=True)
class DisputePage:
    found: DisputeDetails
    order: OrderPage
    messages: list[DisputeNote]
    evidence: Sequence[Evidence]
    evidence_requests: list[dict[str, Any]]
    appealed: bool
    staff: StaffView | None


def dispute_page(deps: Deps, uow: UnitOfWork, user: User, dispute_id: str) -> DisputePage:
    d = disputes.visible_dispute(uow, user, dispute_id)
    order = order_page(deps, uow, user, d.order_id)
    found = disputes.details(deps, d, order.found.order.currency)
    evidence = files.evidence_of(uow, d.id)
    staff = None
    if user.role in reports.STAFF:
        buyer, seller = reports.party_history(uow, user, d)
        staff = StaffView(suggest_decision(d, order.found.order, len(evidence)), buyer, seller,
                          uow.disputes.open_appeal(d.id),
                          standing.seller_view(deps, uow, d.seller_id),
                          standing.buyer_view(deps, uow, d.buyer_id))  # fmt: skip
    return DisputePage(
        found=found,
        order=order,
        messages=uow.disputes.notes(d.id),
        evidence=evidence,
        evidence_requests=uow.disputes.evidence_requests(d.id),
        appealed=d.appealed,
        staff=staff,
    )


def my_orders(deps: Deps, uow: UnitOfWork, user: User) -> list[OrderDetails]:
    return orders.list_orders(deps, uow, user, status=None, starting_after=None,
                              limit=MAX_LISTED)[0]  # fmt: skip


def my_disputes(deps: Deps, uow: UnitOfWork, user: User) -> list[DisputeDetails]:
    return disputes.list_disputes(deps, uow, user, status=None, starting_after=None,
                                  limit=MAX_LISTED)[0]  # fmt: skip


def sub_reasons() -> dict[str, list[str]]:
    """Every dispute reason a buyer may give, with its sub-reasons (the form's choices)."""
    return {r.value: sorted(SUB_REASONS[r]) for r in DisputeReason}
