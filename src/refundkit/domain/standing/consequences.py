"""What a standing does to a new order or dispute (issue 19). Each consequence cites the
policy key that set it, and the standing that applied is recorded as an event on the
order's timeline, so an outcome can always be explained afterwards."""

from __future__ import annotations

from typing import Any

from refundkit.domain.calendar import add_business_days
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.commands import settle
from refundkit.domain.disputes.model import DecidedBy, Dispute, DisputeStatus
from refundkit.domain.events import Event
from refundkit.domain.orders.model import Order
from refundkit.domain.reminders import agent_timer
from refundkit.domain.rules import Rule, consequence_rule
from refundkit.domain.standing.buyer import BuyerReading
from refundkit.domain.standing.policy import BuyerStanding, SellerStanding
from refundkit.domain.standing.seller import SellerReading


def applied(seller: SellerReading, buyer: BuyerReading) -> dict[str, Any]:
    """What is recorded of both parties' standing when it applied."""
    c = seller.consequences
    return {
        "seller_standing": seller.standing.value,
        "seller_rule": seller.rule,
        "defect_rate_basis_points": seller.rate_basis_points,
        "seller_consequences": {
            "approve_returns_at_once": c.approve_returns_at_once,
            "extra_escrow_hold_days": c.extra_escrow_hold_days,
            "fast_refund_from_balance": c.fast_refund_from_balance,
        },
        "buyer_standing": buyer.standing.value,
        "buyer_rule": buyer.rule,
        "buyer_signals": [s.signal.value for s in buyer.signals if s.raised],
    }


def _event(ctx: Context, subject: str, order_id: str, kind: str, **data: Any) -> Event:
    return Event(kind, subject, order_id, ctx.now, ctx.actor.role, ctx.actor.id, data)


def _all_good(seller: SellerReading, buyer: BuyerReading) -> bool:
    """Nothing applies: no event, so the timelines of the many orders of people in good
    standing stay as they were (docs/decisions.md)."""
    return seller.standing is SellerStanding.GOOD and buyer.standing is BuyerStanding.GOOD


def on_new_order(ctx: Context, order: Order, seller: SellerReading,
                 buyer: BuyerReading) -> Outcome:  # fmt: skip
    order.escrow_hold_days = seller.consequences.extra_escrow_hold_days
    if _all_good(seller, buyer):
        return Outcome()
    return Outcome(events=[_event(ctx, order.id, order.id, "order.standing_applied",
                                  **applied(seller, buyer))])  # fmt: skip


def on_new_dispute(
    ctx: Context, d: Dispute, order: Order, seller: SellerReading, buyer: BuyerReading
) -> Outcome:
    """A buyer under agent review has every new dispute sent to an agent (that protects the
    seller first); otherwise a seller whose standing approves returns at once has a dispute
    asking for a return accepted as the buyer asked, the goods to come back. The dispute
    keeps whether its Fast Refund is taken from the seller's balance first."""
    d.fast_refund_from_balance = seller.consequences.fast_refund_from_balance
    if _all_good(seller, buyer):
        return Outcome()
    outcome = Outcome(events=[_event(ctx, d.id, order.id, "dispute.standing_applied",
                                     **applied(seller, buyer))])  # fmt: skip
    if d.status is not DisputeStatus.AWAITING_SELLER:
        return outcome
    if buyer.agent_review:
        d.status = DisputeStatus.ESCALATED
        d.escalated_at = ctx.now
        d.agent_due_by = add_business_days(ctx.calendar, order.buyer_country, ctx.now,
                                           ctx.policy.disputes.agent_sla_business_days)  # fmt: skip
        outcome.events.append(_event(ctx, d.id, order.id, "dispute.escalated",
                                     rule=Rule.BUYER_AGENT_REVIEW.value,
                                     agent_due_by=d.agent_due_by.isoformat()))  # fmt: skip
        outcome.timers.append(agent_timer(d))
        return outcome
    if seller.consequences.approve_returns_at_once and d.return_goods:
        rule = consequence_rule(seller.standing.value, "approve_returns_at_once")
        why = f"the seller's standing is {seller.standing.value}"
        return outcome.merge(settle(ctx, d, order, d.requested_money, True, DecidedBy.POLICY,
                                    rule=rule, rationale=why))  # fmt: skip
    return outcome
