"""Read-side reports: the operator's dashboard, a seller's own record, and both parties'
history on an agent's case page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from refundkit.domain.disputes.model import Dispute, DisputeReason
from refundkit.domain.errors import NotFound
from refundkit.domain.roles import Role
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.web_ports import PartyRecord

STAFF = frozenset({Role.AGENT, Role.ADMIN})
RESOLUTION_BUCKETS = (("under 1 day", 1), ("1-3 days", 3), ("3-7 days", 7),
                      ("7-15 days", 15), ("15 days or more", None))  # fmt: skip
"""(label, upper bound in days; None: no bound)."""
WHO_DECIDED = {"policy": "automatic (policy)", "buyer": "agreed by the parties",
               "seller": "agreed by the parties", "agent": "agent"}  # fmt: skip


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True, slots=True)
class Dashboard:
    days: list[date]
    opened_by_reason: dict[str, list[int]]
    """Per reason, disputes opened on each of ``days``."""
    outcomes: dict[str, int]
    """Resolved disputes by who decided: automatic, the parties, an agent."""
    resolution_buckets: list[tuple[str, int]]
    median_resolution_hours: float | None
    refunds_per_day: dict[str, list[int]]
    """Per currency, minor units paid back on each of ``days``."""
    top_sellers: list[PartyRecord]


def dashboard(uow: UnitOfWork, user: User, now: datetime, days: int = 30) -> Dashboard:
    if user.role not in STAFF:
        raise NotFound("no such page")
    first = (now - timedelta(days=days - 1)).date()
    day_list = [first + timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(day_list)}
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    opened = {r.value: [0] * days for r in DisputeReason}
    outcomes: Counter[str] = Counter()
    durations: list[float] = []
    for fact in uow.reports.disputes_since(since):
        opened[fact.reason][index[fact.opened_at.date()]] += 1
        if fact.resolved_at is not None and fact.decided_by is not None:
            outcomes[WHO_DECIDED.get(fact.decided_by, fact.decided_by)] += 1
            durations.append((fact.resolved_at - fact.opened_at).total_seconds() / 3600)
    refunds: dict[str, list[int]] = {}
    for paid in uow.reports.refunds_paid_since(since):
        i = index.get(paid.succeeded_at.date())
        if i is not None:
            refunds.setdefault(paid.currency, [0] * days)[i] += paid.amount
    sellers = [s for s in uow.reports.seller_records() if s.orders > 0]
    sellers.sort(key=lambda s: (-rate(s.disputes, s.orders), -s.disputes, s.name))
    return Dashboard(
        days=day_list,
        opened_by_reason={k: v for k, v in opened.items() if any(v)},
        outcomes={label: outcomes.get(label, 0) for label in dict.fromkeys(WHO_DECIDED.values())},
        resolution_buckets=_buckets(durations),
        median_resolution_hours=_median(durations),
        refunds_per_day=refunds,
        top_sellers=sellers[:10],
    )


def _buckets(hours: list[float]) -> list[tuple[str, int]]:
    counts = []
    lower = 0.0
    for label, upper in RESOLUTION_BUCKETS:
        top = float("inf") if upper is None else upper * 24.0
        counts.append((label, sum(1 for h in hours if lower <= h < top)))
        lower = top
    return counts


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True, slots=True)
class SellerRecord:
    record: PartyRecord
    refunded: dict[str, int]
    """Refunds of the seller's orders, per currency (minor units), pending or paid."""


def seller_record(uow: UnitOfWork, seller: User) -> SellerRecord:
    if seller.role is not Role.SELLER:
        raise NotFound("no such page")
    found = uow.reports.seller_records([seller.id])
    record = found[0] if found else PartyRecord(seller.id, seller.name, 0, 0, 0, 0)
    return SellerRecord(record, uow.reports.refunded_by_currency(seller.id))


def party_history(uow: UnitOfWork, user: User, d: Dispute) -> tuple[PartyRecord, PartyRecord]:
    """(the buyer's, the seller's) record, for the agents only."""
    if user.role not in STAFF:
        raise NotFound("no such page")
    sellers = uow.reports.seller_records([d.seller_id])
    seller = sellers[0] if sellers else PartyRecord(d.seller_id, d.seller_id, 0, 0, 0, 0)
    return uow.reports.buyer_record(d.buyer_id), seller
