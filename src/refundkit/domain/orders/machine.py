"""The order state machine as data: (state, action, role, guard) -> next state.

The same table drives the checks, the ``next_actions`` of an order and the lifecycle
diagram in the docs, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from refundkit.domain.errors import Forbidden, InvalidTransition, WindowClosed
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.policy import Policy
from refundkit.domain.roles import Role

S = OrderStatus


class OrderAction(StrEnum):
    PAY = "pay"
    EXPIRE = "expire"
    CANCEL = "cancel"
    APPROVE_CANCELLATION = "approve_cancellation"
    REJECT_CANCELLATION = "reject_cancellation"
    AUTO_CANCEL = "auto_cancel"
    SHIP = "ship"
    MARK_DELIVERED = "mark_delivered"
    CONFIRM_RECEIPT = "confirm_receipt"
    COMPLETE = "complete"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    OPEN_DISPUTE = "open_dispute"
    """Not a row of this table: opening a dispute is the dispute table's first step."""


A = OrderAction


@dataclass(frozen=True, slots=True)
class GuardContext:
    order: Order
    now: datetime
    policy: Policy


@dataclass(frozen=True, slots=True)
class Guard:
    """``check`` answers None when the action may go ahead, else why not."""

    description: str
    check: Callable[[GuardContext], str | None]
    error: type[InvalidTransition] = InvalidTransition


def _before(field: str, what: str) -> Callable[[GuardContext], str | None]:
    def check(ctx: GuardContext) -> str | None:
        deadline: datetime | None = getattr(ctx.order.deadlines, field)
        if deadline is not None and ctx.now >= deadline:
            return f"{what} closed at {deadline.isoformat()}"
        return None

    return check


def _passed(field: str) -> Callable[[GuardContext], str | None]:
    def check(ctx: GuardContext) -> str | None:
        deadline: datetime | None = getattr(ctx.order.deadlines, field)
        if deadline is None or ctx.now < deadline:
            return f"{field} has not passed"
        return None

    return check


def _all(*checks: Callable[[GuardContext], str | None]) -> Callable[[GuardContext], str | None]:
    def check(ctx: GuardContext) -> str | None:
        for one in checks:
            reason = one(ctx)
            if reason is not None:
                return reason
        return None

    return check


def _always(ctx: GuardContext) -> str | None:
    return None


def _no_open_dispute(ctx: GuardContext) -> str | None:
    return "a dispute is open on this order" if ctx.order.open_dispute_id else None


def _release_on_confirmation(ctx: GuardContext) -> str | None:
    if not ctx.policy.protection.release_on_confirmation:
        return "policy keeps the money until the dispute window closes"
    return _no_open_dispute(ctx)


def _hold_until_window_closes(ctx: GuardContext) -> str | None:
    return None if _release_on_confirmation(ctx) else "policy releases on confirmation"


def _not_confirmed(ctx: GuardContext) -> str | None:
    return "receipt already confirmed" if ctx.order.confirmed_at else None


def _extension_pending(ctx: GuardContext) -> str | None:
    return None if ctx.order.pending_extension else "no extension request is pending"


def _no_extension_pending(ctx: GuardContext) -> str | None:
    return "an extension request is already pending" if ctx.order.pending_extension else None


def _extension_room_left(ctx: GuardContext) -> str | None:
    if ctx.order.extension_days_granted >= ctx.policy.protection.extension_cap_days:
        return "the extension cap is used up"
    return None


def _extension_answer_open(ctx: GuardContext) -> str | None:
    pending = ctx.order.pending_extension
    if pending is not None and ctx.now >= pending.respond_by:
        return f"the answer was due by {pending.respond_by.isoformat()}"
    return None


def _extension_answer_overdue(ctx: GuardContext) -> str | None:
    pending = ctx.order.pending_extension
    if pending is None or ctx.now < pending.respond_by:
        return "the seller may still answer"
    return None


@dataclass(frozen=True, slots=True)
class Transition:
    source: OrderStatus
    action: OrderAction
    role: Role
    target: OrderStatus
    guard: Guard
    due: str | None = None
    """The deadline (a field of ``Deadlines``) the actor has to act by."""
    on_timeout: str | None = None
    """What happens when nobody acts by ``due``."""


