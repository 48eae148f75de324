"""Events (timeline and outbox), timers, users, policies, idempotency keys, tracking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import insert_or_skip, skip_locked
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.ids import default_ids
from refundkit.adapters.metrics import TIMERS_FIRED, Tally
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.roles import Role
from refundkit.service import request_context
from refundkit.service.records import (
    DueTimer,
    IdempotencyRecord,
    StoredEvent,
    Tier,
    TrackingScan,
    User,
)


class SqlEventStore:
    """Events are kept in memory until the transaction commits, then written in one
    statement: the outbox's last step (``service/outbox.py``) first adds to each the object
    it is about, with no second write. A savepoint that rolls back forgets its own."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._pending: list[StoredEvent] = []

    def add(self, events: Sequence[Event]) -> None:
        self._pending.extend(
            StoredEvent(default_ids.new("evt"), e.type, e.subject_id, e.order_id, e.occurred_at,
                        e.actor_role.value, e.actor_id, e.data)
            for e in events
        )  # fmt: skip

    def written(self) -> list[StoredEvent]:
        return list(self._pending)

    def attach_objects(self, objects: dict[str, dict[str, Any]]) -> None:
        self._pending = [replace(e, object=objects[e.id]) if e.id in objects else e
                         for e in self._pending]  # fmt: skip

    def mark(self) -> int:
        return len(self._pending)

    def forget_after(self, mark: int) -> None:
        del self._pending[mark:]

    def flush(self) -> None:
        if not self._pending:
            return
        request_id = request_context.current()
        self._conn.execute(t.events.insert(), [
            {"id": e.id, "type": e.type, "subject_id": e.subject_id, "order_id": e.order_id,
             "occurred_at": e.occurred_at, "actor_role": e.actor_role, "actor_id": e.actor_id,
             "data": e.data, "object": e.object, "request_id": request_id}
            for e in self._pending
        ])  # fmt: skip
        self._pending = []

    def for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[StoredEvent]:  # fmt: skip
        """The stored events and this transaction's own not yet written, in id order.
        Reading writes nothing: the pending ones still get their object and messages at
        commit (``service/outbox.py``)."""
        ev = t.events
        pending = [e for e in self._pending if e.order_id == order_id
                   and (starting_after is None or e.id > starting_after)
                   and (ending_before is None or e.id < ending_before)]  # fmt: skip
        rows = keyset_page(self._conn, sa.select(ev).where(ev.c.order_id == order_id), [ev.c.id],
                           ev.c.id, descending=False, starting_after=starting_after,
                           ending_before=ending_before, limit=limit)  # fmt: skip
        merged = sorted([*(stored_event(r) for r in rows), *pending], key=lambda e: e.id)
        return merged[-limit:] if ending_before is not None else merged[:limit]


def stored_event(r: RowMapping) -> StoredEvent:
    return StoredEvent(
        id=r["id"], type=r["type"], subject_id=r["subject_id"], order_id=r["order_id"],
        occurred_at=r["occurred_at"], actor_role=r["actor_role"], actor_id=r["actor_id"],
        data=dict(r["data"]), object=r["object"],
    )  # fmt: skip


