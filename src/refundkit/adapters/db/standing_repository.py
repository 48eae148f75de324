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
from refundkit.service.standing_ports import Clearance, Exclusion, SellerFacts, UsedReturnReport


class SqlStandingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def seller_facts(self, seller_id: str, since: datetime) -> SellerFacts:
        o, d, c = t.orders, t.disputes, t.chargebacks
        window = sa.and_(o.c.seller_id == seller_id, o.c.paid_at >= since)
        orders = self._conn.execute(sa.select(sa.func.count()).where(window)).scalar_one()
        disputes = self._conn.execute(
            sa.select(d.c.order_id, d.c.id, d.c.outcome, d.c.decided_by, d.c.rule,
                      d.c.resolved_at)
            .select_from(d.join(o, o.c.id == d.c.order_id)).where(window)
            .where(d.c.outcome.is_not(None))
        )  # fmt: skip
        chargebacks = self._conn.execute(
            sa.select(c.c.order_id, c.c.id, c.c.status, c.c.opened_at)
            .select_from(c.join(o, o.c.id == c.c.order_id)).where(window)
        )  # fmt: skip
        return SellerFacts(int(orders), tuple(DisputeFact(*row) for row in disputes),
                           tuple(ChargebackFact(*row) for row in chargebacks))  # fmt: skip

    def buyer_facts(self, buyer_id: str, since: datetime) -> BuyerFacts:
        o, d, c, r = t.orders, t.disputes, t.chargebacks, t.refunds
        window = sa.and_(o.c.buyer_id == buyer_id, o.c.paid_at >= since)
        paid = [at for (at,) in self._conn.execute(sa.select(o.c.paid_at).where(window))]
        claims: list[datetime] = []
        after_delivery: list[datetime] = []
        for opened, reason, delivered in self._conn.execute(
            sa.select(d.c.opened_at, d.c.reason, o.c.delivered_at)
            .select_from(d.join(o, o.c.id == d.c.order_id)).where(window)
        ):  # fmt: skip
            claims.append(opened)
            if reason == "not_received" and delivered is not None and delivered <= opened:
                after_delivery.append(opened)
        refunded_before = (
            sa.select(r.c.id)
            .where(r.c.order_id == c.c.order_id, r.c.created_at <= c.c.opened_at)
            .exists()
        )
        after_refund = [at for (at,) in self._conn.execute(
            sa.select(c.c.opened_at).select_from(c.join(o, o.c.id == c.c.order_id))
            .where(window, refunded_before)
        )]  # fmt: skip
        u = t.used_return_reports
        used = [at for (at,) in self._conn.execute(
            sa.select(u.c.decided_at).where(u.c.buyer_id == buyer_id, u.c.status == "accepted",
                                            u.c.decided_at >= since)
        )]  # fmt: skip
        return BuyerFacts(tuple(paid), tuple(claims), tuple(after_delivery), tuple(after_refund),
                          tuple(used))  # fmt: skip

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
