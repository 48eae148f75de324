"""Orders: the buyer's list and order page, the seller's work, and opening a dispute."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from refundkit.domain.errors import NotFound, RefundkitError, ValidationError
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.problems import status_of
from refundkit.entrypoints.web.actions import ORDER_FORMS, due_by_form, my_forms
from refundkit.entrypoints.web.line_forms import (
    SHIP_PREFIX,
    line_field,
    parcel_lines,
    quantities,
    readable,
)
from refundkit.entrypoints.web.session import Posted, PostedDep, ViewerDep, deps_of, pages_of
from refundkit.entrypoints.web.views import (
    next_deadline,
    pairs,
    relevant_deadlines,
    title_of,
    waiting_for,
)
from refundkit.service import (
    notifications,
    orders,
    page_lines,
    page_views,
    reports,
    shipments,
    standing,
    transactions,
)
from refundkit.service.deps import Deps
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
WINDOW_WARNING = timedelta(days=5)
MESSAGES_COUNTED = 99
"""The order page counts the messages about the order up to this, then shows ``99+``."""


def read(deps: Deps, work: Callable[[UnitOfWork], Any]) -> Any:
    return transactions.run(deps, work, readonly=True)


@router.get("/orders")
def order_list(request: Request, viewer: ViewerDep) -> Response:
    deps = deps_of(request)
    found = read(deps, lambda uow: page_views.my_orders(deps, uow, viewer.user))
    rows = [(o, next_deadline(o.next_actions, o.now), title_of(o.order)) for o in found]
    return pages_of(request).render(request, "orders.html", rows=rows)


def render_order(
    request: Request, user: User, order_id: str, *, errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None, status: int = 200, field: str = "",
) -> Response:  # fmt: skip
    deps = deps_of(request)

    def work(uow: UnitOfWork) -> tuple[Any, str]:
        page = page_views.order_page(deps, uow, user, order_id)
        sent, more = notifications.list_notifications(
            uow, user, user_id=None, order_id=order_id, kind=None, starting_after=None,
            limit=MESSAGES_COUNTED)  # fmt: skip
        return page, f"{len(sent)}+" if more else str(len(sent))

    page, message_count = read(deps, work)
    found: OrderDetails = page.found
    errors = {k: readable(v, found.order) for k, v in (errors or {}).items()}
    if "ship" in errors and field.startswith(SHIP_PREFIX):
        # The use case refused an item's units (a page opened before another parcel left):
        # what is left of it now, in words.
        left = page_lines.left_to_ship(found.order, field[len(SHIP_PREFIX) :])
        errors["ship"] = left or errors["ship"]
    return pages_of(request).render(
        request, "order.html", status, page=page, order=found.order, title=title_of(found.order),
        forms=my_forms(pairs(found.next_actions), user.role, ORDER_FORMS),
        due_of=due_by_form(found.next_actions, user.role, ORDER_FORMS),
        warn_window=_closing_soon(found),
        others=waiting_for(found.next_actions, user.role),
        deadlines=relevant_deadlines(found.order),
        errors=errors, values=values or {}, done=request.query_params.get("done", ""),
        message_count=message_count, field=field,
        ship_items=page_lines.shippable_items(found.order),
        holdings=page_lines.item_holdings(found.order, found.disputes),
        late_ids=page_lines.late_parcels(found.order, found.now),
        order_flags=page_lines.order_only_flags(found.order),
    )  # fmt: skip


def _closing_soon(found: OrderDetails) -> bool:
    """The buyer may still open a dispute, and the window closes within 5 days."""
    for a in found.next_actions:
        if str(a.action) == "open_dispute" and a.due_by is not None:
            return a.due_by - found.now < WINDOW_WARNING
    return False


@router.get("/orders/{order_id}")
def order_page(order_id: str, request: Request, viewer: ViewerDep) -> Response:
    return render_order(request, viewer.user, order_id)


def _days(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError("days must be a whole number", field="days") from None


def _order_command(deps: Deps, posted: Posted, order_id: str, action: str,
                   sent: list[tuple[tuple[str, int], ...] | None]
                   ) -> Callable[[UnitOfWork], object]:  # fmt: skip
    """The use case behind an order action; ``sent`` gets the parcel's lines, if any (a
    refusal about ``lines[i]`` is shown beside that item)."""
    user, text = posted.user, posted.text

    def ship(uow: UnitOfWork) -> object:
        # The order page's parcel form names the units per item; the seller's list (and a
        # form without them) ships everything left, as ``POST /v1/orders/{id}/ship``.
        posted_units = quantities(posted.form, SHIP_PREFIX)
        lines = parcel_lines(posted_units) if posted_units else None
        sent[0] = lines
        return shipments.ship(deps, uow, user, order_id, text("carrier"),
                              text("tracking_number"), lines)  # fmt: skip

    def pending_extension(uow: UnitOfWork) -> str:
        pending = orders.get_order(deps, uow, user, order_id).order.pending_extension
        if pending is None:
            raise ValidationError("no extension request is waiting for an answer")
        return pending.id

    commands: dict[str, Callable[[UnitOfWork], object]] = {
        "cancel": lambda uow: orders.cancel_order(deps, uow, user, order_id, text("reason")),
        "confirm_receipt": lambda uow: orders.confirm_receipt(deps, uow, user, order_id),
        "request_extension": lambda uow: orders.request_extension(
            deps, uow, user, order_id, _days(text("days"))),
        "ship": ship,
        "approve_cancellation": lambda uow: orders.approve_cancellation(deps, uow, user, order_id),
        "reject_cancellation": lambda uow: orders.reject_cancellation(
            deps, uow, user, order_id, text("reason")),
        "approve_extension": lambda uow: orders.answer_extension(
            deps, uow, user, order_id, pending_extension(uow), True),
        "reject_extension": lambda uow: orders.answer_extension(
            deps, uow, user, order_id, pending_extension(uow), False),
    }  # fmt: skip
    if action not in commands:
        raise NotFound(f"no action {action}")
    return commands[action]


@router.post("/orders/{order_id}/actions/{action}")
def order_action(order_id: str, action: str, request: Request, posted: PostedDep) -> Response:
    deps = deps_of(request)
    sent: list[tuple[tuple[str, int], ...] | None] = [None]
    command = _order_command(deps, posted, order_id, action, sent)
    error: RefundkitError | None = None
    try:
        transactions.run(deps, command)
    except NotFound:
        raise
    except RefundkitError as exc:
        error = exc
    if error is not None:
        field = line_field(str(error.extra.get("field", "")), sent[0], SHIP_PREFIX)
        return render_order(request, posted.user, order_id, errors={action: error.detail},
                            values=posted.values(), status=status_of(error),
                            field=field)  # fmt: skip
    back = posted.text("back")
    target = back if back in ("/seller",) else f"/orders/{order_id}"
    return RedirectResponse(f"{target}?done={action}", 303)


# --- the seller's work ---------------------------------------------------------------------


@router.get("/seller")
def seller_home(request: Request, viewer: ViewerDep) -> Response:
    deps, user = deps_of(request), viewer.user
    if user.role is not Role.SELLER:
        raise NotFound("no such page")

    def work(uow: UnitOfWork) -> dict[str, Any]:
        mine = page_views.my_orders(deps, uow, user)
        cases = page_views.my_disputes(deps, uow, user)
        return {
            "orders": mine,
            "cases": cases,
            "record": reports.seller_record(uow, user),
            "standing": standing.seller_view(deps, uow, user.id),
        }

    got = read(deps, work)

    def mine(found: OrderDetails, *actions: str) -> bool:
        return any(str(a.actor) == "seller" and str(a.action) in actions
                   for a in found.next_actions)  # fmt: skip

    to_ship = [o for o in got["orders"] if mine(o, "ship")]
    requests = [o for o in got["orders"] if mine(o, "approve_cancellation", "approve_extension",
                                                  "reject_extension")]  # fmt: skip
    answer = []
    for case in got["cases"]:
        due = [a.due_by for a in case.next_actions if str(a.actor) == "seller" and a.due_by
               and case.dispute.is_open]  # fmt: skip
        if due:
            answer.append((min(due), case))
    answer.sort(key=lambda pair: pair[0])
    return pages_of(request).render(
        request, "seller.html", to_ship=to_ship, requests=requests, answer=answer,
        record=got["record"], standing=got["standing"], title_of=title_of, forms=ORDER_FORMS,
        orders_by_id={o.order.id: o.order for o in got["orders"]},
        done=request.query_params.get("done", ""),
    )  # fmt: skip
