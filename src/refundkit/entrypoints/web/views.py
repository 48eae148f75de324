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
    "pay": "record the payment",
    "cancel": "cancel",
    "approve_cancellation": "answer the cancellation request",
    "reject_cancellation": "answer the cancellation request",
    "ship": "ship",
    "confirm_receipt": "confirm receipt",
    "request_extension": "ask for more protection time",
    "approve_extension": "answer the extension request",
    "reject_extension": "answer the extension request",
    "open_dispute": "open a dispute",
    "accept": "accept the open offer",
    "counter_offer": "answer the dispute",
    "reject": "answer the dispute",
    "offer": "make an offer",
    "escalate": "ask an agent to decide",
    "withdraw": "withdraw",
    "request_evidence": "ask for evidence",
    "decide": "decide the case",
    "appeal": "appeal",
    "ship_return": "send the goods back",
    "confirm_return": "confirm the returned goods",
    "mark_delivered": "report the delivery scan",
}
WHO = {"buyer": "the buyer", "seller": "the seller", "platform": "the shop",
       "agent": "an agent", "admin": "an agent"}  # fmt: skip
RELEVANT_WHILE = {
    "pay_by": ("awaiting_payment",),
    "free_cancel_until": ("paid",),
    "ship_by": ("paid", "cancel_requested"),
    "cancel_respond_by": ("cancel_requested",),
    "delivery_deadline": ("shipped",),
    "dispute_opens_at": ("shipped", "delivered"),
    "dispute_closes_at": ("shipped", "delivered"),
}
"""The statuses in which a stored deadline still matters to the people reading the order (a
paid order's payment deadline is history); the timeline keeps the rest."""


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


def relevant_deadlines(order: Order) -> list[tuple[str, datetime]]:
    found = [(DEADLINE_LABELS[k], v) for k, v in vars(order.deadlines).items()
             if v is not None and order.status.value in RELEVANT_WHILE.get(k, ())]  # fmt: skip
    return sorted(found, key=lambda pair: pair[1])


def waiting_for(actions: Sequence[HasDue], role: object) -> list[HasDue]:
    """The others' next steps, once per step (approve and refuse are one answer)."""
    seen: set[tuple[str, str]] = set()
    found = []
    staff = {"agent", "admin"}
    for a in actions:
        key = (str(a.actor), describe(a))
        same = str(a.actor) == str(role) or {str(a.actor), str(role)} <= staff
        if not same and key not in seen:
            seen.add(key)
            found.append(a)
    return found


def pairs(actions: Sequence[HasDue]) -> list[tuple[str, str]]:
    return [(str(a.actor), str(a.action)) for a in actions]


def describe(action: HasDue, viewer_role: object = None) -> str:
    """``the seller may ship`` / ``you may cancel``: the next step, in words."""
    actor = str(action.actor)
    who = "you" if viewer_role is not None and actor == str(viewer_role) else WHO.get(actor, actor)
    verb = ACTION_LABELS.get(str(action.action), str(action.action).replace("_", " "))
    return f"{who} may {verb}"


DONE = {
    "exclusion_asked": "Your request is recorded; an agent answers it, and your standing "
    "shows the answer.",
    "decide_exclusion": "The seller's request is answered; the standing below counts it.",
    "clear_signal": "The buyer's signal is cleared: it counts only what happens from now.",
    "cancel": "Your cancellation is recorded; the order's status says what happens next.",
    "confirm_receipt": "Receipt confirmed.",
    "request_extension": "More protection time requested; the seller answers by the date shown.",
    "ship": "Parcel shipped: it is listed under Tracking.",
    "approve_cancellation": "Cancellation approved: the buyer is refunded.",
    "reject_cancellation": "Cancellation refused.",
    "approve_extension": "Extension approved.",
    "reject_extension": "Extension refused.",
    "opened": "Dispute opened. The seller's answer is due by the date shown.",
    "accept": "Accepted.",
    "offer": "Offer sent.",
    "reject": "Request rejected: the buyer may make an offer or ask an agent.",
    "escalate": "Sent to an agent.",
    "withdraw": "Dispute withdrawn.",
    "return_shipment": "Return recorded.",
    "return_received": "Returned goods confirmed.",
    "appeal": "Appeal sent to an agent.",
    "message": "Message sent.",
    "evidence": "Evidence added.",
    "decide": "Decision recorded.",
    "request_evidence": "Evidence requested.",
    "appeal_decision": "Appeal answered.",
}


def done_text(action: str) -> str:
    """What the flash after a successful post says (the action comes from the URL)."""
    return DONE.get(action, "Done.")
