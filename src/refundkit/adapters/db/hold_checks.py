"""What ``refundkit ledger verify`` proves of disputes per line (issue 18, item 4), over the
orders that have disputes on named units or disputes holding them:

- each hold belongs to a dispute of the order that is open or under appeal, and every open
  dispute of a shipped, delivered or completed order holds it;
- no hold is negative, none holds more of a line than its units are worth, and together
  they never hold more of a line (or of shipping) than it may still give back;
- an order whose release time came while disputes held it has exactly their holds left in
  escrow: the undisputed money went to the seller, the disputed money did not;
- each line (and shipping) gave back exactly what its refunds say, and never more than it
  was paid.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.hold_rows import holds_of
from refundkit.adapters.db.order_rows import line_refunds_of
from refundkit.domain.disputes.model import OPEN_STATUSES

_HELD_STATES = ("shipped", "delivered", "completed")


def hold_violations(conn: Connection) -> list[str]:
    o, d, r, lines = t.orders, t.disputes, t.refunds, t.order_lines
    with_lines = sa.select(d.c.order_id).where(d.c.lines.is_not(None))
    held = sa.and_(o.c.dispute_holds.is_not(None), sa.cast(o.c.dispute_holds, sa.String) != "[]")
    orders = {
        row["id"]: row
        for row in conn.execute(
            sa.select(o).where(sa.or_(held, o.c.id.in_(with_lines.scalar_subquery())))
        ).mappings()
    }
    if not orders:
        return []
    ids = sorted(orders)
    line_rows: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        sa.select(lines).where(lines.c.order_id.in_(ids)).order_by(lines.c.position)
    ).mappings():
        line_rows[row["order_id"]].append(row)
    disputes: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(sa.select(d).where(d.c.order_id.in_(ids))).mappings():
        disputes[row["order_id"]].append(row)
    appealed = set(
        conn.execute(sa.select(t.appeals.c.dispute_id).where(t.appeals.c.status == "open"))
        .scalars()
        .all()
    )
    refunded: dict[str, list[int]] = {}
    failed: set[str] = set()
    unsplit: set[str] = set()
    for row in conn.execute(sa.select(r).where(r.c.order_id.in_(ids))).mappings():
        if row["status"] not in ("pending", "succeeded"):
            failed.add(row["order_id"])
            continue
        parts = row["line_amounts"] or []
        done = refunded.setdefault(row["order_id"], [0] * (len(line_rows[row["order_id"]]) + 1))
        if len(parts) != len(done):
            unsplit.add(row["order_id"])  # made before refunds were split by line
            continue
        refunded[row["order_id"]] = [a + int(b) for a, b in zip(done, parts, strict=True)]
    found: list[str] = []
    for order_id in ids:
        found.extend(
            _order_violations(orders[order_id], line_rows[order_id], disputes[order_id],
                              appealed, None if order_id in unsplit else refunded.get(order_id),
                              order_id in failed)
        )  # fmt: skip
    return found


def _order_violations(
    order: Any, lines: list[Any], disputes: list[Any], appealed: set[str],
    refunded: list[int] | None, had_failures: bool,
) -> list[str]:  # fmt: skip
    oid = order["id"]
    found: list[str] = []
    totals = [line["quantity"] * line["unit_price"] for line in lines] + [order["shipping_fee"]]
    recorded = line_refunds_of(order["line_refunds"], len(lines), order["shipping_refunded"])
    for position, (total, done) in enumerate(zip(totals, recorded, strict=True)):
        if done > total:
            found.append(f"order {oid} part {position} refunded {done}, more than its {total}")
    if refunded is not None and refunded != recorded:
        found.append(f"order {oid}: its refunds give back {refunded} by line, the lines say "
                     f"{recorded}")  # fmt: skip
    holds = holds_of(order["dispute_holds"])
    by_id = {row["id"]: row for row in disputes}
    for dispute_id, parts in holds.items():
        row = by_id.get(dispute_id)
        if row is None or not (row["status"] in OPEN_STATUSES or dispute_id in appealed):
            found.append(f"order {oid} is held by {dispute_id}, which is not open on it")
            continue
        if parts is None:
            continue
        if len(parts) != len(totals) or min(parts) < 0:
            found.append(f"order {oid}: the hold of {dispute_id} is malformed: {list(parts)}")
            continue
        units = {li["item_id"]: li["quantity"] for li in row["lines"] or []}
        for line, part in zip(lines, parts, strict=False):
            worth = units.get(line["item_id"], 0) * line["unit_price"]
            if part > worth:
                found.append(f"order {oid}: {dispute_id} holds {part} of {line['item_id']}, "
                             f"more than its disputed units' {worth}")  # fmt: skip
    explicit = [p for p in holds.values() if p is not None and len(p) == len(totals)]
    reserved = [sum(column) for column in zip(*explicit, strict=True)] if explicit else []
    for position, (held, total, done) in enumerate(zip(reserved, totals, recorded, strict=False)):
        if held > total - done:
            found.append(f"order {oid} part {position}: disputes hold {held}, more than the "
                         f"{total - done} it may still give back")  # fmt: skip
    if order["status"] in _HELD_STATES:
        for row in disputes:
            if row["status"] in OPEN_STATUSES and row["id"] not in holds:
                found.append(f"order {oid}: dispute {row['id']} is open but holds nothing")
    partly = order["status"] in ("shipped", "delivered") and order["released_at"] is not None
    clean = not had_failures and not order["charged_back_from_escrow"]
    if partly and clean and explicit and len(explicit) == len(holds):
        escrow = (order["paid_amount"] - order["refunded_amount"] + order["clawed_back_amount"]
                  - order["released_amount"])  # fmt: skip
        if escrow != sum(reserved):
            found.append(f"order {oid}: escrow keeps {escrow} after its release, but its open "
                         f"disputes hold {sum(reserved)}")  # fmt: skip
    return found
