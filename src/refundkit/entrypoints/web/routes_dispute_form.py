"""The buyer's open-dispute form: reason and sub-reason, the items and units it is about
(issue 18: none chosen is the whole order), the refund asked with its maximum for the units
chosen, return or not, description and evidence."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from refundkit.domain.errors import (
    AmountExceedsRefundable,
    NotFound,
    RefundkitError,
    ValidationError,
)
from refundkit.domain.money import AmountText
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.problems import status_of
from refundkit.entrypoints.web.line_forms import (
    DISPUTE_PREFIX,
    dispute_lines,
    line_field,
    quantities,
    readable,
)
from refundkit.entrypoints.web.routes_orders import read
from refundkit.entrypoints.web.session import PostedDep, ViewerDep, deps_of, pages_of
from refundkit.entrypoints.web.uploads import chosen_files, store_chosen
from refundkit.entrypoints.web.views import title_of
from refundkit.service import disputes, orders, page_lines, page_views, transactions
from refundkit.service.disputes import DisputeRequest
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
WINDOW_WARNING = timedelta(days=5)


def _buyers_order(request: Request, user: User, order_id: str) -> OrderDetails:
    deps = deps_of(request)
    found: OrderDetails = read(deps, lambda uow: orders.get_order(deps, uow, user, order_id))
    if user.role is not Role.BUYER:
        raise NotFound(f"no order {order_id}")
    return found


def _message(
    request: Request, failed: RefundkitError, order: Order, field: str,
    items: list[page_lines.DisputableItem], values: dict[str, str],
) -> str:  # fmt: skip
    """A refusal in the page's words: titles for item ids, amounts as money; an item's units
    above what is left now are said with what is left."""
    cap = failed.extra.get("refundable")
    chose = any(values.get(DISPUTE_PREFIX + i.line.id, "").strip() for i in items)
    if isinstance(failed, AmountExceedsRefundable) and isinstance(cap, int):
        what = "the units you chose" if chose else "the order"
        most = pages_of(request).money(cap, order.currency)
        return f"You ask for more than {what} can still refund: at most {most}."
    message = readable(failed.detail, order)
    item = next((i for i in items if DISPUTE_PREFIX + i.line.id == field), None)
    if item is None:
        return message
    sent = values.get(field, "").strip()
    if str(failed.extra.get("field", "")).startswith("lines[") and sent.isdigit() \
            and int(sent) > item.left:  # fmt: skip
        return page_lines.left_to_dispute(item)
    title = item.line.title
    return message if title in message else f"{title}: {message[:1].lower()}{message[1:]}"


def render_dispute_form(
    request: Request, user: User, order_id: str, *, failed: RefundkitError | None = None,
    field: str = "", values: dict[str, str] | None = None,
    evidence_ids: list[str] | None = None,
) -> Response:  # fmt: skip
    found = _buyers_order(request, user, order_id)
    order = found.order
    values = values or {}
    items = page_lines.disputable_items(order, found.disputes)
    chosen = {i.line.id: values.get(DISPUTE_PREFIX + i.line.id, "") for i in items}
    error = "" if failed is None else _message(request, failed, order, field, items, values)
    status = 200 if failed is None else status_of(failed)
    window = next((a for a in found.next_actions if str(a.action) == "open_dispute"), None)
    closes = order.deadlines.dispute_closes_at
    warn = closes is not None and closes - found.now < WINDOW_WARNING
    try:
        lines = page_lines.read_dispute_picks(items, chosen)
    except ValidationError:
        lines = None  # the maximum of the whole order, said as such
    cap = page_lines.picked_cap(order, lines)
    return pages_of(request).render(
        request, "dispute_new.html", status, order=order, title=title_of(order),
        window_open=window is not None, closes=closes, warn=warn,
        sub_reasons=page_lines.sub_reasons_for(order, page_views.sub_reasons()),
        missing_items=page_lines.missing_items_applies(order),
        items=items if sum(line.quantity for line in order.lines) > 1 else [],
        cap=cap, picked=lines is not None, values=values, error=error, field=field,
        evidence_ids=evidence_ids or [],
    )  # fmt: skip


@router.get("/orders/{order_id}/dispute/new")
def dispute_form(order_id: str, request: Request, viewer: ViewerDep) -> Response:
    return render_dispute_form(request, viewer.user, order_id)


@router.get("/orders/{order_id}/dispute/cap")
def refund_field(order_id: str, request: Request, viewer: ViewerDep) -> Response:
    """The refund field for the units chosen so far (htmx swaps it in when they change): its
    maximum, and that maximum filled in."""
    found = _buyers_order(request, viewer.user, order_id)
    order = found.order
    items = page_lines.disputable_items(order, found.disputes)
    chosen = {k[len(DISPUTE_PREFIX) :]: v for k, v in request.query_params.items()
              if k.startswith(DISPUTE_PREFIX)}  # fmt: skip
    error = ""
    try:
        lines = page_lines.read_dispute_picks(items, chosen)
    except ValidationError as exc:
        lines, error = None, exc.detail
    cap = page_lines.picked_cap(order, lines)
    return pages_of(request).render(
        request, "_refund_field.html", order=order, cap=cap, picked=lines is not None,
        amount=pages_of(request).major(cap, order.currency), field="", error=error,
    )  # fmt: skip


@router.post("/orders/{order_id}/dispute/new")
async def open_dispute(order_id: str, request: Request, posted: PostedDep) -> Response:
    deps = deps_of(request)
    user, text = posted.user, posted.text
    kept = [i for i in posted.form.getlist("evidence_ids") if isinstance(i, str) and i]
    chosen = chosen_files(posted.form, "evidence")
    picks = quantities(posted.form, DISPUTE_PREFIX)
    sent: list[tuple[tuple[str, int], ...] | None] = [None]

    def work() -> str:
        kept.extend(store_chosen(deps, request.app.state.uploads, user, chosen))

        def step(uow: UnitOfWork) -> str:
            if text("reason") == "":
                raise ValidationError("choose what went wrong", field="reason")
            received = text("item_received")
            if received not in ("yes", "no"):
                raise ValidationError("say whether the item arrived", field="item_received")
            lines = dispute_lines(picks)
            sent[0] = lines
            amount = AmountText(text("requested_refund"), "requested_refund")
            form = DisputeRequest(
                text("reason"),
                text("sub_reason") or None,
                received == "yes",
                amount,
                text("return_goods") == "yes",
                text("description"),
                lines,
                "store_credit" if text("refund_destination") == "store_credit" else "original",
            )
            return disputes.open_dispute(deps, uow, user, order_id, form, kept).dispute.id

        dispute_id: str = transactions.run(deps, step)
        return dispute_id

    try:
        dispute_id = await run_in_threadpool(work)
    except NotFound:
        raise
    except RefundkitError as exc:
        failed = exc
    else:
        return RedirectResponse(f"/disputes/{dispute_id}?done=opened", 303)
    field = line_field(str(failed.extra.get("field", "")), sent[0], DISPUTE_PREFIX)
    return await run_in_threadpool(lambda: render_dispute_form(
        request, user, order_id, failed=failed, field=field,
        values=posted.values(), evidence_ids=kept))  # fmt: skip


@router.get("/dispute-sub-reasons")
def sub_reason_options(
    request: Request, viewer: ViewerDep, reason: str = "", order: str = ""
) -> Response:
    """The sub-reason choices of a reason (htmx swaps them in when the reason changes); with
    ``order``, only those that apply to it (``missing_items`` once a parcel arrived)."""
    found = _buyers_order(request, viewer.user, order).order if order else None
    options = page_lines.sub_reasons_for(found, page_views.sub_reasons()).get(reason, [])
    return pages_of(request).render(request, "_sub_reasons.html", options=options, selected="")
