"""Notifications: stored once per (kind, subject, recipient, occasion), leased to send."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import insert_or_skip, skip_locked
from refundkit.adapters.db.paging import keyset_page
from refundkit.adapters.metrics import MAIL_DELIVERIES, Tally
from refundkit.domain.notifications import NotificationKind, NotificationStatus
from refundkit.service import request_context
from refundkit.service.notification_records import Notification

n = t.notifications


def _notification(row: RowMapping) -> Notification:
    return Notification(
        id=row["id"], kind=NotificationKind(row["kind"]), subject_id=row["subject_id"],
        recipient_id=row["recipient_id"], occasion=row["occasion"], email=row["email"],
        subject=row["subject"], body=row["body"], order_id=row["order_id"],
        dispute_id=row["dispute_id"], status=NotificationStatus(row["status"]),
        channel=row["channel"], attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
        created_at=row["created_at"], sent_at=row["sent_at"],
    )  # fmt: skip


class SqlNotificationRepository:
    def __init__(self, conn: Connection, tally: Tally | None = None) -> None:
        self._conn = conn
        self._tally = tally or Tally()

    def add_all(self, notifications: Sequence[Notification]) -> None:
        if not notifications:
            return
        request_id = request_context.current()
        self._conn.execute(insert_or_skip(self._conn, n), [{
            "id": x.id, "kind": x.kind.value, "subject_id": x.subject_id,
            "recipient_id": x.recipient_id, "occasion": x.occasion, "email": x.email,
            "subject": x.subject[:300], "body": x.body, "order_id": x.order_id,
            "dispute_id": x.dispute_id, "status": x.status.value, "channel": x.channel,
            "attempts": x.attempts, "next_attempt_at": x.next_attempt_at,
            "last_error": x.last_error, "created_at": x.created_at, "sent_at": x.sent_at,
            "request_id": request_id,
        } for x in notifications])  # fmt: skip

    def get(self, notification_id: str) -> Notification | None:
        row = self._conn.execute(sa.select(n).where(n.c.id == notification_id)).mappings()
        found = row.first()
        return None if found is None else _notification(found)

    def search(
        self, *, recipient_id: str | None, order_id: str | None, kind: str | None,
        starting_after: str | None, limit: int, ending_before: str | None = None,
    ) -> Sequence[Notification]:  # fmt: skip
        query = sa.select(n)
        if recipient_id is not None:
            query = query.where(n.c.recipient_id == recipient_id)
        if order_id is not None:
            query = query.where(n.c.order_id == order_id)
        if kind is not None:
            query = query.where(n.c.kind == kind)
        rows = keyset_page(self._conn, query, [n.c.created_at, n.c.id], n.c.id, descending=True,
                           starting_after=starting_after, ending_before=ending_before,
                           limit=limit)  # fmt: skip
        return [_notification(row) for row in rows]

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Notification]:
        """Each claimed message is leased (pushed to ``lease_until``) and its attempt counted,
        so another worker finds it not due; if this one dies, the lease runs out."""
        query = (
            sa.select(n.c.id)
            .where(n.c.status == NotificationStatus.QUEUED.value, n.c.next_attempt_at <= now)
            .order_by(n.c.next_attempt_at, n.c.id).limit(limit)
        )  # fmt: skip
        ids = list(self._conn.execute(skip_locked(self._conn, query)).scalars())
        if not ids:
            return []
        self._conn.execute(
            n.update().where(n.c.id.in_(ids))
            .values(next_attempt_at=lease_until, attempts=n.c.attempts + 1)
        )  # fmt: skip
        rows = self._conn.execute(
            sa.select(n).where(n.c.id.in_(ids)).order_by(n.c.created_at, n.c.id)
        ).mappings()  # fmt: skip
        return [_notification(row) for row in rows]

    def finish(
        self, notification_id: str, claimed_attempts: int, status: NotificationStatus, *,
        channel: str | None, next_attempt_at: datetime, sent_at: datetime | None,
        error: str | None,
    ) -> bool:  # fmt: skip
        """Book the attempt ``claimed_attempts`` only if the message is still that claim:
        once its lease ran out and another worker claimed it, the count moved on and this
        late answer changes nothing."""
        done = self._conn.execute(
            n.update().where(n.c.id == notification_id,
                             n.c.status == NotificationStatus.QUEUED.value,
                             n.c.attempts == claimed_attempts)
            .values(status=status.value, channel=channel, next_attempt_at=next_attempt_at,
                    sent_at=sent_at, last_error=(error or "")[:1000] or None)
        )  # fmt: skip
        if done.rowcount == 1:  # queued again: this attempt failed and will be retried
            result = "retry" if status is NotificationStatus.QUEUED else status.value
            self._tally.add(MAIL_DELIVERIES, result)
        return done.rowcount == 1
