"""Returns on a dispute (DESIGN §3): the buyer ships the goods back, the seller confirms
their state, and Fast Refund pays trusted buyers as soon as the return ships."""

from __future__ import annotations

from datetime import datetime

from refundkit.domain.calendar import add_business_days
from refundkit.domain.compensation import counterfeit_compensation
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import advance
from refundkit.domain.disputes import timers as dispute_timers
from refundkit.domain.disputes.commands import (
    _event,
    _outcome_of,
    _release_hold,
    _step,
    settle,
)
from refundkit.domain.disputes.lines import refund_dispute, room_past
from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import DecidedBy, Dispute, DisputeOutcome, DisputeStatus
from refundkit.domain.errors import InvalidAmount, ValidationError
from refundkit.domain.events import TimerRequest
from refundkit.domain.money import Money
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.reminders import agent_timer
from refundkit.domain.roles import Role
from refundkit.domain.rules import Rule, fast_refund_rule
from refundkit.domain.tracking import counts_as_delivery


def ship_return(
    ctx: Context, d: Dispute, order: Order, carrier: str, tracking_number: str,
    buyer_tier: str | None, *, postage: Money | None = None, seller_label: bool = False,
    seller_balance: int = 0,
) -> Outcome:  # fmt: skip
    """The buyer gives the return's tracking (and what its postage cost). Under Fast Refund
    (a high tier, an order within the tier's limit) the agreed refund goes out now, before
    the goods are back. On a dispute whose seller's standing fixed
    ``fast_refund_from_balance``, it is taken first from ``seller_balance`` (what the
    seller's balance holds, read under its lock): an advance (``disputes/advance.py``)."""
    _step(ctx, d, DisputeAction.SHIP_RETURN)
    if not carrier.strip() or not tracking_number.strip():
        raise ValidationError("carrier and tracking_number are required", field="tracking_number")
    postage = postage or order.money(0)
    if postage.is_negative:
        raise InvalidAmount("postage cannot be negative", field="postage")
    d.status = DisputeStatus.RETURN_IN_TRANSIT
    d.return_carrier, d.return_tracking_number = carrier.strip(), tracking_number.strip()
    d.return_shipped_at = ctx.now
    adjustment = _settle_postage(ctx, d, order, postage, seller_label)
    outcome = Outcome(events=[_event(ctx, d, "return.shipped", carrier=d.return_carrier,
                                     tracking_number=d.return_tracking_number,
                                     postage=postage.minor,
                                     postage_payer=d.return_postage_payer,
                                     seller_label=seller_label,
                                     refund_adjustment=adjustment)])  # fmt: skip
    limit = ctx.policy.fast_refund.limit_for(buyer_tier, order.currency)
    agreed = d.refund_money
    if limit is not None and order.total <= limit and agreed is not None and agreed.is_positive:
        d.fast_refunded_at = ctx.now
        balance = seller_balance if d.fast_refund_from_balance else 0
        outcome.merge(refund_dispute(ctx, order, d, agreed, f"fast refund {d.id}", balance))
        advanced = {"advanced": d.advance} if d.fast_refund_from_balance else {}
        outcome.events.append(_event(ctx, d, "dispute.fast_refunded", amount=d.refund_amount,
                                     rule=fast_refund_rule(str(buyer_tier)),
                                     **advanced))  # fmt: skip
    return outcome


def _settle_postage(
    ctx: Context, d: Dispute, order: Order, postage: Money, seller_label: bool
) -> int:
    """Who bears the return postage (DESIGN §2, policy): the buyer for a change of mind, the
    seller otherwise. The agreed refund moves by what that means, never past what the order
    may still give back nor below zero; the change is returned (signed)."""
    policy = ctx.policy.disputes
    buyer_pays = policy.buyer_pays_postage(d.reason.value)
    d.return_postage, d.return_seller_label = postage.minor, seller_label
    d.return_postage_payer = "buyer" if buyer_pays else "seller"
    agreed = d.refund_money or order.money(0)
    if not buyer_pays and not seller_label:
        # the seller pays the buyer back, past the dispute's cap from what no dispute holds
        change = min(postage, order.money(room_past(order, d, agreed.minor)))
    elif buyer_pays and seller_label and policy.deduct_seller_label_from_refund:
        change = -min(postage, agreed)  # the buyer pays the seller's label
    else:
        change = order.money(0)
    d.refund_amount = (agreed + change).minor
    return change.minor


