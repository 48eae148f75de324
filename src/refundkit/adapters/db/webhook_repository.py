"""Webhook endpoints, the outbox relay's fan-out and the deliveries' leases and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import insert_or_skip, skip_locked
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.db.support_repositories import stored_event
from refundkit.adapters.metrics import WEBHOOK_DELIVERIES, Tally
from refundkit.adapters.secret_box import SecretBox
from refundkit.domain.webhooks import DeliveryStatus, EndpointStatus, WebhookEndpoint
from refundkit.service.records import StoredEvent
from refundkit.service.webhook_records import Attempt, Delivery, DueDelivery


def _endpoint(row: RowMapping, secrets: SecretBox) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row["id"], url=row["url"], events=tuple(row["events"]),
        secret=secrets.open(row["secret"], row["id"]),
        status=EndpointStatus(row["status"]), created_at=row["created_at"],
        disabled_reason=row["disabled_reason"],
    )  # fmt: skip


def seal_stored_secrets(conn: Connection, secrets: SecretBox) -> int:
    """Seal with the current key every secret stored plain (before release 0014) or sealed
    by the previous key; answers how many. Fails when a secret opens with no key given."""
    ep = t.webhook_endpoints
    sealed = 0
    for row in conn.execute(sa.select(ep.c.id, ep.c.secret)).mappings().all():
        plain = secrets.open(row["secret"], row["id"])
        if secrets.needs_sealing(row["secret"], row["id"]):
            conn.execute(ep.update().where(ep.c.id == row["id"])
                         .values(secret=secrets.seal(plain, row["id"])))  # fmt: skip
            sealed += 1
    return sealed


_RESULTS = {"pending": "retry"}
"""A booked attempt that leaves the delivery pending failed and will be retried."""


class SqlWebhookRepository:
    def __init__(self, conn: Connection, secrets: SecretBox, tally: Tally | None = None) -> None:
        self._conn = conn
        self._secrets = secrets
        self._tally = tally or Tally()

    # --- endpoints ----------------------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self._conn.execute(t.webhook_endpoints.insert(), {
            "id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events),
            "secret": self._secrets.seal(endpoint.secret, endpoint.id),
            "status": endpoint.status.value,
            "disabled_reason": endpoint.disabled_reason, "created_at": endpoint.created_at,
        })  # fmt: skip

    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._conn.execute(
            sa.select(t.webhook_endpoints).where(t.webhook_endpoints.c.id == endpoint_id)
        ).mappings().first()  # fmt: skip
        return None if row is None else _endpoint(row, self._secrets)

    def endpoints(self, *, enabled_only: bool = False) -> list[WebhookEndpoint]:
        query = sa.select(t.webhook_endpoints).order_by(t.webhook_endpoints.c.id)
        if enabled_only:
            query = query.where(t.webhook_endpoints.c.status == EndpointStatus.ENABLED.value)
        return [_endpoint(row, self._secrets) for row in self._conn.execute(query).mappings()]

    def set_endpoint_status(self, endpoint_id: str, status: EndpointStatus,
                            reason: str | None) -> bool:  # fmt: skip
        done = self._conn.execute(
            t.webhook_endpoints.update()
            .where(t.webhook_endpoints.c.id == endpoint_id,
                   t.webhook_endpoints.c.status != status.value)
            .values(status=status.value, disabled_reason=reason)
        )  # fmt: skip
        return done.rowcount == 1

    # --- the outbox relay -----------------------------------------------------------------

    def unpublished_events(self, limit: int) -> list[StoredEvent]:
        query = (
            sa.select(t.events).where(t.events.c.published_at.is_(None))
            .order_by(t.events.c.id).limit(limit)
        )  # fmt: skip
        return [
            stored_event(row)
            for row in self._conn.execute(skip_locked(self._conn, query)).mappings()
        ]

    def publish(self, event_ids: Sequence[str], deliveries: Sequence[tuple[str, str]],
                now: datetime) -> None:  # fmt: skip
        """Queue one delivery per (endpoint, event), at most once, and mark the events done."""
        if deliveries:
            self._conn.execute(insert_or_skip(self._conn, t.webhook_deliveries), [
                {"endpoint_id": endpoint_id, "event_id": event_id,
                 "status": DeliveryStatus.PENDING.value, "attempts": 0, "next_attempt_at": now}
                for endpoint_id, event_id in deliveries
            ])  # fmt: skip
            # Each delivery carries the request id of the event it sends (one statement).
            d, e = t.webhook_deliveries, t.events
            self._conn.execute(
                d.update()
                .where(d.c.event_id.in_({event_id for _, event_id in deliveries}),
                       d.c.request_id.is_(None))
                .values(request_id=sa.select(e.c.request_id).where(e.c.id == d.c.event_id)
                        .scalar_subquery())
            )  # fmt: skip
        if event_ids:
            self._conn.execute(
                t.events.update().where(t.events.c.id.in_(event_ids)).values(published_at=now)
            )

    # --- deliveries ------------------------------------------------------------------------

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueDelivery]:
        """Take due deliveries for this worker: each is leased (pushed to ``lease_until``),
        so another worker skips it; if this one dies, the lease runs out and it is retried."""
        d, e, ep = t.webhook_deliveries, t.events, t.webhook_endpoints
        enabled = sa.select(ep.c.id).where(ep.c.status == EndpointStatus.ENABLED.value)
        query = (
            sa.select(d.c.id, d.c.attempts, d.c.first_attempt_at, d.c.endpoint_id, d.c.event_id)
            .where(d.c.status == DeliveryStatus.PENDING.value, d.c.next_attempt_at <= now,
                   d.c.endpoint_id.in_(enabled))
            .order_by(d.c.next_attempt_at, d.c.id).limit(limit)
        )  # fmt: skip
        claimed = self._conn.execute(skip_locked(self._conn, query)).mappings().all()
        if not claimed:
            return []
        ids = [row["id"] for row in claimed]
        self._conn.execute(
            d.update().where(d.c.id.in_(ids))
            .values(next_attempt_at=lease_until, attempts=d.c.attempts + 1,
                    first_attempt_at=sa.func.coalesce(d.c.first_attempt_at, now))
        )  # fmt: skip
        endpoints = {r["id"]: _endpoint(r, self._secrets) for r in self._conn.execute(
            sa.select(ep).where(ep.c.id.in_({row["endpoint_id"] for row in claimed}))
        ).mappings()}  # fmt: skip
        events = {r["id"]: stored_event(r) for r in self._conn.execute(
            sa.select(e).where(e.c.id.in_({row["event_id"] for row in claimed}))
        ).mappings()}  # fmt: skip
        return [
            DueDelivery(row["id"], endpoints[row["endpoint_id"]], events[row["event_id"]],
                        row["attempts"] + 1, row["first_attempt_at"] or now)
            for row in claimed
        ]  # fmt: skip

    def record_attempt(self, attempt: Attempt) -> None:
        self.record_attempts([attempt])

    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        """Every attempt of a batch in one statement."""
        if not attempts:
            return
        self._conn.execute(t.webhook_attempts.insert(), [{
            "delivery_id": a.delivery_id, "attempted_at": a.attempted_at,
            "status_code": a.status_code, "duration_ms": a.duration_ms,
            "error": (a.error or "")[:1000] or None,
        } for a in attempts])  # fmt: skip

    def finish_succeeded(self, claimed: Sequence[tuple[int, int]], now: datetime) -> int:
        """Mark delivered, in one statement, the ``(delivery id, claimed attempt)`` pairs
        still pending at that attempt (a later claim after a lost lease is not undone)."""
        if not claimed:
            return 0
        d = t.webhook_deliveries
        done = self._conn.execute(
            d.update().where(sa.tuple_(d.c.id, d.c.attempts).in_(list(claimed)),
                             d.c.status == DeliveryStatus.PENDING.value)
            .values(status=DeliveryStatus.SUCCEEDED.value, next_attempt_at=now,
                    delivered_at=now)
        )  # fmt: skip
        for _ in range(done.rowcount):
            self._tally.add(WEBHOOK_DELIVERIES, DeliveryStatus.SUCCEEDED.value)
        return int(done.rowcount)

    def finish(self, delivery_id: int, claimed_attempt: int, status: DeliveryStatus, *,
               next_attempt_at: datetime, delivered_at: datetime | None) -> bool:  # fmt: skip
        d = t.webhook_deliveries
        done = self._conn.execute(
            d.update().where(d.c.id == delivery_id, d.c.attempts == claimed_attempt,
                             d.c.status == DeliveryStatus.PENDING.value)
            .values(status=status.value, next_attempt_at=next_attempt_at,
                    delivered_at=delivered_at)
        )  # fmt: skip
        if done.rowcount == 1:
            self._tally.add(WEBHOOK_DELIVERIES, _RESULTS.get(status.value, status.value))
        return done.rowcount == 1

    def redeliver(self, delivery_id: int, now: datetime) -> bool:
        done = self._conn.execute(
            t.webhook_deliveries.update().where(t.webhook_deliveries.c.id == delivery_id)
            .values(status=DeliveryStatus.PENDING.value, next_attempt_at=now, attempts=0,
                    first_attempt_at=None, delivered_at=None)
        )  # fmt: skip
        return done.rowcount == 1

    def delivery(self, delivery_id: int) -> Delivery | None:
        found = self._deliveries(t.webhook_deliveries.c.id == delivery_id, None, 1)
        return found[0] if found else None

    def deliveries(self, endpoint_id: str, *, starting_after: int | None,
                   limit: int, ending_before: int | None = None) -> list[Delivery]:  # fmt: skip
        return self._deliveries(t.webhook_deliveries.c.endpoint_id == endpoint_id,
                                starting_after, limit, ending_before)  # fmt: skip

    def _deliveries(self, where: Any, starting_after: int | None, limit: int,
                    ending_before: int | None = None) -> list[Delivery]:  # fmt: skip
        d, e, a = t.webhook_deliveries, t.events, t.webhook_attempts
        query = sa.select(d, e.c.type).join(e, e.c.id == d.c.event_id).where(where)
        rows = keyset_page(self._conn, query, [d.c.id], d.c.id, descending=True,
                           starting_after=starting_after, ending_before=ending_before,
                           limit=limit)  # fmt: skip
        attempts: dict[int, list[Attempt]] = {row["id"]: [] for row in rows}
        if rows:
            for r in self._conn.execute(
                sa.select(a).where(a.c.delivery_id.in_(list(attempts))).order_by(a.c.id)
            ).mappings():
                attempts[r["delivery_id"]].append(
                    Attempt(r["delivery_id"], r["attempted_at"], r["status_code"],
                            r["duration_ms"], r["error"])
                )  # fmt: skip
        return [
            Delivery(row["id"], row["endpoint_id"], row["event_id"], row["type"],
                     DeliveryStatus(row["status"]), row["attempts"], row["next_attempt_at"],
                     row["delivered_at"], attempts[row["id"]])
            for row in rows
        ]  # fmt: skip
