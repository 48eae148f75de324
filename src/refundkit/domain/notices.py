"""Which event tells whom what: the rules and the words of every message (plain text).

``notices_for`` reads one event with the order, dispute or refund it concerns (as the
transaction leaves them) and answers the messages it calls for. Each names its audience
(the buyer, the seller, or every agent), a clear subject, the deadline that matters in UTC
ISO and in words, and the page to open (``/orders/{id}`` or ``/disputes/{id}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.disputes.model import Dispute
from refundkit.domain.notifications import (
    Audience,
    Happened,
    Notice,
    NotificationKind,
    deadline_text,
    dispute_link,
    order_link,
    time_left,
)
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import Refund, RefundDestination

K = NotificationKind
OUTCOME_EVENTS = frozenset({"dispute.resolved", "dispute.closed", "dispute.return_required",
                            "dispute.withdrawn", "dispute.appeal_decided"})  # fmt: skip
ESCALATION_EVENTS = frozenset({"dispute.escalated", "return.contested"})
REFUND_KINDS = {"refund.created": K.REFUND_CREATED, "refund.succeeded": K.REFUND_SUCCEEDED,
                "refund.failed": K.REFUND_FAILED}  # fmt: skip
PARTIES = (Audience.BUYER, Audience.SELLER)
TRIGGERS = frozenset({"order.dispute_window_closing", "dispute.opened", "dispute.offer_made",
                      "dispute.suspended",
                      "dispute.agent_overdue", "dispute.evidence_requested",
                      "credit.granted",
                      *ESCALATION_EVENTS, *OUTCOME_EVENTS, *REFUND_KINDS})  # fmt: skip
"""The event types that may call for a message."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What an event is about, as its transaction leaves it."""

    order: Order
    dispute: Dispute | None
    refund: Refund | None
    money: Callable[[int], str]
    """An amount in the order's currency, for people: "12.50 EUR"."""
    now: datetime


def notices_for(event: Happened, facts: Facts) -> list[Notice]:
    if event.type == "order.dispute_window_closing":
        return [_reminder(event, facts)]
    if event.type in REFUND_KINDS:
        return _refund(event, facts, REFUND_KINDS[event.type])
    if event.type == "credit.granted":
        return _credit(event, facts)
    d = facts.dispute
    if d is None or not (event.type.startswith("dispute.") or event.type.startswith("return.")):
        return []
    if event.type == "dispute.opened":
        return [_opened(event, facts, d)]
    if event.type == "dispute.suspended":
        return _suspended(event, d)
    if event.type == "dispute.offer_made":
        return _offer(event, facts, d)
    if event.type in ESCALATION_EVENTS:
        return _escalated(event, facts, d)
    if event.type == "dispute.agent_overdue":
        return [_overdue(event, facts, d)]
    if event.type == "dispute.evidence_requested":
        return _evidence_requested(event, facts, d)
    if event.type in OUTCOME_EVENTS:
        return _outcome(event, facts, d)
    return []


def _reminder(event: Happened, facts: Facts) -> Notice:
    order, closes = facts.order, datetime.fromisoformat(str(event.data["closes_at"]))
    days = event.data["days_before"]
    body = (
        f"The time to open a dispute on your order {order.id} runs out soon.\n\n"
        f"Items: {', '.join(f'{line.title} x {line.quantity}' for line in order.lines)}\n"
        f"The dispute window closes: {deadline_text(closes, facts.now)}.\n\n"
        "If the order has not arrived, or is not as described, open a dispute a few days "
        "beforehand, not on the last day. Once the window closes, the payment goes to the "
        "seller. If all is well, confirm receipt and nothing more is needed.\n\n"
        f"Your order: {order_link(order.id)}\n"
    )
    return Notice(K.DISPUTE_WINDOW_REMINDER, Audience.BUYER, order.id,
                  f"{closes.isoformat()}/{days}d",
                  f"Order {order.id}: {time_left(closes, facts.now)} left to open a dispute",
                  body, order.id,
                  None)  # fmt: skip


def _opened(event: Happened, facts: Facts, d: Dispute) -> Notice:
    assert d.respond_by is not None
    body = (
        f"The buyer opened a dispute on order {d.order_id}.\n\n"
        f"Reason: {d.reason.value.replace('_', ' ')}"
        + (f" ({d.sub_reason.replace('_', ' ')})" if d.sub_reason else "")
        + f"\nRefund asked for: {facts.money(d.requested_refund)}"
        + f"\nGoods to be returned: {'yes' if d.return_goods else 'no'}\n\n"
        f"Respond by: {deadline_text(d.respond_by, facts.now)}.\n"
        "Accept, make an offer, or reject with your reason. If you do not answer by then, "
        "the dispute is accepted as the buyer asked.\n\n"
        f"The dispute: {dispute_link(d.id)}\n"
    )
    return _to(
        K.DISPUTE_OPENED,
        Audience.SELLER,
        event,
        d,
        f"Dispute on order {d.order_id}: respond by {_day(d.respond_by)}",
        body,
    )


