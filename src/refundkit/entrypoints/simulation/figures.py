"""What a simulated run did, read back from the database it ran on: the orders, the disputes,
the ledger (who bore each refund), the timers that fired, the flags raised."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.domain.disputes import timers as dispute_timers
from refundkit.domain.ledger import EntryKind
from refundkit.domain.orders import timers as order_timers

MISSED = {
    order_timers.EXPIRE: "buyer did not pay (order expired)",
    order_timers.AUTO_CANCEL: "seller did not ship in time (auto-cancelled)",
    order_timers.CANCELLATION_SILENCE: "seller did not answer a cancellation request",
    dispute_timers.SELLER_SILENCE: "seller did not answer a dispute (accepted)",
    dispute_timers.AUTO_ESCALATE: "no agreement in the negotiation window (escalated)",
    dispute_timers.RETURN_LAPSE: "buyer did not send the return (closed)",
    dispute_timers.RETURN_SILENCE: "seller did not confirm a returned parcel (refunded)",
}
AGENT_SLA = "agent decided after the SLA (or not yet)"
RESOLUTION_BUCKETS = ((1, "< 1 d"), (3, "1-3 d"), (7, "3-7 d"), (15, "7-15 d"), (30, "15-30 d"),
                      (10**6, "30 d +"))  # fmt: skip


@dataclass
class MoneyFigures:
    """One currency, in minor units."""

    paid: int = 0
    refunded: int = 0
    from_escrow: int = 0
    """Refunds taken from escrow before the seller was paid: the seller's sale, undone."""
    clawed_back: int = 0
    """Taken back from the seller's balance after release (what the platform advanced too)."""
    commission_back: int = 0
    """Commission the platform gave back on refunds after release."""
    cover_outstanding: int = 0
    """Paid by the platform for sellers whose balance could not, not yet recovered."""
    released: int = 0
    commission: int = 0

    @property
    def seller_bore(self) -> int:
        return self.from_escrow + self.clawed_back - self.cover_outstanding

    @property
    def platform_bore(self) -> int:
        return self.commission_back + self.cover_outstanding


@dataclass
class Figures:
    policy_version: str
    orders: int = 0
    orders_by_status: Counter[str] = field(default_factory=Counter)
    disputes: int = 0
    outcomes_by_reason: dict[str, Counter[str]] = field(default_factory=dict)
    decided_by: Counter[str] = field(default_factory=Counter)
    resolution_days: list[float] = field(default_factory=list)
    resolution_by_decider: dict[str, list[float]] = field(default_factory=dict)
    money: dict[str, MoneyFigures] = field(default_factory=dict)
    deadlines_missed: Counter[str] = field(default_factory=Counter)
    flagged_sellers: dict[str, set[str]] = field(default_factory=dict)
    disputed_sellers: set[str] = field(default_factory=set)
    """Sellers with at least 10 % of their paid orders disputed (and at least 3 disputes)."""
    ledger_problems: list[str] = field(default_factory=list)
    journal_entries: int = 0

    @property
    def automatic(self) -> int:
        return self.decided_by.get("policy", 0)

    @property
    def by_agents(self) -> int:
        return self.decided_by.get("agent", 0)


def read_figures(engine: Engine, policy_version: str, now: datetime) -> Figures:
    f = Figures(policy_version)
    with engine.connect() as conn:
        for status, count in conn.execute(
            sa.select(t.orders.c.status, sa.func.count()).group_by(t.orders.c.status)
        ):
            f.orders_by_status[status] = count
        f.orders = sum(f.orders_by_status.values())
        _disputes(conn, f, now)
        _money(conn, f)
        for kind, count in conn.execute(
            sa.select(t.timers.c.kind, sa.func.count())
            .where(t.timers.c.result.like("fired%"))
            .group_by(t.timers.c.kind)
        ):
            if kind in MISSED:
                f.deadlines_missed[MISSED[kind]] = count
        _sellers(conn, f)
        f.ledger_problems = invariant_violations(conn)
        f.journal_entries = conn.execute(
            sa.select(sa.func.count()).select_from(t.journal_entries)
        ).scalar_one()
    return f


