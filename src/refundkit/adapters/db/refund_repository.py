"""Refunds, mapped by hand between rows and domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import locked
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.metrics import Tally
from refundkit.domain.refunds import Eta, PaymentMethod, Refund, RefundDestination, RefundStatus


class SqlRefundRepository:
    def __init__(self, conn: Connection, tally: Tally | None = None) -> None:
        self._conn = conn
        self._latest: dict[str, Refund] = {}
        self._tally = tally or Tally()
        self._status_written: dict[str, str] = {}
        """The status each refund has in the database as far as this transaction knows:
        the domain changes a refund in place, so the instance cannot tell."""

    def add(self, refund: Refund) -> None:
        self._conn.execute(t.refunds.insert(), self._values(refund))
        self._latest[refund.id] = refund
        self._status_written[refund.id] = refund.status.value
        self._tally.refund(refund.status.value, refund.psp)

    def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        query = sa.select(t.refunds).where(t.refunds.c.id == refund_id)
        if for_update:
            query = locked(self._conn, query)
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        refund = self._latest[refund_id] = self._refund(row)
        self._status_written[refund_id] = refund.status.value
        return refund

    def seen(self, refund_id: str) -> Refund | None:
        return self._latest.get(refund_id)

    def forget_seen(self) -> None:
        """A savepoint rolled back: instances it changed may hold changes never written."""
        self._latest.clear()
        self._status_written.clear()

    def save(self, refund: Refund) -> None:
        values = self._values(refund)
        del values["id"]
        before = self._status_written.get(refund.id)
        self._conn.execute(t.refunds.update().where(t.refunds.c.id == refund.id).values(values))
        self._latest[refund.id] = refund
        if before != refund.status.value:
            self._status_written[refund.id] = refund.status.value
            self._tally.refund(refund.status.value, refund.psp)

    def by_psp_reference(self, psp_reference: str, *, for_update: bool = False) -> Refund | None:
        query = sa.select(t.refunds).where(t.refunds.c.psp_reference == psp_reference)
        if for_update:
            query = locked(self._conn, query)
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        refund = self._latest[row["id"]] = self._refund(row)
        self._status_written[refund.id] = refund.status.value
        return refund

    def list_for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[Refund]:  # fmt: skip
        query = sa.select(t.refunds).where(t.refunds.c.order_id == order_id)
        rows = keyset_page(self._conn, query, [t.refunds.c.id], t.refunds.c.id, descending=True,
                           starting_after=starting_after, ending_before=ending_before,
                           limit=limit)  # fmt: skip
        return [self._refund(row) for row in rows]

    @staticmethod
    def _values(refund: Refund) -> dict[str, Any]:
        return {
            "id": refund.id,
            "order_id": refund.order_id,
            "amount": refund.amount,
            "currency": refund.currency,
            "method": refund.method.value,
            "reason": refund.reason,
            "status": refund.status.value,
            "created_at": refund.created_at,
            "execute_after": refund.execute_after,
            "eta_earliest": refund.eta.earliest,
            "eta_latest": refund.eta.latest,
            "psp_reference": refund.psp_reference,
            "psp": refund.psp,
            "executed_at": refund.executed_at,
            "succeeded_at": refund.succeeded_at,
            "failure_reason": refund.failure_reason,
            "attempts": refund.attempts,
            "line_amounts": list(refund.line_amounts),
            "clawback_amount": refund.clawback_amount,
            "commission_back": refund.commission_back,
            "destination": refund.destination.value,
            "advanced": refund.advanced,
            "advance_dispute_id": refund.advance_dispute_id,
        }

    @staticmethod
    def _refund(row: RowMapping) -> Refund:
        return Refund(
            id=row["id"],
            order_id=row["order_id"],
            amount=row["amount"],
            currency=row["currency"],
            method=PaymentMethod(row["method"]),
            reason=row["reason"],
            status=RefundStatus(row["status"]),
            created_at=row["created_at"],
            execute_after=row["execute_after"],
            eta=Eta(row["eta_earliest"], row["eta_latest"]),
            psp_reference=row["psp_reference"],
            psp=row["psp"],
            executed_at=row["executed_at"],
            succeeded_at=row["succeeded_at"],
            failure_reason=row["failure_reason"],
            attempts=row["attempts"],
            line_amounts=tuple(row["line_amounts"] or ()),
            clawback_amount=row["clawback_amount"],
            commission_back=row["commission_back"],
            destination=RefundDestination(row["destination"]),
            advanced=row["advanced"],
            advance_dispute_id=row["advance_dispute_id"],
        )
