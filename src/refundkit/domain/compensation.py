"""Compensation as store credit (issue 19, item 4). A counterfeit dispute resolved with a
full refund pays the buyer a policy multiple of the goods' price as credit, on top of the
refund, at once. The platform pays it and recovers it from the seller: the credit is taken
from the seller's balance, and what the balance cannot pay the platform covers and the
seller owes (the ledger's debt path: their next earnings pay it back first). A delivery
late past the policy's hours pays the policy's credit, borne by the platform."""

from __future__ import annotations

from datetime import datetime, timedelta

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute, DisputeOutcome, DisputeReason
from refundkit.domain.disputes.returnless import goods_back
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.ledger import (
    PLATFORM_COMPENSATION,
    EntryKind,
    Move,
    journal_entry,
    seller_payable_account,
    store_credit_account,
)
from refundkit.domain.orders import timers
from refundkit.domain.orders.model import Order
from refundkit.domain.rules import Rule


def credit_event(ctx: Context, order: Order, amount: int, kind: str, **data: object) -> Event:
    """``credit.granted``: about the buyer's credit, on the order that earned it."""
    return Event("credit.granted", order.buyer_id, order.id, ctx.now, ctx.actor.role,
                 ctx.actor.id, {"amount": amount, "currency": order.currency, "kind": kind,
                                "buyer_id": order.buyer_id, **data})  # fmt: skip


def counterfeit_compensation(ctx: Context, order: Order, d: Dispute) -> Outcome:
    multiple = ctx.policy.compensation.counterfeit_multiple
    if (d.reason is not DisputeReason.COUNTERFEIT or d.outcome is not DisputeOutcome.FULL_REFUND
            or d.compensation_credit or not multiple):  # fmt: skip
        return Outcome()
    amount = multiple * sum(line.unit_price * units for line, units in goods_back(order, d))
    if amount <= 0:
        return Outcome()
    d.compensation_credit = amount
    entry = journal_entry(
        entry_id=ctx.ids.new("je"), kind=EntryKind.CREDIT_COMPENSATION, occurred_at=ctx.now,
        order_id=order.id, currency=order.currency,
        moves=[Move(seller_payable_account(order.seller_id), store_credit_account(order.buyer_id),
                    amount)],
        memo=f"counterfeit (dispute {d.id}): {multiple}x the goods' price as store credit, "
             "recovered from the seller",
    )  # fmt: skip
    due = ctx.now + ctx.policy.refunds.seller_funds_within
    event = credit_event(ctx, order, amount, "counterfeit_compensation", dispute_id=d.id,
                         rule=Rule.COUNTERFEIT_COMPENSATION, seller_id=order.seller_id,
                         entry_id=entry.id, due_at=due.isoformat())  # fmt: skip
    # What the seller's balance could not pay is owed, due as a clawed-back refund is.
    timer = TimerRequest(timers.COMPENSATION_DEBT_DUE, d.id, due)
    return Outcome(events=[event], entries=[entry], timers=[timer])


def late_delivery_due(ctx: Context, order: Order) -> datetime | None:
    """When a parcel not delivered by then makes the delivery late enough for credit: the
    earliest undelivered parcel's deadline (as extensions moved it) plus the policy's hours;
    None when every parcel was delivered or receipt confirmed."""
    if order.confirmed_at is not None:
        return None
    open_deadlines = [p.delivery_deadline for p in order.parcels if p.delivered_at is None]
    if not open_deadlines:
        return None
    return min(open_deadlines) + timedelta(hours=ctx.policy.compensation.late_delivery_after_hours)


def late_delivery_credit(ctx: Context, order: Order) -> Outcome:
    """The policy's late-delivery credit, paid by the platform (not recovered: the carrier's
    delay is no defect of the seller's), when a parcel is still not delivered past its
    deadline plus the policy's hours. The caller makes sure it is paid once per order."""
    amount = ctx.policy.compensation.late_credit_for(order.currency)
    due = late_delivery_due(ctx, order)
    if amount <= 0 or due is None or ctx.now < due:
        return Outcome()
    entry = journal_entry(
        entry_id=ctx.ids.new("je"), kind=EntryKind.CREDIT_LATE_DELIVERY, occurred_at=ctx.now,
        order_id=order.id, currency=order.currency,
        moves=[Move(PLATFORM_COMPENSATION, store_credit_account(order.buyer_id), amount)],
        memo=f"late delivery: not delivered {ctx.policy.compensation.late_delivery_after_hours} "
             "hours after the delivery deadline",
    )  # fmt: skip
    event = credit_event(ctx, order, amount, "late_delivery", rule=Rule.LATE_DELIVERY_CREDIT,
                         entry_id=entry.id)  # fmt: skip
    return Outcome(events=[event], entries=[entry])
