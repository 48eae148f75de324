"""The order's side of opening a dispute: what the order's guards read (``OrderFacts``),
the disputes it had so far, and the guards of its ``open_dispute`` rows (the table is in
``domain/orders/machine.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.errors import (
    ChargebackOpen,
    InvalidTransition,
    UnitsAlreadyDisputed,
    WindowClosed,
)
from refundkit.domain.machine import Guard, all_of
from refundkit.domain.orders.model import Order
from refundkit.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class DisputeHistory:
    """The disputes an order had so far, as opening another one needs to know."""

    withdrawn: int = 0
    """Disputes withdrawn: re-opening after a withdrawal is capped by the policy."""
    every_unit_disputed: bool = False
    """No shipped unit is left outside a dispute that was not withdrawn (one that ended is
    appealed instead; an open one is answered)."""


NO_DISPUTES = DisputeHistory()


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the order's guards read: the order, the moment, its policy, and (for opening a
    dispute) the disputes it had."""

    order: Order
    now: datetime
    policy: Policy
    disputes: DisputeHistory = NO_DISPUTES


OrderCheck = Callable[[OrderFacts], str | None]


def guard(
    description: str, check: OrderCheck, error: type[InvalidTransition] = InvalidTransition
) -> Guard[OrderFacts]:
    return Guard(description, lambda facts, role: check(facts), error)


def _dispute_window(ctx: OrderFacts) -> str | None:
    d = ctx.order.deadlines
    if d.dispute_opens_at is None or ctx.now < d.dispute_opens_at:
        opens = d.dispute_opens_at.isoformat() if d.dispute_opens_at else "after shipment"
        return f"the dispute window opens at {opens}"
    if d.dispute_closes_at is not None and ctx.now >= d.dispute_closes_at:
        return f"the dispute window closed at {d.dispute_closes_at.isoformat()}"
    return None


def _completed_by_confirmation(ctx: OrderFacts) -> str | None:
    """A completed order takes a dispute only if the buyer's confirmation completed it
    (early, under ``protection.release_on_confirmation``; docs/decisions.md). One confirmed
    under a policy that holds the money completed when its window closed, so the window
    check that follows refuses it."""
    if ctx.order.confirmed_at is None:
        return "the order completed when its protection ended"
    return None


_IN_DISPUTE_WINDOW = guard("inside the dispute window", _dispute_window, WindowClosed)


def _room_for_a_dispute(ctx: OrderFacts) -> str | None:
    """Several disputes at once on different units; a unit under a dispute that was not
    withdrawn is never disputed again (an ended one is appealed instead); re-opening after
    withdrawals up to ``disputes.max_disputes_per_order`` (docs/decisions.md)."""
    if ctx.disputes.every_unit_disputed:
        return "every unit is under a dispute already; answer it, or appeal its outcome"
    if ctx.disputes.withdrawn >= ctx.policy.disputes.max_disputes_per_order:
        return (f"{ctx.policy.disputes.max_disputes_per_order} disputes were withdrawn on this "
                "order; no more may be opened")  # fmt: skip
    return None


def _no_chargeback(ctx: OrderFacts) -> str | None:
    """While the buyer's bank decides the payment no dispute opens: the bank's decision
    will stand for the claim (``domain/chargebacks/suspension.py``)."""
    if ctx.order.open_chargeback_id is not None:
        return (f"chargeback {ctx.order.open_chargeback_id} is open at the buyer's bank: "
                "no dispute opens until the bank decides")  # fmt: skip
    return None


_NO_CHARGEBACK: Guard[OrderFacts] = Guard(
    "no chargeback open on the order", lambda facts, role: _no_chargeback(facts), ChargebackOpen,
    fields_of=lambda f: {"chargeback_id": f.order.open_chargeback_id or ""},
)  # fmt: skip
_ROOM_FOR_A_DISPUTE = guard("a unit under no dispute, withdrawals under the cap",
                             _room_for_a_dispute, UnitsAlreadyDisputed)  # fmt: skip
OPEN_DISPUTE = all_of("no chargeback open, inside the dispute window, a unit under no "
                       "other dispute, withdrawals under max_disputes_per_order",
                       _NO_CHARGEBACK, _IN_DISPUTE_WINDOW, _ROOM_FOR_A_DISPUTE)  # fmt: skip
OPEN_DISPUTE_AFTER_EARLY_RELEASE = all_of(
    "completed early by the buyer's confirmation (release_on_confirmation), no chargeback "
    "open, inside the dispute window, a unit under no other dispute, withdrawals under "
    "max_disputes_per_order",
    guard("completed by confirmation", _completed_by_confirmation),
    _NO_CHARGEBACK,
    _IN_DISPUTE_WINDOW,
    _ROOM_FOR_A_DISPUTE,
)
