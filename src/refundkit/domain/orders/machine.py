"""The order state machine: its table on the engine of ``refundkit.domain.machine``.

The same table drives the checks, the ``next_actions`` of an order, the command each
order timer runs, and the lifecycle diagram in the docs, so they can never disagree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from refundkit.domain.errors import (
    WindowClosed,
)
from refundkit.domain.machine import ANYTIME, Guard, Machine, NextAction, Transition, all_of
from refundkit.domain.orders import timers
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.orders.opening import (
    NO_DISPUTES,
    OPEN_DISPUTE,
    OPEN_DISPUTE_AFTER_EARLY_RELEASE,
    DisputeHistory,
    OrderCheck,
    OrderFacts,
)
from refundkit.domain.orders.opening import guard as _guard
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
    """The order's side of opening a dispute: the dispute table starts where it ends."""


A = OrderAction
OrderTransition = Transition[OrderStatus, OrderAction, OrderFacts]


def _t(
    source: OrderStatus,
    action: OrderAction,
    role: Role,
    target: OrderStatus,
    guard: Guard[OrderFacts],
    due: str | None = None,
    on_timeout: str | None = None,
    *,
    timer: str | None = None,
) -> OrderTransition:
    return Transition(source, action, (role,), target, guard, due, on_timeout, timer)


def _before(field: str, what: str) -> OrderCheck:
    def check(ctx: OrderFacts) -> str | None:
        deadline: datetime | None = getattr(ctx.order.deadlines, field)
        if deadline is not None and ctx.now >= deadline:
            return f"{what} closed at {deadline.isoformat()}"
        return None

    return check


def _passed(field: str) -> OrderCheck:
    def check(ctx: OrderFacts) -> str | None:
        deadline: datetime | None = getattr(ctx.order.deadlines, field)
        if deadline is None or ctx.now < deadline:
            return f"{field} has not passed"
        return None

    return check


def _all(*checks: OrderCheck) -> OrderCheck:
    def check(ctx: OrderFacts) -> str | None:
        for one in checks:
            reason = one(ctx)
            if reason is not None:
                return reason
        return None

    return check


def _units_left_to_ship(ctx: OrderFacts) -> str | None:
    return None if not ctx.order.everything_shipped else "every unit is shipped or cancelled"


def _everything_shipped(ctx: OrderFacts) -> str | None:
    return None if ctx.order.everything_shipped else "some units are not shipped yet"


def _no_open_dispute(ctx: OrderFacts) -> str | None:
    return "a dispute is open on this order" if ctx.order.disputed else None


def _disputed(ctx: OrderFacts) -> str | None:
    return None if ctx.order.disputed else "no dispute is open on this order"


def _release_on_confirmation(ctx: OrderFacts) -> str | None:
    if not ctx.policy.protection.release_on_confirmation:
        return "policy keeps the money until the dispute window closes"
    if ctx.order.escrow_hold_days:
        return "the seller's standing holds the money past the dispute window"
    return _no_open_dispute(ctx)


def _hold_until_window_closes(ctx: OrderFacts) -> str | None:
    return None if _release_on_confirmation(ctx) else "policy releases on confirmation"


def _not_confirmed(ctx: OrderFacts) -> str | None:
    return "receipt already confirmed" if ctx.order.confirmed_at else None


def _extension_pending(ctx: OrderFacts) -> str | None:
    return None if ctx.order.pending_extension else "no extension request is pending"


def _no_extension_pending(ctx: OrderFacts) -> str | None:
    return "an extension request is already pending" if ctx.order.pending_extension else None


def _extension_room_left(ctx: OrderFacts) -> str | None:
    if ctx.order.extension_days_granted >= ctx.policy.protection.extension_cap_days:
        return "the extension cap is used up"
    return None


def _extension_answer_open(ctx: OrderFacts) -> str | None:
    pending = ctx.order.pending_extension
    if pending is not None and ctx.now >= pending.respond_by:
        return f"the answer was due by {pending.respond_by.isoformat()}"
    return None


def _extension_answer_overdue(ctx: OrderFacts) -> str | None:
    pending = ctx.order.pending_extension
    if pending is None or ctx.now < pending.respond_by:
        return "the seller may still answer"
    return None


