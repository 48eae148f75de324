"""Small read helpers the routes share: the next deadline of an order, readable names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from refundkit.domain.orders.model import Order

DEADLINE_LABELS = {
    "pay_by": "Payment due",
    "free_cancel_until": "Free cancellation until",
    "ship_by": "The seller ships by",
    "cancel_respond_by": "The seller answers the cancellation by",
    "delivery_deadline": "Protection ends (delivery deadline)",
    "dispute_opens_at": "Disputes can be opened from",
    "dispute_closes_at": "Dispute window closes",
}
ACTION_LABELS = {
    "pay": "the platform records the payment",
    "cancel": "you may cancel",
    "approve_cancellation": "the seller answers the cancellation request",
    "reject_cancellation": "the seller answers the cancellation request",
    "ship": "the seller ships",
    "confirm_receipt": "confirm receipt",
    "request_extension": "ask for more protection time",
    "approve_extension": "the seller answers the extension request",
    "reject_extension": "the seller answers the extension request",
    "open_dispute": "open a dispute",
    "accept": "accept",
    "counter_offer": "the seller answers",
    "reject": "the seller answers",
    "offer": "make an offer",
    "escalate": "escalate",
    "withdraw": "withdraw",
    "request_evidence": "an agent asks for evidence",
    "decide": "an agent decides",
    "appeal": "appeal",
    "ship_return": "the buyer sends the goods back",
    "confirm_return": "the seller confirms the returned goods",
}


class HasDue(Protocol):
    @property
    def due_by(self) -> datetime | None: ...
    @property
    def action(self) -> object: ...
    @property
    def actor(self) -> object: ...
    @property
    def on_timeout(self) -> str | None: ...


def next_deadline(actions: Sequence[HasDue], now: datetime) -> HasDue | None:
    """The soonest deadline still ahead among the actions anyone may take."""
    ahead = [a for a in actions if a.due_by is not None and a.due_by > now]
    return min(ahead, key=lambda a: a.due_by or now) if ahead else None


def title_of(order: Order) -> str:
    first = order.lines[0].title if order.lines else order.id
    more = len(order.lines) - 1
    return f"{first} and {more} more" if more > 0 else first


def pairs(actions: Sequence[HasDue]) -> list[tuple[str, str]]:
    return [(str(a.actor), str(a.action)) for a in actions]


def describe(action: HasDue) -> str:
    """``the seller ships`` / ``you may cancel``: what the next step is, in words."""
    return ACTION_LABELS.get(str(action.action), str(action.action).replace("_", " "))
