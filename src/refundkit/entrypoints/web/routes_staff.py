"""The agents' queues and the operator's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from refundkit.domain.disputes.model import DisputeStatus
from refundkit.domain.errors import NotFound
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.web.charts import Series, horizontal_bars, stacked_bars
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import ViewerDep, deps_of, pages_of
from refundkit.entrypoints.web.views import title_of
from refundkit.service import disputes, reports
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)


def _staff(user: User) -> None:
    if user.role not in reports.STAFF:
        raise NotFound("no such page")


@router.get("/agent")
def agent_queue(request: Request, viewer: ViewerDep) -> Response:
    """Escalated disputes, the soonest due first; overdue ones marked."""
    _staff(viewer.user)
    deps = deps_of(request)

    def work(uow: UnitOfWork) -> object:
        found, more = disputes.list_disputes(deps, uow, viewer.user,
                                             status=DisputeStatus.ESCALATED,
                                             starting_after=None, limit=100)  # fmt: skip
        by_id = {f.dispute.id: uow.orders.get(f.dispute.order_id) for f in found}
        sellers = {f.dispute.seller_id: uow.users.get(f.dispute.seller_id) for f in found}
        names = {k: u.name for k, u in sellers.items() if u is not None}
        return found, more, by_id, names

    found, more, by_id, names = read(deps, work)
    return pages_of(request).render(request, "agent_queue.html", cases=found, more=more,
                                    orders=by_id, sellers=names, title_of=title_of)  # fmt: skip


@router.get("/agent/appeals")
def appeals_queue(request: Request, viewer: ViewerDep) -> Response:
    _staff(viewer.user)
    deps = deps_of(request)
    found = read(deps, lambda uow: disputes.list_appeals(uow, viewer.user, status="open",
                                                         limit=100))  # fmt: skip
    return pages_of(request).render(request, "appeals.html", appeals=found)


@router.get("/dashboard")
def dashboard(request: Request, viewer: ViewerDep) -> Response:
    _staff(viewer.user)
    deps = deps_of(request)
    pages = pages_of(request)
    data = read(deps, lambda uow: reports.dashboard(uow, viewer.user, deps.clock.now()))
    opened = stacked_bars("Disputes opened per day, by reason", data.days,
                          [Series(r.replace("_", " "), [float(v) for v in values])
                           for r, values in data.opened_by_reason.items()])  # fmt: skip
    refunds = {
        currency: stacked_bars(
            f"Refunds paid per day ({currency})", data.days,
            [Series(currency, [v / 10 ** deps.currencies.exponent(currency) for v in values])],
        )
        for currency, values in data.refunds_per_day.items()
    }  # fmt: skip
    outcomes = horizontal_bars("Resolved disputes by who decided",
                               [(k, float(v)) for k, v in data.outcomes.items()])  # fmt: skip
    resolution = horizontal_bars(
        "Time to resolution", [(k, float(v)) for k, v in data.resolution_buckets]
    )
    sellers = horizontal_bars(
        "Sellers with the highest dispute rates",
        [(s.name, 100 * reports.rate(s.disputes, s.orders)) for s in data.top_sellers],
        "{:.1f} %",
        width=900,
    )
    return pages.render(
        request, "dashboard.html", data=data, opened=opened, refunds=refunds,
        outcomes=outcomes, resolution=resolution, sellers=sellers, rate=reports.rate,
    )  # fmt: skip
