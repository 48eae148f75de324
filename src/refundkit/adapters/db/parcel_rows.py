"""An order's parcels and their units, read and written beside the order (one statement per
batch of orders read; a save writes only the parcels that are new or changed)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.domain.orders.model import Order, Parcel
from refundkit.domain.tracking import Flag, Signal


def flags_out(flags: Sequence[Flag]) -> list[dict[str, str]]:
    return [
        {"signal": f.signal.value, "raised_at": f.raised_at.isoformat(), "evidence": f.evidence}
        for f in flags
    ]


def flags_in(stored: Sequence[dict[str, str]] | None) -> list[Flag]:
    return [
        Flag(Signal(f["signal"]), datetime.fromisoformat(f["raised_at"]), f["evidence"])
        for f in stored or []
    ]


def _copy(parcel: Parcel) -> Parcel:
    return replace(parcel, units=dict(parcel.units), tracking_flags=list(parcel.tracking_flags))


class ParcelRows:
    """An order's parcels, and its lines' cancelled units, as read and written."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._seen: dict[str, dict[str, Parcel]] = {}
        """Order id -> its parcels as read or last written."""
        self._cancelled: dict[str, dict[str, int]] = {}

    def added(self, order: Order) -> None:
        self._seen[order.id] = {}
        self._cancelled[order.id] = {}
        self.write(order)

    def seen_cancelled(self, order: Order) -> None:
        self._cancelled[order.id] = dict(order.cancelled_units)

    def _write_cancelled(self, order: Order) -> None:
        seen = self._cancelled.get(order.id, {})
        for position, line in enumerate(order.lines):
            count = order.cancelled_units.get(line.id, 0)
            if seen.get(line.id, 0) == count:
                continue
            self._conn.execute(
                t.order_lines.update()
                .where(t.order_lines.c.order_id == order.id, t.order_lines.c.position == position)
                .values(cancelled=count)
            )
        self._cancelled[order.id] = dict(order.cancelled_units)

    def load(self, order_ids: Sequence[str], *, shipped: Set[str]) -> dict[str, list[Parcel]]:
        """The parcels of ``order_ids``, read only for those in ``shipped`` (no statement
        when none has shipped)."""
        for order_id in order_ids:
            self._seen[order_id] = {}
        wanted = [order_id for order_id in order_ids if order_id in shipped]
        if not wanted:
            return {}
        p, pl = t.parcels, t.parcel_lines
        query = (
            sa.select(p, pl.c.item_id, pl.c.quantity)
            .select_from(p.outerjoin(pl, pl.c.parcel_id == p.c.id))
            .where(p.c.order_id.in_(wanted))
            .order_by(p.c.order_id, p.c.position, pl.c.item_id)
        )
        found: dict[str, dict[str, Parcel]] = {}
        for row in self._conn.execute(query).mappings():
            parcels = found.setdefault(row["order_id"], {})
            parcel = parcels.get(row["id"])
            if parcel is None:
                parcel = Parcel(row["id"], row["carrier"], row["tracking_number"],
                                row["shipped_at"], row["delivery_deadline"], {},
                                row["delivered_at"], flags_in(row["tracking_flags"]))  # fmt: skip
                parcels[parcel.id] = parcel
            if row["item_id"] is not None:
                parcel.units[row["item_id"]] = row["quantity"]
        for order_id in wanted:
            self._seen[order_id] = {
                pid: _copy(parcel) for pid, parcel in found.get(order_id, {}).items()
            }
        return {oid: list(parcels.values()) for oid, parcels in found.items()}

    def write(self, order: Order) -> None:
        self._write_cancelled(order)
        seen = self._seen.setdefault(order.id, {})
        for position, parcel in enumerate(order.parcels):
            before = seen.get(parcel.id)
            if before == parcel:
                continue
            values: dict[str, Any] = {
                "delivery_deadline": parcel.delivery_deadline,
                "delivered_at": parcel.delivered_at,
                "tracking_flags": flags_out(parcel.tracking_flags),
            }
            if before is None:
                self._conn.execute(t.parcels.insert(), {
                    "id": parcel.id, "order_id": order.id, "position": position,
                    "carrier": parcel.carrier, "tracking_number": parcel.tracking_number,
                    "shipped_at": parcel.shipped_at, **values,
                })  # fmt: skip
                self._conn.execute(t.parcel_lines.insert(), [
                    {"parcel_id": parcel.id, "item_id": item_id, "quantity": quantity}
                    for item_id, quantity in parcel.units.items()
                ])  # fmt: skip
            else:
                self._conn.execute(
                    t.parcels.update().where(t.parcels.c.id == parcel.id).values(values)
                )
            seen[parcel.id] = _copy(parcel)
