"""Orders and refunds, mapped by hand between rows and domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import locked
from refundkit.domain.errors import ConcurrentUpdate
from refundkit.domain.orders.model import (
    Address,
    Deadlines,
    ExtensionStatus,
    Order,
    OrderLine,
    OrderStatus,
    ProtectionExtension,
)
from refundkit.domain.refunds import Eta, PaymentMethod, Refund, RefundStatus
from refundkit.domain.tracking import Flag, Signal

_DEADLINES = (
    "pay_by",
    "free_cancel_until",
    "ship_by",
    "cancel_respond_by",
    "delivery_deadline",
    "dispute_opens_at",
    "dispute_closes_at",
)
_MUTABLE = (
    "status",
    "paid_amount",
    "refunded_amount",
    "released_amount",
    "commission_amount",
    "clawed_back_amount",
    "payment_reference",
    "paid_at",
    "cancel_requested_at",
    "cancel_reason",
    "cancelled_at",
    "shipped_at",
    "carrier",
    "tracking_number",
    "delivered_at",
    "confirmed_at",
    "completed_at",
    "released_at",
    "extension_days_granted",
    "open_dispute_id",
    "tracking_flags",
)


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # What each order held when read or added in this transaction, so a save writes only
        # the lines and extensions that changed.
        self._seen_lines: dict[str, list[int]] = {}
        self._seen_extensions: dict[str, dict[str, ProtectionExtension]] = {}
        self._latest: dict[str, Order] = {}
        # The order row as read or last written, so a save sets only the columns that changed.
        self._seen_values: dict[str, dict[str, Any]] = {}

    def add(self, order: Order) -> None:
        row = self._order_values(order)
        row.update(
            id=order.id,
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            buyer_country=order.buyer_country,
            seller_country=order.seller_country,
            currency=order.currency,
            shipping_fee=order.shipping_fee,
            payment_method=order.payment_method.value,
            ship_to_country=order.ship_to.country,
            ship_to_city=order.ship_to.city,
            ship_to_postcode=order.ship_to.postcode,
            promised_delivery_days=order.promised_delivery_days,
            handling_days=order.handling_days,
            policy_version=order.policy_version,
            created_at=order.created_at,
            version=order.version,
        )
        self._conn.execute(t.orders.insert(), row)
        self._conn.execute(
            t.order_lines.insert(),
            [
                {
                    "order_id": order.id,
                    "position": i,
                    "sku": line.sku,
                    "title": line.title,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for i, line in enumerate(order.lines)
            ],
        )
        self._seen_lines[order.id] = [0] * (len(order.lines) + 1)
        self._seen_extensions[order.id] = {}
        self._seen_values[order.id] = self._order_values(order)
        self._write_extensions(order)
        self._latest[order.id] = order

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        query = sa.select(t.orders).where(t.orders.c.id == order_id)
        if for_update:
            query = locked(self._conn, query)
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        order = self._load([row])[0]
        self._latest[order.id] = order
        return order

    def seen(self, order_id: str) -> Order | None:
        return self._latest.get(order_id)

    def forget_seen(self) -> None:
        """A savepoint rolled back: instances it changed may hold changes never written, and
        the rows as last written are no longer what the database holds."""
        self._latest.clear()
        self._seen_values.clear()

    def get_many(self, order_ids: Sequence[str], *, for_update: bool = False) -> list[Order]:
        if not order_ids:
            return []
        query = sa.select(t.orders).where(t.orders.c.id.in_(order_ids)).order_by(t.orders.c.id)
        if for_update:
            query = locked(self._conn, query)
        rows = self._conn.execute(query).mappings().all()
        orders = self._load(rows) if rows else []
        for order in orders:
            self._latest[order.id] = order
        return orders

    def save(self, order: Order) -> None:
        values = self._changed_values(order)
        values["version"] = order.version + 1
        result = self._conn.execute(
            t.orders.update()
            .where(t.orders.c.id == order.id, t.orders.c.version == order.version)
            .values(values)
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"order {order.id} was changed by someone else")
        self._saved(order)

    def save_many(self, orders: Sequence[Order]) -> None:
        """Many orders in one UPDATE per set of changed columns (executemany), each still
        guarded by its version."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for order in orders:
            changed = self._changed_values(order)
            changed["version"] = order.version + 1
            params = {f"new_{name}": value for name, value in changed.items()}
            params.update(old_id=order.id, old_version=order.version)
            groups.setdefault(tuple(sorted(changed)), []).append(params)
        for columns, rows in groups.items():
            statement = (
                t.orders.update()
                .where(t.orders.c.id == sa.bindparam("old_id"),
                       t.orders.c.version == sa.bindparam("old_version"))
                .values({name: sa.bindparam(f"new_{name}") for name in columns})
            )  # fmt: skip
            result = self._conn.execute(statement, rows)
            sane = self._conn.dialect.supports_sane_multi_rowcount
            if sane and result.rowcount != len(rows):
                raise ConcurrentUpdate("an order was changed by someone else")
        for order in orders:
            self._saved(order)

    def _changed_values(self, order: Order) -> dict[str, Any]:
        values = self._order_values(order)
        seen = self._seen_values.get(order.id)
        if seen is None:
            return values
        return {name: value for name, value in values.items() if seen.get(name) != value}

    def _saved(self, order: Order) -> None:
        order.version += 1
        self._seen_values[order.id] = self._order_values(order)
        self._write_extensions(order)
        self._write_line_refunds(order)
        self._latest[order.id] = order

    def _write_line_refunds(self, order: Order) -> None:
        """Only the lines whose refunded total changed (the shipping part is on the order)."""
        if not order.line_refunds:
            return
        *by_line, _shipping = order.line_refunds
        seen = self._seen_lines.get(order.id)
        for position, amount in enumerate(by_line):
            if seen is not None and seen[position] == amount:
                continue
            self._conn.execute(
                t.order_lines.update()
                .where(t.order_lines.c.order_id == order.id, t.order_lines.c.position == position)
                .values(refunded=amount)
            )
        self._seen_lines[order.id] = list(order.line_refunds)

    def search(
        self,
        *,
        buyer_id: str | None,
        seller_id: str | None,
        status: OrderStatus | None,
        starting_after: str | None,
        limit: int,
    ) -> Sequence[Order]:
        query = sa.select(t.orders).order_by(t.orders.c.id.desc()).limit(limit)
        if buyer_id is not None:
            query = query.where(t.orders.c.buyer_id == buyer_id)
        if seller_id is not None:
            query = query.where(t.orders.c.seller_id == seller_id)
        if status is not None:
            query = query.where(t.orders.c.status == status.value)
        if starting_after is not None:
            query = query.where(t.orders.c.id < starting_after)
        rows = self._conn.execute(query).mappings().all()
        orders = self._load(rows) if rows else []
        for order in orders:
            self._latest[order.id] = order
        return orders

    def _load(self, rows: Sequence[RowMapping]) -> list[Order]:
        ids = [row["id"] for row in rows]
        lines: dict[str, list[OrderLine]] = {i: [] for i in ids}
        refunded: dict[str, list[int]] = {i: [] for i in ids}
        for line in self._conn.execute(
            sa.select(t.order_lines)
            .where(t.order_lines.c.order_id.in_(ids))
            .order_by(t.order_lines.c.order_id, t.order_lines.c.position)
        ).mappings():
            lines[line["order_id"]].append(
                OrderLine(line["sku"], line["title"], line["quantity"], line["unit_price"])
            )
            refunded[line["order_id"]].append(line["refunded"])
        extensions: dict[str, list[ProtectionExtension]] = {i: [] for i in ids}
        for ext in self._conn.execute(
            sa.select(t.protection_extensions)
            .where(t.protection_extensions.c.order_id.in_(ids))
            .order_by(t.protection_extensions.c.id)
        ).mappings():
            extensions[ext["order_id"]].append(
                ProtectionExtension(
                    id=ext["id"],
                    days=ext["days"],
                    status=ExtensionStatus(ext["status"]),
                    requested_at=ext["requested_at"],
                    respond_by=ext["respond_by"],
                    decided_at=ext["decided_at"],
                )
            )
        found = [self._order(row, lines[row["id"]], extensions[row["id"]]) for row in rows]
        for order, row in zip(found, rows, strict=True):
            order.line_refunds = [*refunded[order.id], row["shipping_refunded"]]
            self._seen_lines[order.id] = list(order.line_refunds)
            self._seen_extensions[order.id] = {e.id: replace(e) for e in order.extensions}
            self._seen_values[order.id] = self._order_values(order)
        return found

    @staticmethod
    def _order(
        row: RowMapping, lines: list[OrderLine], extensions: list[ProtectionExtension]
    ) -> Order:
        mutable: dict[str, Any] = {name: row[name] for name in _MUTABLE}
        mutable["status"] = OrderStatus(row["status"])
        mutable["tracking_flags"] = [
            Flag(Signal(f["signal"]), datetime.fromisoformat(f["raised_at"]), f["evidence"])
            for f in row["tracking_flags"] or []
        ]
        return Order(
            id=row["id"],
            buyer_id=row["buyer_id"],
            seller_id=row["seller_id"],
            buyer_country=row["buyer_country"],
            seller_country=row["seller_country"],
            currency=row["currency"],
            lines=lines,
            shipping_fee=row["shipping_fee"],
            payment_method=PaymentMethod(row["payment_method"]),
            ship_to=Address(row["ship_to_country"], row["ship_to_city"], row["ship_to_postcode"]),
            promised_delivery_days=row["promised_delivery_days"],
            handling_days=row["handling_days"],
            policy_version=row["policy_version"],
            created_at=row["created_at"],
            deadlines=Deadlines(**{name: row[name] for name in _DEADLINES}),
            extensions=extensions,
            version=row["version"],
            **mutable,
        )

    @staticmethod
    def _order_values(order: Order) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(order, name) for name in _MUTABLE}
        values["status"] = order.status.value
        values["tracking_flags"] = [
            {"signal": f.signal.value, "raised_at": f.raised_at.isoformat(), "evidence": f.evidence}
            for f in order.tracking_flags
        ]
        values["shipping_refunded"] = order.line_refunds[-1] if order.line_refunds else 0
        values.update({name: getattr(order.deadlines, name) for name in _DEADLINES})
        return values

    def _write_extensions(self, order: Order) -> None:
        """Insert new extensions and update changed ones; unchanged ones cost nothing."""
        seen = self._seen_extensions.setdefault(order.id, {})
        for ext in order.extensions:
            if seen.get(ext.id) == ext:
                continue
            values = {
                "days": ext.days,
                "status": ext.status.value,
                "requested_at": ext.requested_at,
                "respond_by": ext.respond_by,
                "decided_at": ext.decided_at,
            }
            if ext.id in seen:
                self._conn.execute(
                    t.protection_extensions.update()
                    .where(t.protection_extensions.c.id == ext.id)
                    .values(values)
                )
            else:
                self._conn.execute(
                    t.protection_extensions.insert(), {"id": ext.id, "order_id": order.id, **values}
                )
            seen[ext.id] = replace(ext)


class SqlRefundRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._latest: dict[str, Refund] = {}

    def add(self, refund: Refund) -> None:
        self._conn.execute(t.refunds.insert(), self._values(refund))
        self._latest[refund.id] = refund

    def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None:
        query = sa.select(t.refunds).where(t.refunds.c.id == refund_id)
        if for_update:
            query = locked(self._conn, query)
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        refund = self._latest[refund_id] = self._refund(row)
        return refund

    def seen(self, refund_id: str) -> Refund | None:
        return self._latest.get(refund_id)

    def forget_seen(self) -> None:
        """A savepoint rolled back: instances it changed may hold changes never written."""
        self._latest.clear()

    def save(self, refund: Refund) -> None:
        values = self._values(refund)
        del values["id"]
        self._conn.execute(t.refunds.update().where(t.refunds.c.id == refund.id).values(values))
        self._latest[refund.id] = refund

    def list_for_order(
        self, order_id: str, *, starting_after: str | None, limit: int
    ) -> Sequence[Refund]:
        query = (
            sa.select(t.refunds)
            .where(t.refunds.c.order_id == order_id)
            .order_by(t.refunds.c.id.desc())
            .limit(limit)
        )
        if starting_after is not None:
            query = query.where(t.refunds.c.id < starting_after)
        return [self._refund(row) for row in self._conn.execute(query).mappings()]

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
            "executed_at": refund.executed_at,
            "succeeded_at": refund.succeeded_at,
            "failure_reason": refund.failure_reason,
            "attempts": refund.attempts,
            "line_amounts": list(refund.line_amounts),
            "clawback_amount": refund.clawback_amount,
            "commission_back": refund.commission_back,
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
            executed_at=row["executed_at"],
            succeeded_at=row["succeeded_at"],
            failure_reason=row["failure_reason"],
            attempts=row["attempts"],
            line_amounts=tuple(row["line_amounts"] or ()),
            clawback_amount=row["clawback_amount"],
            commission_back=row["commission_back"],
        )