def _offer(event: Happened, facts: Facts, d: Dispute) -> list[Notice]:
    """An offer goes to the other party; the buyer's is the one the seller must answer."""
    by = event.actor_role
    if by not in (Audience.BUYER.value, Audience.SELLER.value):
        return []
    to = Audience.SELLER if by == Audience.BUYER.value else Audience.BUYER
    amount = event.data.get("refund_amount")
    goods = " with the goods returned" if event.data.get("return_goods") else ""
    lines = [f"The {by} made an offer in the dispute on order {d.order_id}: a refund of "
             f"{facts.money(int(str(amount)))}{goods}."]  # fmt: skip
    if d.escalate_at is not None:
        lines.append(f"Respond by: {deadline_text(d.escalate_at, facts.now)}. Accept it, make "
                     "an offer of your own, or escalate; without agreement by then, an agent "
                     "decides.")  # fmt: skip
    body = "\n\n".join(lines) + f"\n\nThe dispute: {dispute_link(d.id)}\n"
    subject = f"Dispute on order {d.order_id}: a new offer from the {by}"
    return [_to(K.DISPUTE_OFFER, to, event, d, subject, body)]


def _escalated(event: Happened, facts: Facts, d: Dispute) -> list[Notice]:
    assert d.agent_due_by is not None
    due = deadline_text(d.agent_due_by, facts.now)
    body = (
        f"The dispute on order {d.order_id} went to an agent of the platform.\n\n"
        f"The agent decides by: {due}. Add any evidence you have now; the agent may ask "
        "you for more, with a deadline.\n\n"
        f"The dispute: {dispute_link(d.id)}\n"
    )
    subject = f"Dispute on order {d.order_id} escalated: an agent decides by {_day(d.agent_due_by)}"
    return [_to(K.DISPUTE_ESCALATED, party, event, d, subject, body)
            for party in PARTIES if party.value != event.actor_role]  # fmt: skip


def _evidence_requested(event: Happened, facts: Facts, d: Dispute) -> list[Notice]:
    party = str(event.data.get("party"))
    if party not in (Audience.BUYER.value, Audience.SELLER.value):
        return []
    due = datetime.fromisoformat(str(event.data["due_by"]))
    body = (
        f"The agent deciding the dispute on order {d.order_id} asks you for evidence:\n\n"
        f"{event.data.get('note', '')}\n\n"
        f"Answer by: {deadline_text(due, facts.now)}. Add files or a message to the dispute; "
        "after that the agent decides with what the case holds.\n\n"
        f"The dispute: {dispute_link(d.id)}\n"
    )
    subject = f"Dispute on order {d.order_id}: evidence asked for by {_day(due)}"
    return [_to(K.EVIDENCE_REQUESTED, Audience(party), event, d, subject, body)]


def _overdue(event: Happened, facts: Facts, d: Dispute) -> Notice:
    assert d.agent_due_by is not None
    body = (
        f"The escalated dispute {d.id} (order {d.order_id}) is past its agent deadline.\n\n"
        f"It was due: {deadline_text(d.agent_due_by, facts.now)}.\n"
        f"Reason: {d.reason.value.replace('_', ' ')}; refund asked for: "
        f"{facts.money(d.requested_refund)}.\n\n"
        f"The case: {dispute_link(d.id)}\n"
    )
    return Notice(K.DISPUTE_OVERDUE, Audience.AGENTS, d.id, d.agent_due_by.isoformat(),
                  f"Overdue: dispute {d.id} waits for a decision", body, d.order_id,
                  d.id)  # fmt: skip


def _suspended(event: Happened, d: Dispute) -> list[Notice]:
    body = (
        f"The buyer asked their bank to reverse the payment of order {d.order_id} (a "
        "chargeback). While the bank decides, the dispute is suspended: nobody can act on "
        "it, its deadlines do not run and no refund is made. When the bank has decided, the "
        "dispute closes with the bank's decision; either party may then appeal.\n\n"
        f"The dispute: {dispute_link(d.id)}\n"
    )
    subject = f"Dispute on order {d.order_id}: suspended, the buyer's bank decides"
    return [_to(K.DISPUTE_SUSPENDED, party, event, d, subject, body) for party in PARTIES]


def _outcome(event: Happened, facts: Facts, d: Dispute) -> list[Notice]:
    lines = [_outcome_line(event, facts, d)]
    if d.decided_by is not None and event.type != "dispute.withdrawn":
        by = d.decided_by.value + (f" (rule {d.rule})" if d.rule else "")
        lines.append(f"Decided by: {by}." + (f"\nWhy: {d.rationale}" if d.rationale else ""))
    if d.appeal_until is not None and event.type != "dispute.return_required":
        lines.append(f"Either party may appeal, once for the dispute, with new evidence, until "
                     f"{deadline_text(d.appeal_until, facts.now)}.")  # fmt: skip
    body = "\n\n".join(lines) + f"\n\nThe dispute: {dispute_link(d.id)}\n"
    subject = f"Dispute on order {d.order_id}: {_outcome_title(event, d)}"
    return [_to(K.DISPUTE_OUTCOME, party, event, d, subject, body) for party in PARTIES]