_PAY_WINDOW = _guard("before pay_by", _before("pay_by", "the payment window"), WindowClosed)
_FREE_CANCEL = _guard(
    "within the free cancellation window",
    _before("free_cancel_until", "the free cancellation window"),
)
_AFTER_FREE_CANCEL = _guard(
    "free cancellation window over",
    lambda ctx: None if _before("free_cancel_until", "")(ctx) else "still free to cancel",
)
_SHIP_WINDOW = all_of(
    "units left to ship, before ship_by",
    _guard("units left to ship", _units_left_to_ship),
    _guard("before ship_by", _before("ship_by", "the handling time"), WindowClosed),
)
_CANCEL_UNSHIPPED = _guard(
    "ship_by passed, units left to ship", _all(_passed("ship_by"), _units_left_to_ship)
)
_SELLER_ANSWER = _guard(
    "before cancel_respond_by",
    _before("cancel_respond_by", "the seller's answer window"),
    WindowClosed,
)
_REQUEST_EXTENSION = _guard(
    "before delivery_deadline, none pending, under the cap",
    _all(
        _before("delivery_deadline", "the protection period"),
        _no_extension_pending,
        _extension_room_left,
    ),
    WindowClosed,
)


_ROWS: tuple[OrderTransition, ...] = (
    _t(S.AWAITING_PAYMENT, A.PAY, Role.PLATFORM, S.PAID, _PAY_WINDOW,
       "pay_by", "the order expires"),
    _t(S.AWAITING_PAYMENT, A.EXPIRE, Role.SYSTEM, S.EXPIRED,
       _guard("pay_by passed", _passed("pay_by")), timer=timers.EXPIRE),
    _t(S.AWAITING_PAYMENT, A.CANCEL, Role.BUYER, S.CANCELLED, ANYTIME),
    _t(S.PAID, A.CANCEL, Role.BUYER, S.CANCELLED, _FREE_CANCEL,
       "free_cancel_until", "cancelling becomes a request the seller answers"),
    _t(S.PAID, A.CANCEL, Role.BUYER, S.CANCEL_REQUESTED, _AFTER_FREE_CANCEL),
    _t(S.CANCEL_REQUESTED, A.APPROVE_CANCELLATION, Role.SELLER, S.CANCELLED, ANYTIME,
       "cancel_respond_by", "the cancellation is approved and the buyer refunded"),
    _t(S.CANCEL_REQUESTED, A.REJECT_CANCELLATION, Role.SELLER, S.PAID, _SELLER_ANSWER,
       "cancel_respond_by", "the cancellation is approved and the buyer refunded"),
    _t(S.CANCEL_REQUESTED, A.APPROVE_CANCELLATION, Role.SYSTEM, S.CANCELLED,
       _guard("seller silent past cancel_respond_by", _passed("cancel_respond_by")),
       timer=timers.CANCELLATION_SILENCE),
    _t(S.PAID, A.SHIP, Role.SELLER, S.SHIPPED, _SHIP_WINDOW,
       "ship_by", "the order is cancelled and the buyer refunded in full"),
    _t(S.CANCEL_REQUESTED, A.SHIP, Role.SELLER, S.SHIPPED, _SHIP_WINDOW,
       "ship_by", "the order is cancelled and the buyer refunded in full"),
    _t(S.PAID, A.AUTO_CANCEL, Role.SYSTEM, S.CANCELLED,
       _guard("ship_by passed", _passed("ship_by")), timer=timers.AUTO_CANCEL),
    _t(S.CANCEL_REQUESTED, A.AUTO_CANCEL, Role.SYSTEM, S.CANCELLED,
       _guard("ship_by passed", _passed("ship_by")), timer=timers.AUTO_CANCEL),
    _t(S.SHIPPED, A.SHIP, Role.SELLER, S.SHIPPED, _SHIP_WINDOW,
       "ship_by", "the units not shipped are cancelled and refunded"),
    _t(S.SHIPPED, A.AUTO_CANCEL, Role.SYSTEM, S.SHIPPED, _CANCEL_UNSHIPPED,
       timer=timers.AUTO_CANCEL),
    _t(S.SHIPPED, A.MARK_DELIVERED, Role.PLATFORM, S.DELIVERED, ANYTIME),
    _t(S.SHIPPED, A.CONFIRM_RECEIPT, Role.BUYER, S.DELIVERED,
       _guard("everything shipped; policy holds money until the window closes",
             _all(_everything_shipped, _hold_until_window_closes)),
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.SHIPPED, A.CONFIRM_RECEIPT, Role.BUYER, S.COMPLETED,
       _guard("everything shipped; policy releases on confirmation",
             _all(_everything_shipped, _release_on_confirmation)),
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.DELIVERED, A.CONFIRM_RECEIPT, Role.BUYER, S.DELIVERED,
       _guard("not confirmed yet; policy holds money", _all(_not_confirmed,
                                                           _hold_until_window_closes))),
    _t(S.DELIVERED, A.CONFIRM_RECEIPT, Role.BUYER, S.COMPLETED,
       _guard("not confirmed yet; policy releases on confirmation",
             _all(_not_confirmed, _release_on_confirmation))),
    _t(S.SHIPPED, A.COMPLETE, Role.SYSTEM, S.COMPLETED,
       _guard("delivery_deadline passed, no open dispute",
             _all(_passed("delivery_deadline"), _no_open_dispute)), timer=timers.COMPLETE),
    _t(S.DELIVERED, A.COMPLETE, Role.SYSTEM, S.COMPLETED,
       _guard("dispute window closed, no open dispute",
             _all(_passed("dispute_closes_at"), _no_open_dispute)), timer=timers.COMPLETE),
    # Disputes hold some units: the rest of the money goes to the seller on time; the
    # order completes when the last dispute ends (docs/decisions.md, issue 18).
    _t(S.SHIPPED, A.COMPLETE, Role.SYSTEM, S.SHIPPED,
       _guard("delivery_deadline passed, disputes open: the undisputed units' money is "
              "released", _all(_passed("delivery_deadline"), _disputed)),
       timer=timers.COMPLETE),
    _t(S.DELIVERED, A.COMPLETE, Role.SYSTEM, S.DELIVERED,
       _guard("dispute window closed, disputes open: the undisputed units' money is "
              "released", _all(_passed("dispute_closes_at"), _disputed)),
       timer=timers.COMPLETE),
    _t(S.SHIPPED, A.REQUEST_EXTENSION, Role.BUYER, S.SHIPPED, _REQUEST_EXTENSION,
       "delivery_deadline", "the order completes and the seller is paid"),
    _t(S.SHIPPED, A.APPROVE_EXTENSION, Role.SELLER, S.SHIPPED,
       _guard("an extension request is pending and its answer is due",
             _all(_extension_pending, _extension_answer_open), WindowClosed),
       "extension", "the extension is refused"),
    _t(S.SHIPPED, A.REJECT_EXTENSION, Role.SELLER, S.SHIPPED,
       _guard("an extension request is pending", _extension_pending),
       "extension", "the extension is refused"),
    _t(S.SHIPPED, A.REJECT_EXTENSION, Role.SYSTEM, S.SHIPPED,
       _guard("seller silent past the answer deadline", _extension_answer_overdue),
       timer=timers.EXTENSION_SILENCE),
    *(
        _t(state, A.OPEN_DISPUTE, Role.BUYER, state, OPEN_DISPUTE, "dispute_closes_at",
           "the window closes and the seller is paid when the order completes")
        for state in (S.SHIPPED, S.DELIVERED)
    ),
    _t(S.COMPLETED, A.OPEN_DISPUTE, Role.BUYER, S.COMPLETED,
       OPEN_DISPUTE_AFTER_EARLY_RELEASE, "dispute_closes_at", "the window closes"),
)  # fmt: skip