def return_lapsed(ctx: Context, d: Dispute, order: Order) -> Outcome:
    """The buyer never sent the goods back: no refund, and the order resumes."""
    _step(ctx, d, DisputeAction.RETURN_LAPSED)
    d.status = DisputeStatus.CLOSED
    d.outcome = DisputeOutcome.NO_REFUND
    d.refund_amount = 0
    d.decided_by = DecidedBy.POLICY
    d.rule = Rule.RETURN_SHIP_WITHIN
    d.resolved_at = ctx.now
    d.appeal_until = ctx.now + ctx.policy.disputes.appeal_window
    outcome = Outcome(events=[_event(ctx, d, "dispute.closed", outcome="no_refund", rule=d.rule)])
    return outcome.merge(_release_hold(ctx, order, d))


def return_delivered(ctx: Context, d: Dispute, at: datetime) -> Outcome:
    """The carrier delivered the return: the seller has 15 days to confirm its state. A scan
    dated before the buyer shipped the return is an earlier parcel's under the same number: it
    starts nothing and goes on the dispute's timeline for the agent."""
    if d.status is not DisputeStatus.RETURN_IN_TRANSIT or d.return_delivered_at is not None:
        return Outcome()
    assert d.return_shipped_at is not None
    if not counts_as_delivery(d.return_shipped_at, at):
        return Outcome(events=[_event(ctx, d, "return.delivery_scan_ignored",
                                      delivered_at=at.isoformat(),
                                      shipped_at=d.return_shipped_at.isoformat())])  # fmt: skip
    at = min(at, ctx.now)
    d.return_delivered_at = at
    d.return_confirm_by = at + ctx.policy.disputes.return_confirm_within
    return Outcome(
        events=[_event(ctx, d, "return.delivered", confirm_by=d.return_confirm_by.isoformat())],
        timers=[TimerRequest(dispute_timers.RETURN_SILENCE, d.id, d.return_confirm_by)],
    )


def confirm_return(ctx: Context, d: Dispute, order: Order, condition: str) -> Outcome:
    """As sent: the agreed refund. Not as sent (used, out of its packaging): an agent looks."""
    automatic = ctx.actor.role is Role.SYSTEM
    _step(ctx, d, DisputeAction.RETURN_SILENCE if automatic else DisputeAction.CONFIRM_RETURN)
    if condition not in ("as_sent", "not_as_sent"):
        raise ValidationError("condition is as_sent or not_as_sent", field="condition")
    if condition == "not_as_sent":
        d.status = DisputeStatus.ESCALATED
        d.escalated_at = ctx.now
        d.agent_due_by = add_business_days(
            ctx.calendar, order.buyer_country, ctx.now, ctx.policy.disputes.agent_sla_business_days
        )
        return Outcome(events=[_event(ctx, d, "return.contested",
                                      agent_due_by=d.agent_due_by.isoformat())],
                       timers=[agent_timer(d)])  # fmt: skip
    amount = d.refund_money or order.money(0)
    if d.fast_refunded_at is not None:
        return _close_after_fast_refund(ctx, d, order, automatic)
    postage = d.return_postage if _seller_pays_back_postage(d) else 0
    if automatic:
        why = "the seller did not confirm the returned goods in time"
        return settle(ctx, d, order, amount, False, DecidedBy.POLICY,
                      rule=Rule.RETURN_CONFIRM_WITHIN, postage=postage, rationale=why)  # fmt: skip
    return settle(ctx, d, order, amount, False, DecidedBy.SELLER, postage=postage)


def _seller_pays_back_postage(d: Dispute) -> bool:
    return d.return_postage_payer == "seller" and not d.return_seller_label


def _close_after_fast_refund(ctx: Context, d: Dispute, order: Order, automatic: bool) -> Outcome:
    """The goods are back (or the seller kept silent): the refund already went out."""
    amount = d.refund_money or order.money(0)
    d.status = DisputeStatus.RESOLVED
    d.outcome = _outcome_of(amount, order.refundable_money + amount)
    d.decided_by = DecidedBy.POLICY if automatic else DecidedBy.SELLER
    d.rule = Rule.RETURN_CONFIRM_WITHIN if automatic else d.rule
    d.resolved_at = ctx.now
    d.appeal_until = ctx.now + ctx.policy.disputes.appeal_window
    result = Outcome(events=[_event(ctx, d, "dispute.resolved", outcome=d.outcome.value,
                                    refund_amount=amount.minor,
                                    decided_by=d.decided_by.value, fast_refund=True)])  # fmt: skip
    result.merge(counterfeit_compensation(ctx, order, d))
    if order.refundable == 0:
        order.status = OrderStatus.REFUNDED
        result.merge(advance.repay(ctx, order, d))
        order.dispute_holds.clear()
        return result
    return result.merge(_release_hold(ctx, order, d))