def _outcome_title(event: Happened, d: Dispute) -> str:
    if event.type == "dispute.withdrawn":
        return "withdrawn by the buyer"
    if event.type == "dispute.return_required":
        return "refund after the goods are returned"
    if event.type == "dispute.appeal_decided" and event.data.get("decision") == "upheld":
        return "the appeal was turned down"
    outcome = d.outcome.value if d.outcome else str(event.data.get("outcome", "closed"))
    return outcome.replace("_", " ")


def _outcome_line(event: Happened, facts: Facts, d: Dispute) -> str:
    if event.type == "dispute.withdrawn":
        return f"The buyer withdrew the dispute on order {d.order_id}; the order goes on."
    refund = facts.money(d.refund_amount or 0)
    if event.type == "dispute.return_required":
        assert d.return_ship_by is not None
        return (f"The dispute on order {d.order_id} ends in a refund of {refund} once the goods "
                f"are back. The buyer ships them by {deadline_text(d.return_ship_by, facts.now)}"
                " and gives the tracking number; without it, the dispute closes with no "
                "refund.")  # fmt: skip
    if event.type == "dispute.appeal_decided" and event.data.get("decision") == "upheld":
        return f"An agent answered the appeal on order {d.order_id}: the outcome stands."
    outcome = _outcome_title(event, d)
    return f"The dispute on order {d.order_id} is over: {outcome}, refund {refund}."


def _refund(event: Happened, facts: Facts, kind: NotificationKind) -> list[Notice]:
    refund, order = facts.refund, facts.order
    if refund is None:
        return []
    amount = facts.money(refund.amount)
    to_credit = refund.destination is RefundDestination.STORE_CREDIT
    if to_credit and kind is K.REFUND_CREATED:
        return []  # paid at once: the one notice is that it was paid
    if to_credit:
        title = f"Refund of {amount} on order {order.id} paid"
        detail = (f"The refund of {amount} on order {order.id} was paid to the buyer's store "
                  "credit, as the buyer chose.")  # fmt: skip
    elif kind is K.REFUND_CREATED:
        title = f"Refund of {amount} on order {order.id}"
        detail = (f"A refund of {amount} on order {order.id} is on its way to the buyer's "
                  f"{refund.method.value}. Expected between "
                  f"{refund.eta.earliest.date().isoformat()} and "
                  f"{refund.eta.latest.date().isoformat()} (latest: "
                  f"{deadline_text(refund.eta.latest, facts.now)}).")  # fmt: skip
    elif kind is K.REFUND_SUCCEEDED:
        title = f"Refund of {amount} on order {order.id} paid"
        detail = f"The refund of {amount} on order {order.id} was paid to the buyer's " \
                 f"{refund.method.value}."  # fmt: skip
    else:
        title = f"Refund of {amount} on order {order.id} failed"
        # The provider's own words (refund.failure_reason) stay with the platform: they can
        # name the buyer's card or account, and mean little to either party.
        detail = (f"The payment provider could not pay the refund of {amount} on order "
                  f"{order.id}. The money is back where it was; the platform's support will "
                  "arrange the refund.")  # fmt: skip
    body = f"{detail}\n\nReason: {refund.reason}\n\nThe order: {order_link(order.id)}\n"
    return [Notice(kind, party, refund.id, event.id, title, body, order.id, None)
            for party in PARTIES]  # fmt: skip


CREDIT_REASONS = {
    "counterfeit_compensation": "compensation for a counterfeit item, on top of your refund",
    "late_delivery": "compensation for a delivery later than the latest date promised",
}
"""Why compensation credit was paid, in the buyer's words (``credit.granted``'s kind)."""


def _credit(event: Happened, facts: Facts) -> list[Notice]:
    """The buyer is told of compensation credit at once (it is paid at once); a refund the
    buyer chose to take as credit is told by the refund's own message."""
    why = CREDIT_REASONS.get(str(event.data.get("kind")))
    if why is None:
        return []
    order, amount = facts.order, facts.money(int(str(event.data["amount"])))
    body = (
        f"{amount} was added to your store credit on order {order.id}: {why}.\n\n"
        "Store credit is yours to spend in the shop at once. It never expires and cannot be "
        "paid out as money.\n\n"
        f"Your credit: /credit\nThe order: {order_link(order.id)}\n"
    )
    dispute_id = event.data.get("dispute_id")
    return [Notice(K.CREDIT_GRANTED, Audience.BUYER, str(event.data["entry_id"]), event.id,
                   f"{amount} of store credit on order {order.id}", body, order.id,
                   None if dispute_id is None else str(dispute_id))]  # fmt: skip


def _to(kind: NotificationKind, audience: Audience, event: Happened, d: Dispute, subject: str,
        body: str) -> Notice:  # fmt: skip
    return Notice(kind, audience, d.id, event.id, subject, body, d.order_id, d.id)


def _day(at: datetime) -> str:
    return at.strftime("%-d %b %Y %H:%M UTC")
