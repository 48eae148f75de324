"""Use cases of the order lifecycle (DESIGN §2). Each runs inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.chargebacks.model import Chargeback
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import lines
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import NotFound, ValidationError
from refundkit.domain.ledger import escrow_account
from refundkit.domain.machine import NextAction
from refundkit.domain.orders import extensions, lifecycle
from refundkit.domain.orders.escrow import escrow_balance
from refundkit.domain.orders.machine import (
    OrderAction,
    dispute_window_open,
    next_actions,
)
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.orders.opening import NO_DISPUTES
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.roles import Role
from refundkit.service import shipments, standing
from refundkit.service.access import actor_of, visible_order
from refundkit.service.deps import Deps
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent, User
from refundkit.service.transactions import record


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    next_actions: list[NextAction[OrderAction]]
    now: datetime
    chargebacks: tuple[Chargeback, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    """Every dispute of the order, oldest first (issue 18: ``disputes`` beside ``dispute_id``)."""


def details(deps: Deps, uow: UnitOfWork, order: Order) -> OrderDetails:
    return details_many(deps, uow, [order])[0]


def details_many(deps: Deps, uow: UnitOfWork, found: Sequence[Order]) -> list[OrderDetails]:
    """Each order with what its answer shows; their chargebacks and disputes are read once
    for all of them (a page of orders costs the same statements as one)."""
    # Only a paid order can be charged back, only a shipped one disputed: the others cost
    # no statement.
    chargebacks = uow.chargebacks.for_orders([o.id for o in found if o.paid_at])
    disputes = uow.disputes.for_orders([o.id for o in found if o.shipped_at])
    return [_details(deps, uow, o, tuple(chargebacks.get(o.id, ())),
                     tuple(disputes.get(o.id, ()))) for o in found]  # fmt: skip


def _details(
    deps: Deps, uow: UnitOfWork, order: Order, found: tuple[Chargeback, ...],
    disputes: tuple[Dispute, ...],
) -> OrderDetails:  # fmt: skip
    now = deps.clock.now()
    policy = deps.policies.for_version(uow, order.policy_version)
    history = NO_DISPUTES
    if dispute_window_open(order, now, policy):
        # Only then do its earlier disputes matter (the same rule the API applies).
        history = lines.history_of(order, disputes)
    return OrderDetails(order, next_actions(order, now, policy, history), now, found, disputes)


def create_order(
    deps: Deps, uow: UnitOfWork, user: User, make_draft: Callable[[User, User], OrderDraft],
    buyer_id: str, seller_id: str,
) -> OrderDetails:  # fmt: skip
    """The platform reports an order. ``make_draft`` builds it once both parties are known."""
    if user.role not in (Role.PLATFORM, Role.ADMIN):
        raise NotFound("no such endpoint for this key")
    people = deps.parties.get_many([buyer_id, seller_id], uow.users.get_many)
    buyer, seller = people.get(buyer_id), people.get(seller_id)
    if buyer is None or buyer.role is not Role.BUYER:
        raise ValidationError(f"buyer_id {buyer_id} is not a buyer", field="buyer_id")
    if seller is None or seller.role is not Role.SELLER:
        raise ValidationError(f"seller_id {seller_id} is not a seller", field="seller_id")
    ctx = deps.context(uow, actor_of(user))
    order, outcome = place_order(ctx, make_draft(buyer, seller))
    outcome.merge(standing.on_new_order(deps, uow, ctx, order))
    uow.orders.add(order)
    record(uow, outcome)
    return details(deps, uow, order)


def _command(
    deps: Deps,
    uow: UnitOfWork,
    user: User,
    order_id: str,
    step: Callable[[Context, Order], Outcome],
) -> OrderDetails:
    order = visible_order(uow, user, order_id, for_update=True)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    held = {escrow_account(order.id): escrow_balance(order)}  # derived, under the row lock
    outcome = step(ctx, order)
    uow.orders.save(order)
    record(uow, outcome, held=held)
    return details(deps, uow, order)


def pay_order(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, payment_reference: str | None
) -> OrderDetails:
    return _command(
        deps, uow, user, order_id, lambda ctx, o: lifecycle.pay(ctx, o, payment_reference)
    )


def cancel_order(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, reason: str
) -> OrderDetails:
    return _command(deps, uow, user, order_id, lambda ctx, o: lifecycle.cancel(ctx, o, reason))


def approve_cancellation(deps: Deps, uow: UnitOfWork, user: User, order_id: str) -> OrderDetails:
    return _command(deps, uow, user, order_id, lifecycle.approve_cancellation)


def reject_cancellation(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, reason: str
) -> OrderDetails:
    return _command(
        deps, uow, user, order_id, lambda ctx, o: lifecycle.reject_cancellation(ctx, o, reason)
    )


def ship_order(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, carrier: str, tracking_number: str
) -> OrderDetails:
    """Ship everything not shipped yet, as one parcel (see ``service/shipments.py``)."""
    order = shipments.ship(deps, uow, user, order_id, carrier, tracking_number, None)
    return details(deps, uow, order)


def confirm_receipt(deps: Deps, uow: UnitOfWork, user: User, order_id: str) -> OrderDetails:
    return _command(deps, uow, user, order_id, lifecycle.confirm_receipt)


def request_extension(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, days: int
) -> OrderDetails:
    def step(ctx: Context, order: Order) -> Outcome:
        return extensions.request_extension(ctx, order, days)[1]

    return _command(deps, uow, user, order_id, step)


def answer_extension(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, extension_id: str, approve: bool
) -> OrderDetails:
    def step(ctx: Context, order: Order) -> Outcome:
        if order.extension(extension_id) is None:
            raise NotFound(f"no extension {extension_id} on this order")
        if approve:
            return extensions.approve_extension(ctx, order, extension_id)
        return extensions.reject_extension(ctx, order, extension_id)

    return _command(deps, uow, user, order_id, step)


def get_order(deps: Deps, uow: UnitOfWork, user: User, order_id: str) -> OrderDetails:
    return details(deps, uow, visible_order(uow, user, order_id))


def list_orders(
    deps: Deps,
    uow: UnitOfWork,
    user: User,
    *,
    status: OrderStatus | None,
    starting_after: str | None,
    limit: int,
    ending_before: str | None = None,
) -> tuple[list[OrderDetails], bool]:
    buyer_id = user.id if user.role is Role.BUYER else None
    seller_id = user.id if user.role is Role.SELLER else None
    found = uow.orders.search(
        buyer_id=buyer_id,
        seller_id=seller_id,
        status=status,
        starting_after=starting_after,
        limit=limit + 1,
        ending_before=ending_before,
    )
    page, more = window(found, limit, backwards=ending_before is not None)
    return details_many(deps, uow, page), more


def timeline(
    uow: UnitOfWork, user: User, order_id: str, *, starting_after: str | None, limit: int,
    ending_before: str | None = None,
) -> tuple[Sequence[StoredEvent], bool]:  # fmt: skip
    visible_order(uow, user, order_id)
    found = uow.events.for_order(order_id, starting_after=starting_after, limit=limit + 1,
                                 ending_before=ending_before)  # fmt: skip
    return window(found, limit, backwards=ending_before is not None)