def _t(
    source: OrderStatus,
    action: OrderAction,
    role: Role,
    target: OrderStatus,
    guard: Guard,
    due: str | None = None,
    on_timeout: str | None = None,
) -> Transition:
    return Transition(source, action, role, target, guard, due, on_timeout)


ANYTIME = Guard("always", _always)
_PAY_WINDOW = Guard("before pay_by", _before("pay_by", "the payment window"), WindowClosed)
_FREE_CANCEL = Guard(
    "within the free cancellation window",
    _before("free_cancel_until", "the free cancellation window"),
)
_AFTER_FREE_CANCEL = Guard(
    "free cancellation window over",
    lambda ctx: None if _before("free_cancel_until", "")(ctx) else "still free to cancel",
)
_SHIP_WINDOW = Guard("before ship_by", _before("ship_by", "the handling time"), WindowClosed)
_SELLER_ANSWER = Guard(
    "before cancel_respond_by",
    _before("cancel_respond_by", "the seller's answer window"),
    WindowClosed,
)
_REQUEST_EXTENSION = Guard(
    "before delivery_deadline, none pending, under the cap",
    _all(
        _before("delivery_deadline", "the protection period"),
        _no_extension_pending,
        _extension_room_left,
    ),
    WindowClosed,
)

ORDER_TRANSITIONS: tuple[Transition, ...] = (
    _t(S.AWAITING_PAYMENT, A.PAY, Role.PLATFORM, S.PAID, _PAY_WINDOW,
       "pay_by", "the order expires"),
    _t(S.AWAITING_PAYMENT, A.EXPIRE, Role.SYSTEM, S.EXPIRED,
       Guard("pay_by passed", _passed("pay_by"))),
    _t(S.AWAITING_PAYMENT, A.CANCEL, Role.BUYER, S.CANCELLED, ANYTIME),
    _t(S.PAID, A.CANCEL, Role.BUYER, S.CANCELLED, _FREE_CANCEL,
       "free_cancel_until", "cancelling becomes a request the seller answers"),
    _t(S.PAID, A.CANCEL, Role.BUYER, S.CANCEL_REQUESTED, _AFTER_FREE_CANCEL),
    _t(S.CANCEL_REQUESTED, A.APPROVE_CANCELLATION, Role.SELLER, S.CANCELLED, ANYTIME,
       "cancel_respond_by", "the cancellation is approved and the buyer refunded"),
    _t(S.CANCEL_REQUESTED, A.REJECT_CANCELLATION, Role.SELLER, S.PAID, _SELLER_ANSWER,
       "cancel_respond_by", "the cancellation is approved and the buyer refunded"),
    _t(S.CANCEL_REQUESTED, A.APPROVE_CANCELLATION, Role.SYSTEM, S.CANCELLED,
       Guard("seller silent past cancel_respond_by", _passed("cancel_respond_by"))),
    _t(S.PAID, A.SHIP, Role.SELLER, S.SHIPPED, _SHIP_WINDOW,
       "ship_by", "the order is cancelled and the buyer refunded in full"),
    _t(S.CANCEL_REQUESTED, A.SHIP, Role.SELLER, S.SHIPPED, _SHIP_WINDOW,
       "ship_by", "the order is cancelled and the buyer refunded in full"),
    _t(S.PAID, A.AUTO_CANCEL, Role.SYSTEM, S.CANCELLED,
       Guard("ship_by passed", _passed("ship_by"))),
    _t(S.CANCEL_REQUESTED, A.AUTO_CANCEL, Role.SYSTEM, S.CANCELLED,
       Guard("ship_by passed", _passed("ship_by"))),
    _t(S.SHIPPED, A.MARK_DELIVERED, Role.PLATFORM, S.DELIVERED, ANYTIME),
    _t(S.SHIPPED, A.CONFIRM_RECEIPT, Role.BUYER, S.DELIVERED,
       Guard("policy holds money until the window closes", _hold_until_window_closes),
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.SHIPPED, A.CONFIRM_RECEIPT, Role.BUYER, S.COMPLETED,
       Guard("policy releases on confirmation", _release_on_confirmation),
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.DELIVERED, A.CONFIRM_RECEIPT, Role.BUYER, S.DELIVERED,
       Guard("not confirmed yet; policy holds money", _all(_not_confirmed,
                                                           _hold_until_window_closes))),
    _t(S.DELIVERED, A.CONFIRM_RECEIPT, Role.BUYER, S.COMPLETED,
       Guard("not confirmed yet; policy releases on confirmation",
             _all(_not_confirmed, _release_on_confirmation))),
    _t(S.SHIPPED, A.COMPLETE, Role.SYSTEM, S.COMPLETED,
       Guard("delivery_deadline passed, no open dispute",
             _all(_passed("delivery_deadline"), _no_open_dispute))),
    _t(S.DELIVERED, A.COMPLETE, Role.SYSTEM, S.COMPLETED,
       Guard("dispute window closed, no open dispute",
             _all(_passed("dispute_closes_at"), _no_open_dispute))),
    _t(S.SHIPPED, A.REQUEST_EXTENSION, Role.BUYER, S.SHIPPED, _REQUEST_EXTENSION,
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.SHIPPED, A.APPROVE_EXTENSION, Role.SELLER, S.SHIPPED,
       Guard("an extension request is pending and its answer is due",
             _all(_extension_pending, _extension_answer_open), WindowClosed),
       "extension", "the extension is refused"),
    _t(S.SHIPPED, A.REJECT_EXTENSION, Role.SELLER, S.SHIPPED,
       Guard("an extension request is pending", _extension_pending),
       "extension", "the extension is refused"),
    _t(S.SHIPPED, A.REJECT_EXTENSION, Role.SYSTEM, S.SHIPPED,
       Guard("seller silent past the answer deadline", _extension_answer_overdue)),
)  # fmt: skip


