"""Standing (issue 19) in SQL: the facts a reading needs, read in a few statements, and the
requests, clearances and reports beside them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

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
        count and the exclusions agreed, as rows of one ``UNION ALL`` told apart by kind."""
        return _seller(self._conn.execute(sa.union_all(*_seller_branches(seller_id, since))))

    def buyer_facts(self, buyer_id: str, since: datetime) -> BuyerFactsRead:
        """One statement: the window's orders paid, its claims (with the delivery scan
        they followed), its chargebacks after a refund, the used returns accepted and the
        agents' clearances, as rows of one ``UNION ALL`` told apart by kind."""
        return _buyer(self._conn.execute(sa.union_all(*_buyer_branches(buyer_id, since))))

    def parties_facts(
        self, seller_id: str, seller_since: datetime, buyer_id: str, buyer_since: datetime
    ) -> tuple[SellerFacts, BuyerFactsRead]:
        """The seller's facts and the buyer's in one statement (a new order or dispute
        needs both): the branches of both reads in one ``UNION ALL``, the buyer's kinds
        prefixed with ``b``."""
        rows = self._conn.execute(
            sa.union_all(
                *_seller_branches(seller_id, seller_since), *_buyer_branches(buyer_id, buyer_since)
            )
        )
        seller: list[sa.Row[Any]] = []
        buyer: list[sa.Row[Any]] = []
        for row in rows:
            (buyer if row[0].startswith("b") else seller).append(row)
        return _seller(seller), _buyer(buyer)

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


# Every fact read is rows of one shape: (kind, order_id, row_id, status, decided_by, rule, at,
# n, at2), each branch filling what it has; the others are NULLs of the column's type (so
# PostgreSQL types every column of the ``UNION ALL`` whatever branch comes first).
_SHAPE: tuple[tuple[str, Any], ...] = (
    ("order_id", t.orders.c.id.type), ("row_id", t.orders.c.id.type),
    ("status", sa.String()), ("decided_by", t.orders.c.id.type), ("rule", sa.String()),
    ("at", t.orders.c.paid_at.type), ("n", sa.Integer()), ("at2", t.orders.c.paid_at.type),
)  # fmt: skip


def _row(kind: str, **columns: Any) -> sa.Select[Any]:
    values = [columns.pop(name, None) for name, _ in _SHAPE]
    assert not columns, columns
    return sa.select(
        sa.literal(kind).label("kind"),
        *((sa.cast(sa.null(), type_) if value is None else value).label(name)
          for value, (name, type_) in zip(values, _SHAPE, strict=True)),
    )  # fmt: skip


def _seller_branches(seller_id: str, since: datetime) -> list[sa.Select[Any]]:
    o, d, c, x = t.orders, t.disputes, t.chargebacks, t.defect_exclusions
    window = sa.and_(o.c.seller_id == seller_id, o.c.paid_at >= since)
    return [
        _row("d", order_id=d.c.order_id, row_id=d.c.id, status=d.c.outcome,
             decided_by=d.c.decided_by, rule=d.c.rule, at=d.c.resolved_at)
        .select_from(d.join(o, o.c.id == d.c.order_id)).where(window, d.c.outcome.is_not(None)),
        _row("c", order_id=c.c.order_id, row_id=c.c.id, status=c.c.status, at=c.c.opened_at)
        .select_from(c.join(o, o.c.id == c.c.order_id)).where(window),
        _row("o", n=sa.func.count()).select_from(o).where(window),
        _row("x", order_id=x.c.order_id)
        .where(x.c.seller_id == seller_id, x.c.status == "accepted"),
    ]  # fmt: skip


def _seller(rows: Iterable[Sequence[Any]]) -> SellerFacts:
    orders = 0
    disputes: list[DisputeFact] = []
    chargebacks: list[ChargebackFact] = []
    excluded: set[str] = set()
    for kind, order_id, row_id, status, decided_by, rule, at, n, _ in rows:
        if kind == "d":
            disputes.append(DisputeFact(order_id, row_id, status, decided_by, rule, at))
        elif kind == "c":
            chargebacks.append(ChargebackFact(order_id, row_id, status, at))
        elif kind == "o":
            orders = int(n)
        else:
            excluded.add(order_id)
    return SellerFacts(orders, tuple(disputes), tuple(chargebacks), frozenset(excluded))


def _buyer_branches(buyer_id: str, since: datetime) -> list[sa.Select[Any]]:
    o, d, c, r = t.orders, t.disputes, t.chargebacks, t.refunds
    u, s = t.used_return_reports, t.signal_clearances
    window = sa.and_(o.c.buyer_id == buyer_id, o.c.paid_at >= since)
    refunded_before = (
        sa.select(r.c.id)
        .where(r.c.order_id == c.c.order_id, r.c.created_at <= c.c.opened_at)
        .exists()
    )
    return [
        _row("bd", at=d.c.opened_at, at2=o.c.delivered_at, status=d.c.reason)
        .select_from(d.join(o, o.c.id == d.c.order_id)).where(window),
        _row("bp", at=o.c.paid_at).where(window),
        _row("bc", at=c.c.opened_at)
        .select_from(c.join(o, o.c.id == c.c.order_id)).where(window, refunded_before),
        _row("bu", at=u.c.decided_at)
        .where(u.c.buyer_id == buyer_id, u.c.status == "accepted", u.c.decided_at >= since),
        _row("bs", at=s.c.cleared_at, status=s.c.signal).where(s.c.buyer_id == buyer_id),
    ]  # fmt: skip


def _buyer(rows: Iterable[sa.Row[Any]]) -> BuyerFactsRead:
    found: dict[str, list[datetime]] = {"p": [], "d": [], "n": [], "c": [], "u": []}
    cleared: dict[str, datetime] = {}
    for row in rows:
        kind, text, at, delivered = row.kind[1:], row.status, row.at, row.at2
        if kind == "s":
            if text not in cleared or cleared[text] < at:
                cleared[text] = at
            continue
        found[kind].append(at)
        if kind == "d" and text == "not_received" and delivered is not None and delivered <= at:
            found["n"].append(at)
    facts = BuyerFacts(*(tuple(sorted(found[k])) for k in ("p", "d", "n", "c", "u")))
    return BuyerFactsRead(facts, cleared)
