"""Sign-in sessions, calendar feed tokens, and the read-only reports of the dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.support_repositories import user_from_row
from refundkit.service.records import User
from refundkit.service.web_ports import DisputeFact, PartyRecord, RefundFact, WebSession

_NOT_PAID = ("awaiting_payment", "expired")
_REFUNDED = ("full_refund", "partial_refund")


class SqlWebSessionRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, token_hash: str, user_id: str, csrf_token: str, created_at: datetime,
        expires_at: datetime,
    ) -> None:  # fmt: skip
        self._conn.execute(t.web_sessions.insert(), {
            "token_hash": token_hash, "user_id": user_id, "csrf_token": csrf_token,
            "created_at": created_at, "expires_at": expires_at,
        })  # fmt: skip

    def get(self, token_hash: str) -> WebSession | None:
        s = t.web_sessions
        row = (
            self._conn.execute(
                sa.select(t.users, s.c.csrf_token, s.c.expires_at)
                .join(s, s.c.user_id == t.users.c.id)
                .where(s.c.token_hash == token_hash)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return WebSession(user_from_row(row), row["csrf_token"], row["expires_at"])

    def remove(self, token_hash: str) -> None:
        self._conn.execute(t.web_sessions.delete().where(t.web_sessions.c.token_hash == token_hash))

    def remove_expired(self, now: datetime) -> int:
        done = self._conn.execute(t.web_sessions.delete().where(t.web_sessions.c.expires_at <= now))
        return done.rowcount or 0

    def set_feed_token(self, user_id: str, token_hash: str, created_at: datetime) -> None:
        f = t.calendar_feeds
        self._conn.execute(f.delete().where(f.c.user_id == user_id))
        self._conn.execute(f.insert(), {"token_hash": token_hash, "user_id": user_id,
                                        "created_at": created_at})  # fmt: skip

    def user_by_feed_token(self, token_hash: str) -> User | None:
        f = t.calendar_feeds
        row = (
            self._conn.execute(
                sa.select(t.users)
                .join(f, f.c.user_id == t.users.c.id)
                .where(f.c.token_hash == token_hash)
            )
            .mappings()
            .first()
        )
        return user_from_row(row) if row else None

    def has_feed_token(self, user_id: str) -> bool:
        f = t.calendar_feeds
        found = self._conn.execute(sa.select(f.c.user_id).where(f.c.user_id == user_id)).first()
        return found is not None


class SqlReportRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def disputes_since(self, since: datetime) -> Sequence[DisputeFact]:
        d = t.disputes.c
        rows = self._conn.execute(
            sa.select(d.reason, d.opened_at, d.resolved_at, d.decided_by, d.outcome, d.seller_id)
            .where(d.opened_at >= since)
            .order_by(d.opened_at)
        ).all()
        return [DisputeFact(*row) for row in rows]

    def refunds_paid_since(self, since: datetime) -> Sequence[RefundFact]:
        r = t.refunds.c
        rows = self._conn.execute(
            sa.select(r.amount, r.currency, r.succeeded_at)
            .where(r.status == "succeeded", r.succeeded_at >= since)
            .order_by(r.succeeded_at)
        ).all()
        return [RefundFact(*row) for row in rows]

    def seller_records(self, seller_ids: Sequence[str] | None = None) -> list[PartyRecord]:
        return self._records(t.orders.c.seller_id, t.disputes.c.seller_id, seller_ids)

    def buyer_record(self, buyer_id: str) -> PartyRecord:
        found = self._records(t.orders.c.buyer_id, t.disputes.c.buyer_id, [buyer_id])
        if found:
            return found[0]
        user = self._conn.execute(sa.select(t.users.c.name).where(t.users.c.id == buyer_id))
        return PartyRecord(buyer_id, user.scalar_one_or_none() or buyer_id, 0, 0, 0, 0)

    def _records(
        self, order_party: sa.Column[str], dispute_party: sa.Column[str],
        ids: Sequence[str] | None,
    ) -> list[PartyRecord]:  # fmt: skip
        o, d = t.orders.c, t.disputes.c
        orders_q = sa.select(order_party, sa.func.count()).where(o.status.not_in(_NOT_PAID))
        disputes_q = sa.select(
            dispute_party,
            sa.func.count(),
            sa.func.count(d.resolved_at),
            sa.func.sum(sa.case((d.outcome.in_(_REFUNDED), 1), else_=0)),
        )
        if ids is not None:
            orders_q = orders_q.where(order_party.in_(ids))
            disputes_q = disputes_q.where(dispute_party.in_(ids))
        counts = {row[0]: int(row[1]) for row in self._conn.execute(orders_q.group_by(order_party))}
        dispute_rows = self._conn.execute(disputes_q.group_by(dispute_party)).all()
        per_party = {row[0]: (int(row[1]), int(row[2]), int(row[3] or 0)) for row in dispute_rows}
        party_ids = sorted(set(counts) | set(per_party))
        names = {
            row[0]: row[1]
            for row in self._conn.execute(
                sa.select(t.users.c.id, t.users.c.name).where(t.users.c.id.in_(party_ids))
            )
        }  # fmt: skip
        return [
            PartyRecord(pid, names.get(pid, pid), int(counts.get(pid, 0)),
                        *per_party.get(pid, (0, 0, 0)))
            for pid in party_ids
        ]  # fmt: skip

    def refunded_by_currency(self, seller_id: str) -> dict[str, int]:
        r, o = t.refunds.c, t.orders.c
        rows = self._conn.execute(
            sa.select(r.currency, sa.func.sum(r.amount))
            .join(t.orders, o.id == r.order_id)
            .where(o.seller_id == seller_id, r.status.in_(("pending", "succeeded")))
            .group_by(r.currency)
        ).all()
        return {currency: int(total) for currency, total in rows}
