"""Standing (issue 19) in SQL: the facts a reading needs, read in a few statements, and the
requests, clearances and reports beside them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import insert_or_skip
from refundkit.domain.standing.buyer import BuyerFacts
from refundkit.domain.standing.seller import ChargebackFact, DisputeFact
from refundkit.service.standing_ports import (
    BuyerFactsRead,
    Clearance,
    Exclusion,
    SellerFacts,
    UsedReturnReport,
)


class SqlStandingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def seller_facts(self, seller_id: str, since: datetime) -> SellerFacts:
        """One statement: the window's decided disputes, its chargebacks, its orders'
        count and the exclusions agreed, as rows of one ``UNION ALL`` told apart by kind
        (the first branch types the columns)."""
        o, d, c, x = t.orders, t.disputes, t.chargebacks, t.defect_exclusions
        window = sa.and_(o.c.seller_id == seller_id, o.c.paid_at >= since)
        on_orders = d.join(o, o.c.id == d.c.order_id)
        query = sa.union_all(
            sa.select(sa.literal("d").label("kind"), d.c.order_id, d.c.id, d.c.outcome,
                      d.c.decided_by, d.c.rule, d.c.resolved_at,
                      sa.cast(sa.null(), sa.Integer).label("n"))
            .select_from(on_orders).where(window, d.c.outcome.is_not(None)),
            sa.select(sa.literal("c"), c.c.order_id, c.c.id, c.c.status, sa.null(), sa.null(),
                      c.c.opened_at, sa.null())
            .select_from(c.join(o, o.c.id == c.c.order_id)).where(window),
            sa.select(sa.literal("o"), sa.null(), sa.null(), sa.null(), sa.null(), sa.null(),
                      sa.null(), sa.func.count()).select_from(o).where(window),
            sa.select(sa.literal("x"), x.c.order_id, sa.null(), sa.null(), sa.null(),
                      sa.null(), sa.null(), sa.null())
            .where(x.c.seller_id == seller_id, x.c.status == "accepted"),
        )  # fmt: skip
        orders = 0
        disputes: list[DisputeFact] = []
        chargebacks: list[ChargebackFact] = []
        excluded: set[str] = set()
        for kind, order_id, row_id, status, decided_by, rule, at, n in self._conn.execute(query):
            if kind == "d":
                disputes.append(DisputeFact(order_id, row_id, status, decided_by, rule, at))
            elif kind == "c":
                chargebacks.append(ChargebackFact(order_id, row_id, status, at))
            elif kind == "o":
                orders = int(n)
            else:
                excluded.add(order_id)
        return SellerFacts(orders, tuple(disputes), tuple(chargebacks), frozenset(excluded))

    def buyer_facts(self, buyer_id: str, since: datetime) -> BuyerFactsRead:
        """One statement: the window's orders paid, its claims (with the delivery scan
        they followed), its chargebacks after a refund, the used returns accepted and the
        agents' clearances, as rows of one ``UNION ALL`` told apart by kind."""
        o, d, c, r = t.orders, t.disputes, t.chargebacks, t.refunds
        u, s = t.used_return_reports, t.signal_clearances
        window = sa.and_(o.c.buyer_id == buyer_id, o.c.paid_at >= since)
        refunded_before = (
            sa.select(r.c.id)
            .where(r.c.order_id == c.c.order_id, r.c.created_at <= c.c.opened_at)
            .exists()
        )
        query = sa.union_all(
            sa.select(sa.literal("d").label("kind"), d.c.opened_at.label("at"),
                      o.c.delivered_at.label("delivered_at"), d.c.reason.label("text"))
            .select_from(d.join(o, o.c.id == d.c.order_id)).where(window),
            sa.select(sa.literal("p"), o.c.paid_at, sa.null(), sa.null()).where(window),
            sa.select(sa.literal("c"), c.c.opened_at, sa.null(), sa.null())
            .select_from(c.join(o, o.c.id == c.c.order_id)).where(window, refunded_before),
            sa.select(sa.literal("u"), u.c.decided_at, sa.null(), sa.null())
            .where(u.c.buyer_id == buyer_id, u.c.status == "accepted", u.c.decided_at >= since),
            sa.select(sa.literal("s"), s.c.cleared_at, sa.null(), s.c.signal)
            .where(s.c.buyer_id == buyer_id),
        )  # fmt: skip
        found: dict[str, list[datetime]] = {"p": [], "d": [], "n": [], "c": [], "u": []}
        cleared: dict[str, datetime] = {}
        for kind, at, delivered, text in self._conn.execute(query):
            if kind == "s":
                if text not in cleared or cleared[text] < at:
                    cleared[text] = at
                continue
            found[kind].append(at)
            if kind == "d" and text == "not_received" and delivered is not None and delivered <= at:
                found["n"].append(at)
        facts = BuyerFacts(*(tuple(sorted(found[k])) for k in ("p", "d", "n", "c", "u")))
        return BuyerFactsRead(facts, cleared)

    def exclusions(self, seller_id: str) -> list[Exclusion]:
        x = t.defect_exclusions
        rows = self._conn.execute(
            sa.select(x).where(x.c.seller_id == seller_id).order_by(x.c.requested_at, x.c.id)
        ).mappings()
        return [Exclusion(**row) for row in rows]

    def exclusion(self, exclusion_id: str, *, for_update: bool = False) -> Exclusion | None:
        x = t.defect_exclusions
        query = sa.select(x).where(x.c.id == exclusion_id)
        row = self._conn.execute(query.with_for_update() if for_update else query).mappings()
        found = row.first()
        return Exclusion(**found) if found else None

    def add_exclusion(self, exclusion: Exclusion) -> bool:
        return self._insert(t.defect_exclusions, asdict(exclusion), "order_id")

    def save_exclusion(self, exclusion: Exclusion) -> None:
        x = t.defect_exclusions
        self._conn.execute(
            x.update().where(x.c.id == exclusion.id)
            .values(status=exclusion.status, decided_by=exclusion.decided_by,
                    note=exclusion.note, decided_at=exclusion.decided_at)
        )  # fmt: skip

    def clearances(self, buyer_id: str) -> list[Clearance]:
        s = t.signal_clearances
        rows = self._conn.execute(
            sa.select(s).where(s.c.buyer_id == buyer_id).order_by(s.c.cleared_at, s.c.id)
        ).mappings()
        return [Clearance(**row) for row in rows]

    def add_clearance(self, clearance: Clearance) -> None:
        self._conn.execute(t.signal_clearances.insert().values(**asdict(clearance)))

    def report(self, report_id: str, *, for_update: bool = False) -> UsedReturnReport | None:
        u = t.used_return_reports
        query = sa.select(u).where(u.c.id == report_id)
        found = self._conn.execute(query.with_for_update() if for_update else query)
        row = found.mappings().first()
        return UsedReturnReport(**row) if row else None

    def report_for(self, dispute_id: str) -> UsedReturnReport | None:
        u = t.used_return_reports
        row = self._conn.execute(sa.select(u).where(u.c.dispute_id == dispute_id)).mappings()
        found = row.first()
        return UsedReturnReport(**found) if found else None

    def add_report(self, report: UsedReturnReport) -> bool:
        return self._insert(t.used_return_reports, asdict(report), "dispute_id")

    def save_report(self, report: UsedReturnReport) -> None:
        u = t.used_return_reports
        self._conn.execute(
            u.update().where(u.c.id == report.id)
            .values(status=report.status, deduction=report.deduction,
                    decided_by=report.decided_by, decision_note=report.decision_note,
                    decided_at=report.decided_at)
        )  # fmt: skip

    def _insert(self, table: sa.Table, values: dict[str, object], unique: str) -> bool:
        """False when a row with the same ``unique`` column is there already."""
        # RETURNING, not rowcount: PostgreSQL's driver does not count a skipped row as 0.
        statement = insert_or_skip(self._conn, table).values(**values).returning(table.c.id)
        return self._conn.execute(statement).first() is not None