class SqlTimerStore:
    def __init__(self, conn: Connection, tally: Tally | None = None) -> None:
        self._conn = conn
        self._tally = tally or Tally()
        self._kinds: dict[int, str] = {}

    def schedule(self, requests: Sequence[TimerRequest]) -> None:
        if not requests:
            return
        rows = [{"kind": r.kind, "subject_id": r.subject_id, "due_at": r.due_at} for r in requests]
        self._conn.execute(insert_or_skip(self._conn, t.timers), rows)

    def claim_due(self, now: datetime, limit: int) -> Sequence[DueTimer]:
        query = (
            sa.select(
                t.timers.c.id,
                t.timers.c.kind,
                t.timers.c.subject_id,
                t.timers.c.due_at,
                t.timers.c.attempts,
            )
            .where(t.timers.c.fired_at.is_(None), t.timers.c.due_at <= now)
            .order_by(t.timers.c.due_at, t.timers.c.id)
            .limit(limit)
        )
        query = skip_locked(self._conn, query)
        claimed = [
            DueTimer(r.id, r.kind, r.subject_id, r.due_at, r.attempts)
            for r in self._conn.execute(query)
        ]
        self._kinds.update((timer.id, timer.kind) for timer in claimed)
        return claimed

    def mark_fired(self, timer_id: int, fired_at: datetime, result: str) -> None:
        self._conn.execute(
            t.timers.update()
            .where(t.timers.c.id == timer_id)
            .values(fired_at=fired_at, result=result[:200])
        )
        self._tally.add(TIMERS_FIRED, self._kinds.get(timer_id, "unknown"))

    def mark_fired_many(self, fired: Sequence[tuple[int, str]], fired_at: datetime) -> None:
        """Many timers in one statement: ``(timer id, result)`` pairs."""
        if not fired:
            return
        self._conn.execute(
            t.timers.update()
            .where(t.timers.c.id == sa.bindparam("timer_id"))
            .values(fired_at=sa.bindparam("at"), result=sa.bindparam("outcome")),
            [{"timer_id": i, "at": fired_at, "outcome": result[:200]} for i, result in fired],
        )
        for timer_id, _ in fired:
            self._tally.add(TIMERS_FIRED, self._kinds.get(timer_id, "unknown"))

    def postpone(self, timer_id: int, until: datetime, error: str) -> None:
        self._conn.execute(
            t.timers.update()
            .where(t.timers.c.id == timer_id)
            .values(due_at=until, attempts=t.timers.c.attempts + 1, last_error=error[:500])
        )

    def next_due_at(self) -> datetime | None:
        due: datetime | None = self._conn.execute(
            sa.select(sa.func.min(t.timers.c.due_at)).where(t.timers.c.fired_at.is_(None))
        ).scalar()
        if due is not None and due.tzinfo is None:
            due = t.UTCDateTime().process_result_value(due, self._conn.dialect)
        return due


def user_from_row(row: RowMapping) -> User:
    return User(
        id=row["id"],
        role=Role(row["role"]),
        name=row["name"],
        email=row["email"],
        country=row["country"],
        tier=Tier(row["tier"]) if row["tier"] else None,
        created_at=row["created_at"],
        password_hash=row["password_hash"],
    )


class SqlUserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, user: User) -> None:
        self._conn.execute(
            t.users.insert(),
            {
                "id": user.id,
                "role": user.role.value,
                "name": user.name,
                "email": user.email,
                "country": user.country,
                "tier": user.tier.value if user.tier else None,
                "password_hash": user.password_hash,
                "created_at": user.created_at,
            },
        )

    def get(self, user_id: str) -> User | None:
        row = self._conn.execute(sa.select(t.users).where(t.users.c.id == user_id)).mappings()
        found = row.first()
        return user_from_row(found) if found else None

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        if not user_ids:
            return {}
        rows = self._conn.execute(sa.select(t.users).where(t.users.c.id.in_(list(user_ids))))
        return {row["id"]: user_from_row(row) for row in rows.mappings()}

    def by_email(self, email: str) -> User | None:
        found = (
            self._conn.execute(sa.select(t.users).where(t.users.c.email == email))
            .mappings()
            .first()
        )
        return user_from_row(found) if found else None

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._conn.execute(
            t.users.update().where(t.users.c.id == user_id).values(password_hash=password_hash)
        )

    def add_api_key(self, user_id: str, key_hash: str, created_at: datetime) -> None:
        self._conn.execute(
            t.api_keys.insert(),
            {"key_hash": key_hash, "user_id": user_id, "created_at": created_at},
        )

    def by_api_key_hash(self, key_hash: str) -> User | None:
        found = (
            self._conn.execute(
                sa.select(t.users)
                .join(t.api_keys, t.api_keys.c.user_id == t.users.c.id)
                .where(t.api_keys.c.key_hash == key_hash, t.api_keys.c.revoked_at.is_(None))
            )
            .mappings()
            .first()
        )
        return user_from_row(found) if found else None

    def api_key_revoked(self, key_hash: str) -> bool:
        found = self._conn.execute(
            sa.select(t.api_keys.c.revoked_at).where(t.api_keys.c.key_hash == key_hash)
        ).first()
        return found is not None and found[0] is not None

    def revoke_api_keys(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        k = t.api_keys
        query = k.update().where(k.c.user_id == user_id, k.c.revoked_at.is_(None))
        if keep is not None:
            query = query.where(k.c.key_hash != keep)
        return int(self._conn.execute(query.values(revoked_at=now)).rowcount)

    def with_role(self, role: Role) -> list[User]:
        query = sa.select(t.users).where(t.users.c.role == role.value).order_by(t.users.c.id)
        return [user_from_row(row) for row in self._conn.execute(query).mappings()]

    def count(self) -> int:
        return int(self._conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar_one())


class SqlPolicyRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get_text(self, version: str) -> str | None:
        text: str | None = self._conn.execute(
            sa.select(t.policies.c.text).where(t.policies.c.version == version)
        ).scalar()
        return text

    def add(self, version: str, text: str, registered_at: datetime) -> None:
        self._conn.execute(
            t.policies.insert(), {"version": version, "text": text, "registered_at": registered_at}
        )


class SqlIdempotencyStore:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, principal_id: str, key: str) -> IdempotencyRecord | None:
        row = (
            self._conn.execute(
                sa.select(t.idempotency_keys).where(
                    t.idempotency_keys.c.principal_id == principal_id,
                    t.idempotency_keys.c.key == key,
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return IdempotencyRecord(
            row["principal_id"],
            row["key"],
            row["fingerprint"],
            row["status_code"],
            row["body"],
            row["created_at"],
        )

    def remove(self, principal_id: str, key: str) -> None:
        self._conn.execute(
            t.idempotency_keys.delete().where(
                t.idempotency_keys.c.principal_id == principal_id,
                t.idempotency_keys.c.key == key,
            )
        )

    def add(self, record: IdempotencyRecord) -> None:
        self._conn.execute(
            t.idempotency_keys.insert(),
            {
                "principal_id": record.principal_id,
                "key": record.key,
                "fingerprint": record.fingerprint,
                "status_code": record.status_code,
                "body": record.body,
                "created_at": record.created_at,
            },
        )


class SqlTrackingRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_if_new(self, scan: TrackingScan) -> bool:
        inserted = self._conn.execute(
            insert_or_skip(self._conn, t.tracking_events).returning(t.tracking_events.c.id),
            {
                "carrier": scan.carrier,
                "tracking_number": scan.tracking_number,
                "status": scan.status,
                "country": scan.country,
                "city": scan.city,
                "postcode": scan.postcode,
                "occurred_at": scan.occurred_at,
                "description": scan.description,
                "received_at": scan.received_at,
            },
        )
        # rowcount is not reliable for ON CONFLICT DO NOTHING on every driver; RETURNING is.
        return inserted.first() is not None

    def orders_with_tracking(self, carrier: str, tracking_number: str) -> Sequence[str]:
        p = t.parcels.c
        found = sa.select(p.order_id).where(
            p.carrier == carrier, p.tracking_number == tracking_number
        )
        return list(self._conn.execute(found.distinct().order_by(p.order_id)).scalars())

    def buyers_with_tracking(self, carrier: str, tracking_number: str) -> dict[str, str]:
        """Each order shipped with this carrier and number, and its buyer."""
        rows = self._conn.execute(
            sa.select(t.orders.c.id, t.orders.c.buyer_id)
            .join(t.parcels, t.parcels.c.order_id == t.orders.c.id)
            .where(t.parcels.c.carrier == carrier, t.parcels.c.tracking_number == tracking_number)
        )
        return {order_id: buyer_id for order_id, buyer_id in rows}

    def carriers_of(self, tracking_number: str) -> list[str]:
        orders = sa.select(t.parcels.c.carrier.label("carrier")).where(
            t.parcels.c.tracking_number == tracking_number
        )
        returns = sa.select(t.disputes.c.return_carrier.label("carrier")).where(
            t.disputes.c.return_tracking_number == tracking_number,
            t.disputes.c.return_carrier.is_not(None))  # fmt: skip
        found = self._conn.execute(sa.union(orders, returns)).scalars()
        return sorted(str(carrier) for carrier in found)

    def for_tracking(self, carrier: str, tracking_number: str) -> Sequence[TrackingScan]:
        rows = self._conn.execute(
            sa.select(t.tracking_events)
            .where(
                t.tracking_events.c.carrier == carrier,
                t.tracking_events.c.tracking_number == tracking_number,
            )
            .order_by(t.tracking_events.c.occurred_at)
        ).mappings()
        return [
            TrackingScan(
                r["carrier"],
                r["tracking_number"],
                r["status"],
                r["country"],
                r["city"],
                r["postcode"],
                r["occurred_at"],
                r["description"],
                r["received_at"],
            )
            for r in rows
        ]
