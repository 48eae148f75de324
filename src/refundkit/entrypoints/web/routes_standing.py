"""Standing on the pages (issue 19): a seller asks to exclude a defect from My work; on a
case, an agent answers the seller's request or clears one of the buyer's signals (the
buyer's appeal). Each form goes through the same use cases as the API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from refundkit.domain.errors import NotFound, RefundkitError
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.problems import status_of
from refundkit.entrypoints.web.routes_disputes import render_dispute
from refundkit.entrypoints.web.session import PostedDep, deps_of, pages_of
from refundkit.service import disputes, standing, transactions
from refundkit.service.ports import UnitOfWork

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)


async def _run(request: Request, work: Callable[[UnitOfWork], object]) -> RefundkitError | None:
    deps = deps_of(request)
    try:
        await run_in_threadpool(lambda: transactions.run(deps, work))
    except NotFound:
        raise
    except RefundkitError as exc:
        return exc
    return None


@router.post("/seller/standing/exclusions")
async def ask_exclusion(request: Request, posted: PostedDep) -> Response:
    deps, user = deps_of(request), posted.user
    failed = await _run(request, lambda uow: standing.request_exclusion(
        deps, uow, user, user.id, posted.text("order_id"), posted.text("reason")))  # fmt: skip
    if failed is None:
        return RedirectResponse("/seller?done=exclusion_asked#standing-title", 303)
    return pages_of(request).render(request, "error.html", status_of(failed),
                                    title="Exclusion not asked", detail=failed.detail)  # fmt: skip


@router.post("/disputes/{dispute_id}/standing/{action}")
async def case_standing(dispute_id: str, action: str, request: Request,
                        posted: PostedDep) -> Response:  # fmt: skip
    """``decide_exclusion`` (fields ``exclusion_id``, ``accept``, ``note``) or
    ``clear_signal`` (``signal``, ``note``), on the parties of this case."""
    deps, user = deps_of(request), posted.user

    def work(uow: UnitOfWork) -> object:
        d = disputes.visible_dispute(uow, user, dispute_id)
        if action == "decide_exclusion":
            return standing.decide_exclusion(deps, uow, user, d.seller_id,
                                             posted.text("exclusion_id"),
                                             accept=posted.text("accept") == "yes",
                                             note=posted.text("note"))  # fmt: skip
        if action == "clear_signal":
            return standing.clear_signal(deps, uow, user, d.buyer_id, posted.text("signal"),
                                         posted.text("note"))  # fmt: skip
        raise NotFound("no such action")

    failed = await _run(request, work)
    if failed is None:
        return RedirectResponse(f"/disputes/{dispute_id}?done={action}#standing-title", 303)
    return await run_in_threadpool(lambda: render_dispute(
        request, user, dispute_id, errors={action: failed.detail}, values=posted.values(),
        status=status_of(failed)))  # fmt: skip