def _deadline(facts: OrderFacts, name: str) -> datetime | None:
    """``extension`` is the answer deadline of the pending extension; any other name is a
    field of the order's ``deadlines``."""
    if name == "extension":
        pending = facts.order.pending_extension
        return pending.respond_by if pending else None
    due: datetime | None = getattr(facts.order.deadlines, name)
    return due


ORDER_MACHINE: Machine[OrderStatus, OrderAction, OrderFacts] = Machine(
    noun="order", rows=_ROWS, state_of=lambda f: f.order.status, deadline_of=_deadline
)
ORDER_TRANSITIONS = ORDER_MACHINE.rows


def find_transition(
    order: Order, action: OrderAction, role: Role, now: datetime, policy: Policy,
    disputes: DisputeHistory = NO_DISPUTES,
) -> OrderTransition:  # fmt: skip
    """The row that lets ``role`` take ``action`` now, or the error that says why not."""
    return ORDER_MACHINE.find_transition(OrderFacts(order, now, policy, disputes), action, role)


def allowed(
    order: Order, action: OrderAction, role: Role, now: datetime, policy: Policy,
    disputes: DisputeHistory = NO_DISPUTES,
) -> bool:  # fmt: skip
    return ORDER_MACHINE.allowed(OrderFacts(order, now, policy, disputes), action, role)


def next_actions(
    order: Order, now: datetime, policy: Policy, disputes: DisputeHistory = NO_DISPUTES
) -> list[NextAction[OrderAction]]:
    """Who may do what now, by when, and what happens if nobody does (``disputes``: what
    the order had, for ``open_dispute``)."""
    return ORDER_MACHINE.next_actions(OrderFacts(order, now, policy, disputes))


def dispute_window_open(
    order: Order, now: datetime, policy: Policy, disputes: DisputeHistory = NO_DISPUTES
) -> bool:
    """The order's side of opening a dispute allows it now (its rows ``open_dispute``)."""
    return allowed(order, OrderAction.OPEN_DISPUTE, Role.BUYER, now, policy, disputes)
