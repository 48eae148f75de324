"""The mail log: every notification refundkit sent or will send, and to whom."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from refundkit.domain.notifications import NotificationKind, NotificationStatus
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import PageDep, query
from refundkit.service import notifications
from refundkit.service.notification_records import Notification

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=GuardedRoute)


class NotificationOut(BaseModel):
    id: str
    object: Literal["notification"] = "notification"
    kind: NotificationKind
    recipient_id: str
    email: str
    subject: str
    body: str
    order_id: str | None
    dispute_id: str | None
    status: NotificationStatus
    channel: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationOut:
        return cls(
            id=n.id, kind=n.kind.value, recipient_id=n.recipient_id, email=n.email,
            subject=n.subject, body=n.body, order_id=n.order_id, dispute_id=n.dispute_id,
            status=n.status.value, channel=n.channel, attempts=n.attempts,
            next_attempt_at=n.next_attempt_at if n.status.value == "queued" else None,
            last_error=n.last_error, created_at=n.created_at, sent_at=n.sent_at,
        )  # fmt: skip


class NotificationPage(s.Page[NotificationOut]):
    pass


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(
    deps: DepsDep, user: UserDep, page: PageDep,
    user_id: Annotated[str | None, Query(max_length=40)] = None,
    order_id: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[NotificationKind | None, Query()] = None,
) -> NotificationPage:  # fmt: skip
    """Newest first. The platform and admins see every message (filter by user_id, order_id,
    kind); a buyer, seller or agent sees only the messages sent to them."""
    found, more = query(deps, lambda uow: notifications.list_notifications(
        uow, user, user_id=user_id, order_id=order_id, kind=kind,
        starting_after=page.starting_after, ending_before=page.ending_before,
        limit=page.limit))  # fmt: skip
    return NotificationPage(data=[NotificationOut.of(n) for n in found], has_more=more)


@router.get("/notifications/{notification_id}", response_model=NotificationOut)
def get_notification(notification_id: str, deps: DepsDep, user: UserDep) -> NotificationOut:
    return NotificationOut.of(
        query(deps, lambda uow: notifications.get_notification(uow, user, notification_id))
    )
