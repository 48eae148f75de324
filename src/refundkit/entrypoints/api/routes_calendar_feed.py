"""The buyer's calendar feed address, for shops that show it on their own pages (the web
page ``/calendar`` makes the same address)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from refundkit.domain.errors import Forbidden
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import JSON
from refundkit.entrypoints.api.schemas import EmptyIn
from refundkit.service import web_sessions

router = APIRouter(prefix="/v1", tags=["calendar"], route_class=GuardedRoute)


class CalendarFeedOut(BaseModel):
    object: Literal["calendar_feed"] = "calendar_feed"
    url: str = Field(
        description="The iCalendar address of the buyer's deadlines. It carries a secret: "
        "shown once; a new address revokes the previous one."
    )


@router.post("/calendar-feed", status_code=201, response_model=CalendarFeedOut)
def new_calendar_feed(request: Request, body: EmptyIn, deps: DepsDep, user: UserDep) -> Response:
    """A new feed address for the calling buyer [buyer]; the previous address stops working.
    Not idempotent on purpose: every call is a new secret."""
    if user.role is not Role.BUYER:
        raise Forbidden("the calendar feed holds a buyer's deadlines: only a buyer has one")
    token = web_sessions.new_feed_token(deps, user)
    url = str(request.url_for("calendar_feed", token=token))
    return Response(CalendarFeedOut(url=url).model_dump_json(), 201, media_type=JSON)