def find_transition(
    order: Order, action: OrderAction, role: Role, now: datetime, policy: Policy
) -> Transition:
    """The row that lets ``role`` take ``action`` now, or the error that says why not."""
    rows = [t for t in ORDER_TRANSITIONS if t.source is order.status and t.action is action]
    if not rows:
        raise InvalidTransition(
            f"cannot {action.value} an order that is {order.status.value}",
            order_status=order.status.value,
            action=action.value,
        )
    mine = [t for t in rows if t.role is role]
    if not mine:
        raise Forbidden(f"a {role.value} may not {action.value} this order")
    ctx = GuardContext(order, now, policy)
    first_refusal: tuple[Guard, str] | None = None
    for row in mine:
        reason = row.guard.check(ctx)
        if reason is None:
            return row
        first_refusal = first_refusal or (row.guard, reason)
    assert first_refusal is not None
    guard, reason = first_refusal
    raise guard.error(f"cannot {action.value}: {reason}", action=action.value)


def allowed(order: Order, action: OrderAction, role: Role, now: datetime, policy: Policy) -> bool:
    try:
        find_transition(order, action, role, now, policy)
    except (InvalidTransition, Forbidden):
        return False
    return True


@dataclass(frozen=True, slots=True)
class NextAction:
    actor: Role
    action: OrderAction
    due_by: datetime | None
    on_timeout: str | None


def next_actions(order: Order, now: datetime, policy: Policy) -> list[NextAction]:
    """Who may do what now, by when, and what happens if nobody does."""
    ctx = GuardContext(order, now, policy)
    seen: set[tuple[Role, OrderAction]] = set()
    actions: list[NextAction] = []
    for row in ORDER_TRANSITIONS:
        if row.source is not order.status or row.role is Role.SYSTEM:
            continue
        if (row.role, row.action) in seen or row.guard.check(ctx) is not None:
            continue
        seen.add((row.role, row.action))
        due = _due_by(order, row)
        actions.append(NextAction(row.role, row.action, due, row.on_timeout if due else None))
    if dispute_window_open(order, now):
        actions.append(
            NextAction(Role.BUYER, OrderAction.OPEN_DISPUTE, order.deadlines.dispute_closes_at,
                       "the window closes and the seller is paid when the order completes")
        )  # fmt: skip
    return actions


def dispute_window_open(order: Order, now: datetime) -> bool:
    d = order.deadlines
    return (
        order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
        and order.open_dispute_id is None
        and d.dispute_opens_at is not None
        and d.dispute_opens_at <= now
        and (d.dispute_closes_at is None or now < d.dispute_closes_at)
    )


def _due_by(order: Order, row: Transition) -> datetime | None:
    if row.action in (OrderAction.APPROVE_EXTENSION, OrderAction.REJECT_EXTENSION):
        pending = order.pending_extension
        return pending.respond_by if pending else None
    if row.due is None:
        return None
    due: datetime | None = getattr(order.deadlines, row.due)
    return due
