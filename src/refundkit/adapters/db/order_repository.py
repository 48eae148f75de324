"""Orders, mapped by hand between rows and domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.hold_rows import holds_of, stored_holds
from refundkit.adapters.db.order_rows import (
    _DEADLINES,
    _EXTENSION_COLUMNS,
    _LINE_COLUMNS,
    _MUTABLE,
    _extension,
    _line,
    line_refunds_of,
    stored_line_refunds,
)
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.db.parcel_rows import ParcelRows
from refundkit.domain.errors import ConcurrentUpdate
from refundkit.domain.orders.model import (
    Address,
    Deadlines,
    Order,
    OrderLine,
    OrderStatus,
    ProtectionExtension,
)
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.tracking import Flag, Signal

_JOINED = (
    sa.select(t.orders, *_LINE_COLUMNS, *_EXTENSION_COLUMNS)
    .select_from(
        t.orders.outerjoin(t.order_lines, t.order_lines.c.order_id == t.orders.c.id)
        .outerjoin(t.protection_extensions, t.protection_extensions.c.order_id == t.orders.c.id)
    )
    .order_by(t.orders.c.id, t.order_lines.c.position, t.protection_extensions.c.id)
)  # fmt: skip
"""An order's read with its lines and extensions, built once (``where`` per call)."""
_SNAPSHOT = t.orders.alias("snapshot")
_LOCKED = _JOINED.add_columns(
    sa.select(_SNAPSHOT.c.version).where(_SNAPSHOT.c.id == t.orders.c.id)
    .scalar_subquery().label("snapshot_version")
).with_for_update(of=t.orders)  # fmt: skip
"""PostgreSQL's locking read of orders: the joined read, the order rows locked, with each
order's version as the statement's snapshot saw it (see ``_joined_rows``)."""


class SqlOrderRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        # What each order held when read or added in this transaction, so a save writes only
        # the extensions that changed.
        self._seen_extensions: dict[str, dict[str, ProtectionExtension]] = {}
        self._parcels = ParcelRows(conn)
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
        self._conn.execute(t.order_lines.insert(), [
            {"order_id": order.id, "position": i, "item_id": line.id, "sku": line.sku,
             "title": line.title, "quantity": line.quantity, "unit_price": line.unit_price,
             "category": line.category}
            for i, line in enumerate(order.lines)
        ])  # fmt: skip
        self._parcels.added(order)
        self._seen_extensions[order.id] = {}
        self._seen_values[order.id] = self._order_values(order)
        self._write_extensions(order)
        self._latest[order.id] = order

    def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        found = self._load_joined(t.orders.c.id == order_id, for_update=for_update)
        return found[0] if found else None

    def get_by_refund(self, refund_id: str, *, for_update: bool = False) -> Order | None:
        owner = sa.select(t.refunds.c.order_id).where(t.refunds.c.id == refund_id)
        found = self._load_joined(t.orders.c.id == owner.scalar_subquery(), for_update=for_update)
        return found[0] if found else None

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
        return self._load_joined(t.orders.c.id.in_(order_ids), for_update=for_update)

    def _load_joined(self, condition: sa.ColumnElement[bool], *, for_update: bool) -> list[Order]:
        """Orders with their lines and extensions in one statement (a row per line and
        extension), in id order. SQLite's single writer needs no lock; on PostgreSQL the
        same statement locks the order rows (``FOR UPDATE OF orders``)."""
        rows = self._joined_rows(condition, for_update=for_update)
        orders: dict[str, RowMapping] = {}
        lines: dict[str, dict[int, RowMapping]] = {}
        extensions: dict[str, dict[str, RowMapping]] = {}
        for row in rows:
            oid = row["id"]
            orders.setdefault(oid, row)
            if row["line_position"] is not None:
                lines.setdefault(oid, {}).setdefault(row["line_position"], row)
            if row["ext_id"] is not None:
                extensions.setdefault(oid, {}).setdefault(row["ext_id"], row)
        loaded = self._assemble(
            list(orders.values()),
            {oid: [_line(r, "line_") for r in found.values()] for oid, found in lines.items()},
            {oid: [_extension(r, "ext_") for r in found.values()]
             for oid, found in extensions.items()},
        )  # fmt: skip
        for order in loaded:
            self._latest[order.id] = order
        return loaded

    def _joined_rows(
        self, condition: sa.ColumnElement[bool], *, for_update: bool
    ) -> Sequence[RowMapping]:
        if not for_update or self._conn.dialect.name != "postgresql":
            return self._conn.execute(_JOINED.where(condition)).mappings().all()
        # Under READ COMMITTED a locking read that waited for another transaction's lock
        # sees the order's row as that transaction left it but the joined lines and
        # extensions as they were before: the order's version as of the statement's start
        # (a subquery, read in its snapshot) tells. Every write of lines or extensions
        # comes with the order's own update (``save``: version + 1), so only a read that
        # waited for a writer differs, and it reads again (the lock is held by then).
        rows = self._conn.execute(_LOCKED.where(condition)).mappings().all()
        if any(row["snapshot_version"] != row["version"] for row in rows):
            return self._conn.execute(_JOINED.where(condition)).mappings().all()
        return rows

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
        self._parcels.write(order)
        self._latest[order.id] = order

    def search(
        self, *, buyer_id: str | None, seller_id: str | None, status: OrderStatus | None,
        starting_after: str | None, limit: int, ending_before: str | None = None,
    ) -> Sequence[Order]:  # fmt: skip
        c, query = t.orders.c, sa.select(t.orders)
        wanted = {c.buyer_id: buyer_id, c.seller_id: seller_id, c.status: status and status.value}
        query = query.where(*(col == v for col, v in wanted.items() if v is not None))
        rows = keyset_page(self._conn, query, [c.id], c.id, descending=True,
                           starting_after=starting_after, ending_before=ending_before,
                           limit=limit)  # fmt: skip
        orders = self._load(rows) if rows else []
        for order in orders:
            self._latest[order.id] = order
        return orders

    def _load(self, rows: Sequence[RowMapping]) -> list[Order]:
        ids = [row["id"] for row in rows]
        lines: dict[str, list[tuple[OrderLine, int]]] = {}
        for line in self._conn.execute(
            sa.select(t.order_lines)
            .where(t.order_lines.c.order_id.in_(ids))
            .order_by(t.order_lines.c.order_id, t.order_lines.c.position)
        ).mappings():
            lines.setdefault(line["order_id"], []).append(_line(line, ""))
        extensions: dict[str, list[ProtectionExtension]] = {}
        for ext in self._conn.execute(
            sa.select(t.protection_extensions)
            .where(t.protection_extensions.c.order_id.in_(ids))
            .order_by(t.protection_extensions.c.id)
        ).mappings():
            extensions.setdefault(ext["order_id"], []).append(_extension(ext, ""))
        return self._assemble(rows, lines, extensions)

    def _assemble(
        self, rows: Sequence[RowMapping], lines: dict[str, list[tuple[OrderLine, int]]],
        extensions: dict[str, list[ProtectionExtension]],
    ) -> list[Order]:  # fmt: skip
        found = []
        # An order has parcels only once it shipped (the first parcel sets shipped_at).
        shipped = {row["id"] for row in rows if row["shipped_at"] is not None}
        parcels = self._parcels.load([row["id"] for row in rows], shipped=shipped)
        for row in rows:
            own_lines = lines.get(row["id"], [])
            order = self._order(row, [line for line, _ in own_lines],
                                extensions.get(row["id"], []))  # fmt: skip
            order.line_refunds = line_refunds_of(row["line_refunds"], len(own_lines),
                                                 row["shipping_refunded"])  # fmt: skip
            order.cancelled_units = {line.id: n for line, n in own_lines if n}
            order.parcels = parcels.get(order.id, [])
            self._parcels.seen_cancelled(order)
            self._seen_extensions[order.id] = {e.id: replace(e) for e in order.extensions}
            self._seen_values[order.id] = self._order_values(order)
            found.append(order)
        return found

    @staticmethod
    def _order(
        row: RowMapping, lines: list[OrderLine], extensions: list[ProtectionExtension]
    ) -> Order:
        mutable: dict[str, Any] = {name: row[name] for name in _MUTABLE}
        mutable["status"] = OrderStatus(row["status"])
        mutable["dispute_holds"] = holds_of(row["dispute_holds"])
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
        values["dispute_holds"] = stored_holds(order.dispute_holds)
        values["open_dispute_id"] = order.open_dispute_id
        values["tracking_flags"] = [
            {"signal": f.signal.value, "raised_at": f.raised_at.isoformat(), "evidence": f.evidence}
            for f in order.tracking_flags
        ]
        values["shipping_refunded"] = order.line_refunds[-1] if order.line_refunds else 0
        values["line_refunds"] = stored_line_refunds(order.line_refunds or [0])
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
