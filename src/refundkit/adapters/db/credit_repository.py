"""Store credit (read from the journal: the ``store_credit:<buyer>`` accounts), each seller's
own returnless limits, and what ``ledger verify`` proves of credit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.paging import keyset_page
from refundkit.domain.credit_policy import SellerReturnless
from refundkit.domain.ledger import CREDIT_FUNDING, STORE_CREDIT_PREFIX, store_credit_account
from refundkit.service.credit_ports import CreditEntry


class SqlCreditRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def seller_returnless(self, seller_id: str) -> SellerReturnless | None:
        r = t.seller_returnless_rules
        row = self._conn.execute(sa.select(r).where(r.c.seller_id == seller_id)).mappings().first()
        if row is None:
            return None
        return SellerReturnless(
            max_price=tuple(sorted((c, int(v)) for c, v in row["max_price"].items())),
            reasons=None if row["reasons"] is None else frozenset(row["reasons"]),
            categories=None if row["categories"] is None else frozenset(row["categories"]),
        )

    def set_seller_returnless(
        self, seller_id: str, rules: SellerReturnless, *, now: datetime, by: str
    ) -> None:
        r = t.seller_returnless_rules
        values: dict[str, Any] = {
            "max_price": dict(rules.max_price),
            "reasons": None if rules.reasons is None else sorted(rules.reasons),
            "categories": None if rules.categories is None else sorted(rules.categories),
            "updated_at": now, "updated_by": by,
        }  # fmt: skip
        done = self._conn.execute(r.update().where(r.c.seller_id == seller_id).values(values))
        if done.rowcount == 0:
            self._conn.execute(r.insert().values(seller_id=seller_id, **values))

    def balances(self, buyer_id: str) -> dict[str, int]:
        p = t.postings
        rows = self._conn.execute(
            sa.select(p.c.currency, sa.func.sum(p.c.amount))
            .where(p.c.account == store_credit_account(buyer_id))
            .group_by(p.c.currency)
        ).all()
        return {currency: int(total) for currency, total in rows}

    def entries(
        self, buyer_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> list[CreditEntry]:  # fmt: skip
        p, j = t.postings, t.journal_entries
        sums = (
            sa.select(p.c.entry_id, p.c.currency, sa.func.sum(p.c.amount).label("amount"))
            .where(p.c.account == store_credit_account(buyer_id))
            .group_by(p.c.entry_id, p.c.currency)
            .subquery()
        )
        query = sa.select(sums, j.c.kind, j.c.occurred_at, j.c.order_id, j.c.memo).select_from(
            sums.join(j, j.c.id == sums.c.entry_id)
        )
        rows = keyset_page(self._conn, query, [sums.c.entry_id], sums.c.entry_id,
                           descending=True, starting_after=starting_after,
                           ending_before=ending_before, limit=limit)  # fmt: skip
        return [CreditEntry(r["entry_id"], r["kind"], r["occurred_at"], r["order_id"],
                            r["currency"], int(r["amount"]), r["memo"]) for r in rows]  # fmt: skip

    def granted_for_order(self, order_id: str, kind: str) -> bool:
        j = t.journal_entries
        found = self._conn.execute(
            sa.select(j.c.id).where(j.c.order_id == order_id, j.c.kind == kind).limit(1)
        ).first()
        return found is not None


def credit_violations(conn: Connection) -> list[str]:
    """Store credit never goes below zero, and every payment into it is an entry of a kind
    that may pay credit, taking the money only from the accounts that kind may fund it from;
    a refund to credit is as large as what its entry paid in."""
    p, j, r = t.postings, t.journal_entries, t.refunds
    found: list[str] = []
    credit = p.c.account.startswith(STORE_CREDIT_PREFIX, autoescape=True)
    for account, currency, total in conn.execute(
        sa.select(p.c.account, p.c.currency, sa.func.sum(p.c.amount))
        .where(credit)
        .group_by(p.c.account, p.c.currency)
        .having(sa.func.sum(p.c.amount) < 0)
    ):
        found.append(f"{account} is negative: {total} {currency}")
    into_credit = sa.select(p.c.entry_id).where(credit, p.c.amount > 0).subquery()
    rows = conn.execute(
        sa.select(j.c.id, j.c.kind, p.c.account, p.c.amount)
        .join(p, p.c.entry_id == j.c.id)
        .where(j.c.id.in_(sa.select(into_credit.c.entry_id)))
        .order_by(j.c.id, p.c.id)
    ).all()
    for entry_id, kind, account, amount in rows:
        sources = next((v for k, v in CREDIT_FUNDING.items() if k.value == kind), None)
        if sources is None:
            found.append(f"entry {entry_id} ({kind}) pays store credit but is no credit entry")
        elif amount < 0 and not account.startswith(sources):
            found.append(f"entry {entry_id} ({kind}) funds store credit from {account}, "
                         f"not from {', '.join(sources)}")  # fmt: skip
    to_credit = (
        sa.select(r.c.order_id, sa.func.sum(r.c.amount).label("total"))
        .where(r.c.destination == "store_credit", r.c.status == "succeeded")
        .group_by(r.c.order_id)
        .subquery()
    )
    paid = (
        sa.select(j.c.order_id, sa.func.sum(p.c.amount).label("total"))
        .join(p, p.c.entry_id == j.c.id)
        .where(j.c.kind == "refund_to_credit", credit)
        .group_by(j.c.order_id)
        .subquery()
    )
    for order_id, refunded, credited in conn.execute(
        sa.select(to_credit.c.order_id, to_credit.c.total, sa.func.coalesce(paid.c.total, 0))
        .outerjoin(paid, paid.c.order_id == to_credit.c.order_id)
        .where(to_credit.c.total != sa.func.coalesce(paid.c.total, 0))
    ):
        found.append(f"order {order_id}: refunds to store credit of {refunded}, but its "
                     f"credit entries paid {credited}")  # fmt: skip
    for order_id, credited in conn.execute(
        sa.select(paid.c.order_id, paid.c.total)
        .outerjoin(to_credit, to_credit.c.order_id == paid.c.order_id)
        .where(to_credit.c.order_id.is_(None))
    ):
        found.append(f"order {order_id}: credit entries paid {credited} as refunds, but it has "
                     "no refund to store credit")  # fmt: skip
    return found