def _disputes(conn: sa.Connection, f: Figures, now: datetime) -> None:
    d = t.disputes
    rows = conn.execute(sa.select(d.c.reason, d.c.status, d.c.outcome, d.c.decided_by,
                                  d.c.opened_at, d.c.resolved_at, d.c.agent_due_by))  # fmt: skip
    for reason, status, outcome, decided_by, opened, resolved, agent_due in rows:
        f.disputes += 1
        label = outcome or ("withdrawn" if status == "withdrawn" else f"open ({status})")
        f.outcomes_by_reason.setdefault(reason, Counter())[label] += 1
        if decided_by:
            f.decided_by[decided_by] += 1
        if resolved is not None and outcome:
            days = (resolved - opened).total_seconds() / 86400
            f.resolution_days.append(days)
            f.resolution_by_decider.setdefault(decided_by or "?", []).append(days)
        if agent_due is not None and (resolved or now) > agent_due:
            f.deadlines_missed[AGENT_SLA] += 1


def _category(column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    return sa.case(
        (column.like("escrow:%"), "escrow"),
        (column.like("seller_payable:%"), "seller_payable"),
        (column.like("seller_debt:%"), "seller_debt"),
        else_=column,
    )


def _money(conn: sa.Connection, f: Figures) -> None:
    p, je = t.postings, t.journal_entries
    category = _category(p.c.account).label("category")
    rows = conn.execute(
        sa.select(je.c.kind, category, p.c.currency, sa.func.sum(p.c.amount))
        .select_from(p.join(je, je.c.id == p.c.entry_id))
        .group_by(je.c.kind, category, p.c.currency)
    )
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for kind, cat, currency, total in rows:
        sums[(kind, cat, currency)] = int(total)
        f.money.setdefault(currency, MoneyFigures())

    def of(kinds: tuple[EntryKind, ...], cat: str, currency: str) -> int:
        return sum(sums.get((k.value, cat, currency), 0) for k in kinds)

    undo = (EntryKind.REFUND_RESERVED, EntryKind.REFUND_REVERSED)
    for currency, m in f.money.items():
        m.paid = of((EntryKind.PAYMENT_HELD,), "escrow", currency)
        m.refunded = of((EntryKind.REFUND_PAID_OUT,), "psp_clearing", currency)
        # A Fast Refund the seller's balance advanced is escrow's once it is repaid.
        repaid = of((EntryKind.ADVANCE_REPAID,), "seller_payable", currency)
        m.from_escrow = -of(undo, "escrow", currency) + repaid
        m.clawed_back = -of(undo, "seller_payable", currency) - repaid
        m.commission_back = -of(undo, "platform_commission", currency)
        m.released = of((EntryKind.FUNDS_RELEASED,), "seller_payable", currency)
        m.commission = of((EntryKind.FUNDS_RELEASED,), "platform_commission", currency)
        m.cover_outstanding = -sum(v for (_, cat, cur), v in sums.items()
                                   if cat == "seller_debt" and cur == currency)  # fmt: skip


def _sellers(conn: sa.Connection, f: Figures) -> None:
    o = t.orders
    paid: Counter[str] = Counter()
    for seller, flags, paid_at in conn.execute(sa.select(o.c.seller_id, o.c.tracking_flags,
                                                         o.c.paid_at)):  # fmt: skip
        if paid_at is not None:
            paid[seller] += 1
        for flag in flags or []:
            f.flagged_sellers.setdefault(flag["signal"], set()).add(seller)
    disputed = Counter(seller for (seller,) in conn.execute(sa.select(t.disputes.c.seller_id)))
    f.disputed_sellers = {s for s, n in disputed.items() if n >= 3 and n * 10 >= paid[s]}


def resolution_histogram(days: list[float]) -> list[tuple[str, int]]:
    counts = Counter(next(label for top, label in RESOLUTION_BUCKETS if d < top) for d in days)
    return [(label, counts.get(label, 0)) for _, label in RESOLUTION_BUCKETS]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
