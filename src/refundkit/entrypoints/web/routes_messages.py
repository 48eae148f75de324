"""The mail log on the pages: the messages refundkit sent (or will send) to the signed-in
person, newest first, with the order or dispute each is about. Admins see everyone's and
can narrow the list to one order; anyone else sees only their own (the same rules as
``GET /v1/notifications``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import ViewerDep, deps_of, pages_of
from refundkit.service import notifications

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
PAGE_SIZE = 50


@router.get("/messages")
def message_list(request: Request, viewer: ViewerDep, order: str = "", after: str = "") -> Response:
    deps = deps_of(request)
    order_id = order.strip() or None
    found, more = read(deps, lambda uow: notifications.list_notifications(
        uow, viewer.user, user_id=None, order_id=order_id, kind=None,
        starting_after=after.strip() or None, limit=PAGE_SIZE))  # fmt: skip
    sees_all = viewer.user.role in notifications.SEES_ALL_NOTIFICATIONS
    return pages_of(request).render(
        request, "messages.html", messages=found, more=more, order_id=order_id or "",
        sees_all=sees_all, open_id=None,
    )  # fmt: skip


@router.get("/messages/{notification_id}")
def message_page(notification_id: str, request: Request, viewer: ViewerDep) -> Response:
    """One message, its body open (a link to it can be shared with the person it was for)."""
    deps = deps_of(request)
    found = read(deps, lambda uow: notifications.get_notification(uow, viewer.user,
                                                                  notification_id))  # fmt: skip
    sees_all = viewer.user.role in notifications.SEES_ALL_NOTIFICATIONS
    return pages_of(request).render(
        request, "messages.html", messages=[found], more=False, order_id="",
        sees_all=sees_all, open_id=found.id,
    )  # fmt: skip
