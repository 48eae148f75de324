"""What ``refundkit ledger verify`` proves of Fast Refunds taken from a seller's balance
first (issue 19, item 2; ``domain/disputes/advance.py``), besides the escrow equation that
counts the order's outstanding advances (``ledger_repository.invariant_violations``):

- a refund's advance is between zero and what it did not claw back;
- a dispute's outstanding advance is never negative, only an open dispute (or one under
  appeal) has one, and it is never more than its live refunds advanced;
- an order's ``advanced_amount`` is exactly the sum of its disputes' outstanding advances.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.domain.disputes.model import OPEN_STATUSES


def advance_violations(conn: Connection) -> list[str]:
    o, d, r = t.orders, t.disputes, t.refunds
    found: list[str] = []
    for refund_id, advanced in conn.execute(
        sa.select(r.c.id, r.c.advanced).where(
            sa.or_(r.c.advanced < 0, r.c.advanced + r.c.clawback_amount > r.c.amount)
        )
    ):
        found.append(f"refund {refund_id} advanced {advanced}, outside 0..what escrow paid")
    appealed = sa.select(t.appeals.c.dispute_id).where(t.appeals.c.status == "open")
    for dispute_id, status, owed in conn.execute(
        sa.select(d.c.id, d.c.status, d.c.advance).where(
            sa.or_(
                d.c.advance < 0,
                sa.and_(d.c.advance > 0, d.c.status.not_in(sorted(OPEN_STATUSES)),
                        d.c.id.not_in(appealed.scalar_subquery())),
            )
        )
    ):  # fmt: skip
        found.append(f"dispute {dispute_id} ({status}) owes {owed} of an advance back")
    live = (
        sa.select(r.c.advance_dispute_id.label("dispute_id"),
                  sa.func.sum(r.c.advanced).label("advanced"))
        .where(r.c.status.in_(["pending", "succeeded"]), r.c.advance_dispute_id.is_not(None))
        .group_by(r.c.advance_dispute_id)
        .subquery()
    )  # fmt: skip
    for dispute_id, owed, advanced in conn.execute(
        sa.select(d.c.id, d.c.advance, sa.func.coalesce(live.c.advanced, 0))
        .outerjoin(live, live.c.dispute_id == d.c.id)
        .where(d.c.advance > 0, d.c.advance > sa.func.coalesce(live.c.advanced, 0))
    ):
        found.append(f"dispute {dispute_id} owes {owed} of an advance, its refunds advanced "
                     f"{advanced}")  # fmt: skip
    owed_by_order = (
        sa.select(d.c.order_id, sa.func.sum(d.c.advance).label("owed"))
        .where(d.c.advance != 0)
        .group_by(d.c.order_id)
        .subquery()
    )
    for order_id, recorded, owed in conn.execute(
        sa.select(o.c.id, o.c.advanced_amount, sa.func.coalesce(owed_by_order.c.owed, 0))
        .outerjoin(owed_by_order, owed_by_order.c.order_id == o.c.id)
        .where(
            sa.or_(o.c.advanced_amount != 0, owed_by_order.c.order_id.is_not(None)),
            o.c.advanced_amount != sa.func.coalesce(owed_by_order.c.owed, 0),
        )
    ):
        found.append(f"order {order_id} keeps {recorded} of advances, its disputes owe {owed}")
    return found
