"""Orders and their actions (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Response

from refundkit.domain.money import AmountText
from refundkit.domain.orders.model import Address, OrderLine, OrderStatus
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod
from refundkit.entrypoints.api import order_schemas as o
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import (
    IdempotencyDep,
    PageDep,
    RequiredIdempotencyDep,
    answer,
    command,
    query,
)
from refundkit.service import ledger_queries, orders, refunds
from refundkit.service.deps import Deps
from refundkit.service.orders import OrderDetails
from refundkit.service.records import User

router = APIRouter(prefix="/v1/orders", tags=["orders"], route_class=GuardedRoute)


def _draft_maker(deps: Deps, body: s.OrderIn) -> Callable[[User, User], OrderDraft]:
    catalog = deps.currencies
    lines = tuple(
        OrderLine(
            sku=item.sku,
            title=item.title,
            quantity=item.quantity,
            unit_price=s.minor_units(
                catalog, item.unit_price, body.currency, f"items[{i}].unit_price", positive=True
            ),
            category=item.category,
        )
        for i, item in enumerate(body.items)
    )
    shipping_fee = s.minor_units(
        catalog, body.shipping_fee, body.currency, "shipping_fee", positive=False
    )

    def make(buyer: User, seller: User) -> OrderDraft:
        return OrderDraft(
            buyer_id=buyer.id,
            seller_id=seller.id,
            buyer_country=buyer.country,
            seller_country=seller.country,
            currency=body.currency,
            lines=lines,
            shipping_fee=shipping_fee,
            payment_method=PaymentMethod(body.payment_method),
            ship_to=Address(body.ship_to.country, body.ship_to.city, body.ship_to.postcode),
            promised_delivery_days=body.promised_delivery_days,
            handling_days=body.handling_days,
        )

    return make


def _out(deps: Deps) -> Callable[[OrderDetails], o.OrderOut]:
    def render(found: OrderDetails) -> o.OrderOut:
        return o.OrderOut.of(deps.currencies, found)

    return render


@router.post("", status_code=201, response_model=o.OrderOut)
def create_order(body: s.OrderIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep) -> Response:
    make = _draft_maker(deps, body)
    return command(
        deps, idem,
        lambda uow: orders.create_order(deps, uow, user, make, body.buyer_id, body.seller_id),
        _out(deps), 201,
    )  # fmt: skip


@router.get("", response_model=o.OrderPage)
def list_orders(
    deps: DepsDep,
    user: UserDep,
    page: PageDep,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Response:
    found, more = query(
        deps,
        lambda uow: orders.list_orders(
            deps,
            uow,
            user,
            status=status,
            starting_after=page.starting_after,
            ending_before=page.ending_before,
            limit=page.limit,
        ),
    )
    return answer(
        o.OrderPage(data=[o.OrderOut.of(deps.currencies, d) for d in found], has_more=more)
    )


@router.get("/{order_id}", response_model=o.OrderOut)
def get_order(order_id: str, deps: DepsDep, user: UserDep) -> Response:
    found = query(deps, lambda uow: orders.get_order(deps, uow, user, order_id))
    return answer(o.OrderOut.of(deps.currencies, found))


@router.post("/{order_id}/pay", response_model=o.OrderOut)
def pay(
    order_id: str, body: s.PayIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem,
        lambda uow: orders.pay_order(deps, uow, user, order_id, body.payment_reference),
        _out(deps),
    )  # fmt: skip


@router.post("/{order_id}/cancel", response_model=o.OrderOut)
def cancel(
    order_id: str, body: s.ReasonIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem,
        lambda uow: orders.cancel_order(deps, uow, user, order_id, body.reason),
        _out(deps),
    )  # fmt: skip


@router.post("/{order_id}/cancellation/approve", response_model=o.OrderOut)
def approve_cancellation(
    order_id: str, body: s.EmptyIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem, lambda uow: orders.approve_cancellation(deps, uow, user, order_id), _out(deps)
    )


@router.post("/{order_id}/cancellation/reject", response_model=o.OrderOut)
def reject_cancellation(
    order_id: str, body: s.ReasonIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem,
        lambda uow: orders.reject_cancellation(deps, uow, user, order_id, body.reason),
        _out(deps),
    )  # fmt: skip


@router.post("/{order_id}/ship", response_model=o.OrderOut)
def ship(
    order_id: str, body: s.ShipIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem,
        lambda uow: orders.ship_order(deps, uow, user, order_id, body.carrier,
                                      body.tracking_number),
        _out(deps),
    )  # fmt: skip


@router.post("/{order_id}/confirm-receipt", response_model=o.OrderOut)
def confirm_receipt(
    order_id: str, body: s.EmptyIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    return command(
        deps, idem, lambda uow: orders.confirm_receipt(deps, uow, user, order_id), _out(deps)
    )


@router.post("/{order_id}/protection-extensions", response_model=o.ExtensionOut, status_code=201)
def request_extension(
    order_id: str, body: s.ExtensionIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    """The buyer asks for more protection days; the answer is the new extension (as Stripe
    answers a created sub-resource), the order it belongs to is at ``order_id``."""
    return command(
        deps, idem,
        lambda uow: orders.request_extension(deps, uow, user, order_id, body.days),
        lambda found: o.ExtensionOut.of(found.order, max(found.order.extensions,
                                                         key=lambda x: x.id)),
        201,
    )  # fmt: skip


@router.post("/{order_id}/protection-extensions/{extension_id}/approve", response_model=o.OrderOut)
def approve_extension(
    order_id: str, extension_id: str, body: s.EmptyIn, deps: DepsDep, user: UserDep,
    idem: IdempotencyDep,
) -> Response:  # fmt: skip
    return command(
        deps, idem,
        lambda uow: orders.answer_extension(deps, uow, user, order_id, extension_id, True),
        _out(deps),
    )  # fmt: skip


@router.post("/{order_id}/protection-extensions/{extension_id}/reject", response_model=o.OrderOut)
def reject_extension(
    order_id: str, extension_id: str, body: s.ReasonIn, deps: DepsDep, user: UserDep,
    idem: IdempotencyDep,
) -> Response:  # fmt: skip
    return command(
        deps, idem,
        lambda uow: orders.answer_extension(deps, uow, user, order_id, extension_id, False),
        _out(deps),
    )  # fmt: skip


@router.get("/{order_id}/timeline", response_model=s.EventPage)
def timeline(order_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> s.EventPage:
    found, more = query(
        deps,
        lambda uow: orders.timeline(
            uow,
            user,
            order_id,
            starting_after=page.starting_after,
            ending_before=page.ending_before,
            limit=page.limit,
        ),
    )
    return s.EventPage(data=[s.EventOut.of(e) for e in found], has_more=more)


@router.post("/{order_id}/refunds", response_model=s.RefundOut, status_code=201)
def refund(
    order_id: str, body: s.RefundIn, deps: DepsDep, user: UserDep, idem: RequiredIdempotencyDep
) -> Response:
    """Refund part or all of an order outside any dispute (platform, agents). The
    Idempotency-Key header is required: a retried refund must never pay twice."""
    amount = AmountText(body.amount, "amount")
    return command(
        deps, idem,
        lambda uow: refunds.refund_order(deps, uow, user, order_id, amount, body.reason),
        lambda refund: s.RefundOut.of(deps.currencies, refund),
        status_code=201,
    )  # fmt: skip


@router.get("/{order_id}/refunds", response_model=s.RefundPage)
def list_refunds(order_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> s.RefundPage:
    found, more = query(
        deps,
        lambda uow: refunds.list_refunds(
            uow,
            user,
            order_id,
            starting_after=page.starting_after,
            ending_before=page.ending_before,
            limit=page.limit,
        ),
    )
    return s.RefundPage(data=[s.RefundOut.of(deps.currencies, r) for r in found], has_more=more)


@router.get("/{order_id}/ledger-entries", response_model=s.EntryPage)
def ledger_entries(order_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> s.EntryPage:
    found, more = query(
        deps,
        lambda uow: ledger_queries.order_entries(
            uow,
            user,
            order_id,
            starting_after=page.starting_after,
            ending_before=page.ending_before,
            limit=page.limit,
        ),
    )
    data = [
        s.EntryOut(
            id=e.id,
            kind=e.kind.value,
            occurred_at=e.occurred_at,
            order_id=e.order_id,
            memo=e.memo,
            postings=[
                s.PostingOut(
                    account=p.account,
                    currency=p.currency,
                    amount=s.money_text(deps.currencies, p.amount, p.currency),
                )
                for p in e.postings
            ],
        )
        for e in found
    ]
    return s.EntryPage(data=data, has_more=more)
