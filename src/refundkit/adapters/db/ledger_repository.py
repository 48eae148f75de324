"""The journal: entries and their postings, append-only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.advance_checks import advance_violations
from refundkit.adapters.db.chargeback_repository import chargeback_violations
from refundkit.adapters.db.credit_repository import credit_violations
from refundkit.adapters.db.dialects import lock_name
from refundkit.adapters.db.hold_checks import hold_violations
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.metrics import LEDGER_ENTRIES, Tally
from refundkit.domain.ledger import EntryKind, JournalEntry, Posting


class SqlLedgerRepository:
    def __init__(self, conn: Connection, tally: Tally | None = None) -> None:
        self._conn = conn
        self._tally = tally or Tally()

    def append(self, entry: JournalEntry) -> None:
        self.append_many([entry])

    def append_many(self, entries: Sequence[JournalEntry]) -> None:
        """The entries in one statement and their postings in another."""
        if not entries:
            return
        for entry in entries:
            self._tally.add(LEDGER_ENTRIES, str(entry.kind))
        self._conn.execute(
            t.journal_entries.insert(),
            [
                {
                    "id": entry.id,
                    "kind": entry.kind.value,
                    "occurred_at": entry.occurred_at,
                    "order_id": entry.order_id,
                    "memo": entry.memo,
                }
                for entry in entries
            ],
        )
        self._conn.execute(
            t.postings.insert(),
            [
                {
                    "entry_id": entry.id,
                    "account": p.account,
                    "currency": p.currency,
                    "amount": p.amount,
                    "occurred_at": entry.occurred_at,
                }
                for entry in entries
                for p in entry.postings
            ],
        )

    def balances(self, accounts: Sequence[str]) -> dict[str, int]:
        if not accounts:
            return {}
        rows = self._conn.execute(
            sa.select(t.postings.c.account, sa.func.sum(t.postings.c.amount))
            .where(t.postings.c.account.in_(accounts))
            .group_by(t.postings.c.account)
        ).all()
        return {account: int(total) for account, total in rows}

    def balances_by_currency(self, accounts: Sequence[str]) -> dict[tuple[str, str], int]:
        rows = self._conn.execute(
            sa.select(t.postings.c.account, t.postings.c.currency, sa.func.sum(t.postings.c.amount))
            .where(t.postings.c.account.in_(accounts))
            .group_by(t.postings.c.account, t.postings.c.currency)
        ).all()
        return {(account, currency): int(total) for account, currency, total in rows}

    def lock_account(self, account: str) -> None:
        lock_name(self._conn, f"ledger:{account}")

    def balance(self, account: str, *, at: datetime | None = None) -> dict[str, int]:
        query = (
            sa.select(t.postings.c.currency, sa.func.sum(t.postings.c.amount))
            .where(t.postings.c.account == account)
            .group_by(t.postings.c.currency)
        )
        if at is not None:
            query = query.where(t.postings.c.occurred_at <= at)
        return {currency: int(total) for currency, total in self._conn.execute(query).all()}

    def totals_by_prefix(
        self, prefixes: Sequence[str], *, at: datetime | None = None
    ) -> dict[tuple[str, str], int]:
        """Sum of every account starting with each prefix, per currency (at a past moment)."""
        found: dict[tuple[str, str], int] = {}
        for prefix in prefixes:
            query = (
                sa.select(t.postings.c.currency, sa.func.sum(t.postings.c.amount))
                .where(t.postings.c.account.startswith(prefix, autoescape=True))
                .group_by(t.postings.c.currency)
            )
            if at is not None:
                query = query.where(t.postings.c.occurred_at <= at)
            for currency, total in self._conn.execute(query).all():
                found[(prefix, currency)] = int(total)
        return found

    def entries_for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[JournalEntry]:  # fmt: skip
        j = t.journal_entries
        heads = keyset_page(self._conn, sa.select(j).where(j.c.order_id == order_id), [j.c.id],
                            j.c.id, descending=False, starting_after=starting_after,
                            ending_before=ending_before, limit=limit)  # fmt: skip
        postings: dict[str, list[Posting]] = defaultdict(list)
        if heads:
            for row in self._conn.execute(
                sa.select(t.postings)
                .where(t.postings.c.entry_id.in_([h["id"] for h in heads]))
                .order_by(t.postings.c.id)
            ).mappings():
                postings[row["entry_id"]].append(
                    Posting(row["account"], row["currency"], row["amount"])
                )
        return [
            JournalEntry(
                id=h["id"],
                kind=EntryKind(h["kind"]),
                occurred_at=h["occurred_at"],
                order_id=h["order_id"],
                postings=tuple(postings[h["id"]]),
                memo=h["memo"],
            )
            for h in heads
        ]


def invariant_violations(conn: Connection) -> list[str]:
    """Every way the books could be wrong, checked over the whole journal at once (and the
    split of every order's refunds over its lines, and what disputes hold per line)."""
    p, o, r = t.postings, t.orders, t.refunds
    found: list[str] = []
    for entry_id, currency, total in conn.execute(
        sa.select(p.c.entry_id, p.c.currency, sa.func.sum(p.c.amount))
        .group_by(p.c.entry_id, p.c.currency)
        .having(sa.func.sum(p.c.amount) != 0)
    ):
        found.append(f"entry {entry_id} does not balance in {currency}: off by {total}")
    for account, currency, total in conn.execute(
        sa.select(p.c.account, p.c.currency, sa.func.sum(p.c.amount))
        .where(sa.or_(p.c.account.like("escrow:%"), p.c.account.like("seller_payable:%")))
        .group_by(p.c.account, p.c.currency)
        .having(sa.func.sum(p.c.amount) < 0)
    ):
        found.append(f"{account} is negative: {total} {currency}")
    for account, currency, total in conn.execute(
        sa.select(p.c.account, p.c.currency, sa.func.sum(p.c.amount))
        .where(p.c.account.like("seller_debt:%"))
        .group_by(p.c.account, p.c.currency)
        .having(sa.func.sum(p.c.amount) > 0)
    ):
        found.append(f"{account} is positive (the platform owes it?): {total} {currency}")
    refunds = (
        sa.select(
            r.c.order_id,
            sa.func.sum(r.c.amount).label("total"),
            sa.func.sum(r.c.clawback_amount).label("clawed_back"),
        )
        .where(r.c.status.in_(["pending", "succeeded"]))
        .group_by(r.c.order_id)
        .subquery()
    )
    for order_id, paid, refunded in conn.execute(
        sa.select(o.c.id, o.c.paid_amount, refunds.c.total)
        .join(refunds, refunds.c.order_id == o.c.id)
        .where(refunds.c.total > o.c.paid_amount)
    ):
        found.append(f"order {order_id} refunded {refunded}, more than the {paid} paid")
    for order_id, recorded, summed in conn.execute(
        sa.select(o.c.id, o.c.clawed_back_amount, sa.func.coalesce(refunds.c.clawed_back, 0))
        .outerjoin(refunds, refunds.c.order_id == o.c.id)
        .where(o.c.clawed_back_amount != sa.func.coalesce(refunds.c.clawed_back, 0))
    ):
        found.append(f"order {order_id} says {recorded} was clawed back, its refunds {summed}")
    # One pass over both sides grouped by order (a join on the account's suffix made SQLite
    # compare every order with every escrow account).
    expected = (
        o.c.paid_amount - o.c.refunded_amount + o.c.clawed_back_amount - o.c.released_amount
        - o.c.charged_back_from_escrow + o.c.advanced_amount
    )  # fmt: skip
    sides = sa.union_all(
        sa.select(sa.func.substr(p.c.account, len("escrow:") + 1).label("order_id"),
                  p.c.amount.label("held"), sa.literal(0).label("wanted"))
        .where(p.c.account.like("escrow:%")),
        sa.select(o.c.id.label("order_id"), sa.literal(0).label("held"),
                  expected.label("wanted")),
    ).subquery()  # fmt: skip
    for order_id, held, wanted in conn.execute(
        sa.select(sides.c.order_id, sa.func.sum(sides.c.held), sa.func.sum(sides.c.wanted))
        .group_by(sides.c.order_id)
        .having(sa.func.sum(sides.c.held) != sa.func.sum(sides.c.wanted))
    ):
        found.append(f"order {order_id}: escrow holds {held} but the order says {wanted}")
    found.extend(_line_refund_violations(conn))
    found.extend(chargeback_violations(conn))
    found.extend(credit_violations(conn))
    found.extend(hold_violations(conn))
    found.extend(advance_violations(conn))
    return found


def _line_refund_violations(conn: Connection) -> list[str]:
    """What the order row says was refunded of each line (``line_refunds``) lies within the
    line's total and, with shipping's, adds up to the order's refunds."""
    o, lines = t.orders, t.order_lines
    found = [
        f"order {order_id}: lines give back {shipping} but {refunded} was refunded"
        for order_id, shipping, refunded in conn.execute(
            sa.select(o.c.id, o.c.shipping_refunded, o.c.refunded_amount).where(
                o.c.line_refunds.is_(None), o.c.shipping_refunded != o.c.refunded_amount
            )
        )
    ]
    totals: dict[str, list[int]] = defaultdict(list)
    for order_id, total in conn.execute(
        sa.select(lines.c.order_id, lines.c.quantity * lines.c.unit_price)
        .join(o, o.c.id == lines.c.order_id)
        .where(o.c.line_refunds.is_not(None))
        .order_by(lines.c.order_id, lines.c.position)
    ):
        totals[order_id].append(int(total))
    for order_id, by_line, shipping, refunded in conn.execute(
        sa.select(o.c.id, o.c.line_refunds, o.c.shipping_refunded, o.c.refunded_amount).where(
            o.c.line_refunds.is_not(None)
        )
    ):
        if len(by_line) != len(totals[order_id]):
            found.append(f"order {order_id}: {len(by_line)} lines refunded, it has "
                         f"{len(totals[order_id])}")  # fmt: skip
        for position, (done, total) in enumerate(zip(by_line, totals[order_id], strict=False)):
            if not 0 <= done <= total:
                found.append(f"order {order_id} line {position} refunded outside 0..its total")
        if sum(by_line) + shipping != refunded:
            found.append(f"order {order_id}: lines give back {sum(by_line) + shipping} but "
                         f"{refunded} was refunded")  # fmt: skip
    return found
