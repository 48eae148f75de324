"""Chargebacks, mapped by hand between rows and domain objects; and what ``ledger verify``
proves about them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import locked
from refundkit.domain.chargebacks.model import ENDED, Chargeback, ChargebackStatus
from refundkit.domain.ledger import CHARGEBACK_PREFIX

_FIELDS = (
    "id", "order_id", "psp", "psp_reference", "amount", "currency", "reason", "fee",
    "opened_at", "funds_withdrawn_at", "closed_at", "counted", "recovered_from_seller",
    "borne_by_platform", "suspended_dispute_id", "evidence",
)  # fmt: skip


class SqlChargebackRepository:
    """``for_orders`` is read once per order and transaction (an answer and the webhook
    object of its event both show the order's chargebacks); a write here forgets it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._by_order: dict[str, list[Chargeback]] = {}

    def forget_seen(self) -> None:
        self._by_order.clear()

    def add(self, chargeback: Chargeback) -> None:
        self._by_order.clear()
        self._conn.execute(t.chargebacks.insert(), _values(chargeback))

    def get(self, chargeback_id: str, *, for_update: bool = False) -> Chargeback | None:
        return self._one(t.chargebacks.c.id == chargeback_id, for_update)

    def by_psp_reference(
        self, psp: str, psp_reference: str, *, for_update: bool = False
    ) -> Chargeback | None:
        c = t.chargebacks.c
        return self._one(sa.and_(c.psp == psp, c.psp_reference == psp_reference), for_update)

    def save(self, chargeback: Chargeback) -> None:
        self._by_order.clear()
        values = _values(chargeback)
        del values["id"]
        self._conn.execute(
            t.chargebacks.update().where(t.chargebacks.c.id == chargeback.id).values(values)
        )

    def for_order(self, order_id: str) -> list[Chargeback]:
        return self.for_orders([order_id]).get(order_id, [])

    def for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Chargeback]]:
        missing = [i for i in dict.fromkeys(order_ids) if i not in self._by_order]
        if missing:
            query = (
                sa.select(t.chargebacks)
                .where(t.chargebacks.c.order_id.in_(missing))
                .order_by(t.chargebacks.c.opened_at, t.chargebacks.c.id)
            )
            read: dict[str, list[Chargeback]] = {i: [] for i in missing}
            for row in self._conn.execute(query).mappings():
                read[row["order_id"]].append(_chargeback(row))
            self._by_order.update(read)
        return {i: list(self._by_order[i]) for i in order_ids if self._by_order[i]}

    def order_paid_with(self, references: Sequence[str]) -> str | None:
        wanted = [r for r in references if r]
        if not wanted:
            return None
        found = self._conn.execute(
            sa.select(t.orders.c.id)
            .where(t.orders.c.payment_reference.in_(wanted))
            .order_by(t.orders.c.id)
            .limit(1)
        ).scalar()
        return None if found is None else str(found)

    def _one(self, where: Any, for_update: bool) -> Chargeback | None:
        query = sa.select(t.chargebacks).where(where)
        if for_update:
            query = locked(self._conn, query)
        row = self._conn.execute(query).mappings().first()
        return None if row is None else _chargeback(row)


def _values(chargeback: Chargeback) -> dict[str, Any]:
    values = {name: getattr(chargeback, name) for name in _FIELDS}
    values["status"] = chargeback.status.value
    return values


def _chargeback(row: RowMapping) -> Chargeback:
    return Chargeback(status=ChargebackStatus(row["status"]), **{n: row[n] for n in _FIELDS})


def chargeback_violations(conn: Connection) -> list[str]:
    """Refunds plus what chargebacks took never exceed what was paid; each order's
    ``charged_back_amount`` is its lost chargebacks' sum; a chargeback's account is back to
    zero once it ended, and holds what was withdrawn while it is open."""
    found: list[str] = []
    o, r, c, p = t.orders, t.refunds, t.chargebacks, t.postings
    refunded = (
        sa.select(r.c.order_id, sa.func.sum(r.c.amount).label("total"))
        .where(r.c.status.in_(["pending", "succeeded"]))
        .group_by(r.c.order_id)
        .subquery()
    )
    lost = (
        sa.select(c.c.order_id, sa.func.sum(c.c.counted).label("total"))
        .where(c.c.status == ChargebackStatus.LOST.value)
        .group_by(c.c.order_id)
        .subquery()
    )
    gone = sa.func.coalesce(refunded.c.total, 0) + sa.func.coalesce(lost.c.total, 0)
    for order_id, paid, taken, recorded, summed in conn.execute(
        sa.select(o.c.id, o.c.paid_amount, gone, o.c.charged_back_amount,
                  sa.func.coalesce(lost.c.total, 0))
        .outerjoin(refunded, refunded.c.order_id == o.c.id)
        .outerjoin(lost, lost.c.order_id == o.c.id)
        .where(sa.or_(gone > o.c.paid_amount,
                      o.c.charged_back_amount != sa.func.coalesce(lost.c.total, 0)))
    ):  # fmt: skip
        if taken > paid:
            found.append(f"order {order_id}: refunds and chargebacks took {taken} of {paid} paid")
        if recorded != summed:
            found.append(f"order {order_id} says {recorded} charged back, its chargebacks {summed}")
    held = (
        sa.select(p.c.account, sa.func.sum(p.c.amount).label("balance"))
        .where(p.c.account.like(f"{CHARGEBACK_PREFIX}%"))
        .group_by(p.c.account)
        .subquery()
    )
    account = sa.literal(CHARGEBACK_PREFIX) + c.c.id
    for chargeback_id, status, balance, withdrawn, fee, amount in conn.execute(
        sa.select(c.c.id, c.c.status, sa.func.coalesce(held.c.balance, 0),
                  c.c.funds_withdrawn_at, c.c.fee, c.c.amount)
        .outerjoin(held, held.c.account == account)
    ):  # fmt: skip
        ended = ChargebackStatus(status) in ENDED
        wanted = 0 if ended or withdrawn is None else -(amount + fee)
        if balance != wanted:
            found.append(f"chargeback {chargeback_id} ({status}) holds {balance}, not {wanted}")
    return found
