"""The buyer's deadlines as an iCalendar feed. Calendar apps cannot sign in, so the feed's
address carries a secret token of its own (kept hashed; a new address revokes the old)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from icalendar import Alarm, Calendar, Event

from refundkit.domain.errors import NotFound
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import PostedDep, ViewerDep, deps_of, pages_of
from refundkit.entrypoints.web.views import DEADLINE_LABELS, RELEVANT_WHILE, describe, title_of
from refundkit.service import page_views, web_sessions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
FEED_DEADLINES = ("free_cancel_until", "ship_by", "delivery_deadline", "dispute_opens_at",
                  "dispute_closes_at")  # fmt: skip


def _buyer(user: User) -> None:
    if user.role is not Role.BUYER:
        raise NotFound("no such page")


@router.get("/calendar")
def calendar_page(request: Request, viewer: ViewerDep) -> Response:
    _buyer(viewer.user)
    deps = deps_of(request)
    return pages_of(request).render(
        request, "calendar.html", feed_url="", has_feed=web_sessions.has_feed(deps, viewer.user)
    )


@router.post("/calendar")
def new_calendar_link(request: Request, posted: PostedDep) -> Response:
    _buyer(posted.user)
    token = web_sessions.new_feed_token(deps_of(request), posted.user)
    url = str(request.url_for("calendar_feed", token=token))
    return pages_of(request).render(request, "calendar.html", feed_url=url, has_feed=True)


def deadlines_of(deps: Deps, user: User) -> list[tuple[str, str, datetime, str]]:
    """(uid, summary, when, link path) of every deadline still ahead for the buyer: an
    order's deadlines while its status still makes them matter (no "the seller ships by"
    once shipped), a dispute's steps that are the buyer's own, each once."""

    def work(uow: UnitOfWork) -> list[tuple[str, str, datetime, str]]:
        now = deps.clock.now()
        found = []
        for o in page_views.my_orders(deps, uow, user):
            for key in FEED_DEADLINES:
                due = getattr(o.order.deadlines, key)
                if due is not None and due > now and o.order.status.value in RELEVANT_WHILE[key]:
                    found.append(
                        (
                            f"{o.order.id}-{key}",
                            f"{DEADLINE_LABELS[key]}: {title_of(o.order)}",
                            due,
                            f"/orders/{o.order.id}",
                        )
                    )
        for case in page_views.my_disputes(deps, uow, user):
            seen: set[str] = set()
            for a in case.next_actions:
                label = describe(a, user.role)
                if (a.actor is not user.role or a.due_by is None or a.due_by <= now
                        or label in seen):  # fmt: skip
                    continue
                seen.add(label)
                found.append((f"{case.dispute.id}-{a.actor}-{a.action}",
                              f"Dispute: {label}", a.due_by,
                              f"/disputes/{case.dispute.id}"))  # fmt: skip
        return found

    result: list[tuple[str, str, datetime, str]] = read(deps, work)
    return result


@router.get("/calendar/{token}.ics", name="calendar_feed")
def calendar_feed(token: str, request: Request) -> Response:
    deps = deps_of(request)
    user = web_sessions.feed_user(deps, token)
    cal = Calendar()
    cal.add("prodid", "-//refundkit//buyer deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "refundkit deadlines")
    base = str(request.base_url).rstrip("/")
    stamp = deps.clock.now()
    for uid, summary, due, path in deadlines_of(deps, user):
        event = Event()
        event.add("uid", f"{uid}@refundkit")
        event.add("summary", summary)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(minutes=30))
        event.add("dtstamp", stamp)
        event.add("url", base + path)
        event.add("description", f"Details: {base}{path}")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(days=-2))
        event.add_component(alarm)
        cal.add_component(event)
    return Response(
        cal.to_ical(),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": 'inline; filename="refundkit.ics"',
        },
    )
