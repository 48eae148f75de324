"""The buyer's store credit page (issue 19, item 6): the balance by currency and every
entry that made it, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from refundkit.domain.errors import NotFound
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import ViewerDep, deps_of, pages_of
from refundkit.service import credit

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)

KIND_LABELS = {
    "refund_to_credit": "Refund, as store credit (your choice)",
    "credit_compensation": "Compensation: counterfeit goods",
    "credit_late_delivery": "Compensation: late delivery",
}
PAGE_SIZE = 100


@router.get("/credit")
def credit_page(request: Request, viewer: ViewerDep) -> Response:
    user = viewer.user
    if user.role is not Role.BUYER:
        raise NotFound("no such page")
    deps = deps_of(request)
    found = read(deps, lambda uow: credit.buyer_credit(
        uow, user, user.id, starting_after=None, ending_before=None, limit=PAGE_SIZE))  # fmt: skip
    return pages_of(request).render(request, "credit.html", credit=found, kinds=KIND_LABELS)
