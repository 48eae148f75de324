"""A dispute's page (the thread, offers, evidence, the buttons of ``next_actions``) for its
buyer and seller, and the agents' case page on the same address; evidence files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from refundkit.domain.errors import NotFound, RefundkitError, ValidationError
from refundkit.domain.money import AmountText
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.problems import status_of
from refundkit.entrypoints.api.routes_files import content_disposition
from refundkit.entrypoints.web.actions import DISPUTE_FORMS, OUTCOMES, due_by_form, my_forms
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import Posted, PostedDep, ViewerDep, deps_of, pages_of
from refundkit.entrypoints.web.uploads import chosen_files, store_chosen
from refundkit.entrypoints.web.views import ACTION_LABELS, pairs, title_of, waiting_for
from refundkit.service import disputes, files, page_lines, page_views, transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "video/mp4"})


def render_dispute(
    request: Request, user: User, dispute_id: str, *, errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    deps = deps_of(request)
    page = read(deps, lambda uow: page_views.dispute_page(deps, uow, user, dispute_id))
    d = page.found.dispute
    order = page.order.found.order
    mine = pairs(page.found.next_actions)
    return pages_of(request).render(
        request, "dispute.html", status, page=page, d=d, order=order, title=title_of(order),
        lines=page_lines.disputed_lines(order, d),
        late_ids=page_lines.late_parcels(order, page.found.now),
        order_flags=page_lines.order_only_flags(order),
        forms=my_forms(mine, user.role, DISPUTE_FORMS),
        due_of=due_by_form(page.found.next_actions, user.role, DISPUTE_FORMS),
        may=[action for actor, action in mine if actor == user.role.value],
        others=waiting_for(page.found.next_actions, user.role), action_labels=ACTION_LABELS,
        outcomes=OUTCOMES,
        errors=errors or {}, values=values or {}, done=request.query_params.get("done", ""),
    )  # fmt: skip


@router.get("/disputes/{dispute_id}")
def dispute_page(dispute_id: str, request: Request, viewer: ViewerDep) -> Response:
    return render_dispute(request, viewer.user, dispute_id)


def _command(deps: Deps, posted: Posted, dispute_id: str, action: str, evidence: list[str]
             ) -> Callable[[UnitOfWork], object]:  # fmt: skip
    user, text = posted.user, posted.text

    def money(field: str) -> AmountText:
        # Parsed by the use case in the order's currency, once the order is locked.
        return AmountText(text(field), field)

    def decide(uow: UnitOfWork) -> object:
        outcome = text("outcome")
        amount = money("refund_amount") if outcome == "partial_refund" else None
        return disputes.decide(
            deps,
            uow,
            user,
            dispute_id,
            outcome,
            amount,
            text("return_goods") == "yes",
            text("rationale"),
        )

    def decide_appeal(uow: UnitOfWork) -> object:
        uphold = text("decision") != "new_outcome"
        outcome = None if uphold else text("outcome")
        amount = money("refund_amount") if outcome == "partial_refund" else None
        return disputes.decide_appeal(
            deps,
            uow,
            user,
            dispute_id,
            uphold=uphold,
            outcome=outcome,
            amount=amount,
            rationale=text("rationale"),
        )

    def evidence_added(uow: UnitOfWork) -> object:
        if not evidence:
            raise ValidationError("choose at least one file", field="evidence")
        return disputes.add_evidence(deps, uow, user, dispute_id, evidence, text("note"))

    commands: dict[str, Callable[[UnitOfWork], object]] = {
        "accept": lambda uow: disputes.accept(deps, uow, user, dispute_id),
        "offer": lambda uow: disputes.offer(deps, uow, user, dispute_id,
                                            money("refund_amount"),
                                            text("return_goods") == "yes", text("note")),
        "reject": lambda uow: disputes.reject(deps, uow, user, dispute_id, text("reason")),
        "escalate": lambda uow: disputes.escalate(deps, uow, user, dispute_id),
        "withdraw": lambda uow: disputes.withdraw(deps, uow, user, dispute_id),
        "return_shipment": lambda uow: disputes.ship_return(
            deps, uow, user, dispute_id, text("carrier"), text("tracking_number"),
            postage=money("postage") if text("postage") else 0,
            seller_label=text("seller_label") == "yes"),
        "return_received": lambda uow: disputes.confirm_return(deps, uow, user, dispute_id,
                                                               text("condition")),
        "appeal": lambda uow: disputes.appeal(deps, uow, user, dispute_id, text("reason"),
                                              evidence),
        "message": lambda uow: disputes.post_message(deps, uow, user, dispute_id, text("body")),
        "evidence": evidence_added,
        "decide": decide,
        "request_evidence": lambda uow: disputes.request_evidence(
            deps, uow, user, dispute_id, text("party"), text("note")),
        "appeal_decision": decide_appeal,
    }  # fmt: skip
    if action not in commands:
        raise NotFound(f"no action {action}")
    return commands[action]


@router.post("/disputes/{dispute_id}/actions/{action}")
async def dispute_action(
    dispute_id: str, action: str, request: Request, posted: PostedDep
) -> Response:
    deps = deps_of(request)
    chosen = chosen_files(posted.form, "evidence")

    def work() -> None:
        evidence = store_chosen(deps, request.app.state.uploads, posted.user, chosen)
        transactions.run(deps, _command(deps, posted, dispute_id, action, evidence))

    try:
        await run_in_threadpool(work)
    except NotFound:
        raise
    except RefundkitError as exc:
        failed = exc
    else:
        return RedirectResponse(f"/disputes/{dispute_id}?done={action}", 303)
    return await run_in_threadpool(lambda: render_dispute(
        request, posted.user, dispute_id, errors={action: failed.detail},
        values=posted.values(), status=status_of(failed)))  # fmt: skip


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(64 * 1024):
            yield chunk
    finally:
        handle.close()


@router.get("/files/{file_id}")
def evidence_file(file_id: str, request: Request, viewer: ViewerDep) -> Response:
    """A file the signed-in person may read (the same rule as the API's download). Photos and
    videos are shown inline for the gallery; anything else downloads."""
    deps = deps_of(request)
    record = read(deps, lambda uow: files.visible_file(uow, viewer.user, file_id))
    uploads = request.app.state.uploads
    inline = record.content_type in INLINE_TYPES
    disposition = content_disposition(record.display_name)
    return StreamingResponse(
        _chunks(uploads.blobs.open(record.storage_name)),
        media_type=record.content_type,
        headers={
            "Content-Disposition": disposition.replace("attachment", "inline", 1)
            if inline else disposition,
            "Content-Length": str(record.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",  # as the API's download: never kept
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )  # fmt: skip
