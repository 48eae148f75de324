"""Compensation as store credit (issue 19, item 4): a counterfeit dispute resolved with a
full refund pays the buyer a policy multiple of the goods' price as credit, on top of the
refund, at once. The platform pays it and recovers it from the seller: the credit is taken
from the seller's balance, and what the balance cannot pay the platform covers and the
seller owes (the ledger's debt path: their next earnings pay it back first)."""

from __future__ import annotations

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute, DisputeOutcome, DisputeReason
from refundkit.domain.disputes.returnless import goods_back
from refundkit.domain.events import Event
from refundkit.domain.ledger import (
    EntryKind,
    Move,
    journal_entry,
    seller_payable_account,
    store_credit_account,
)
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
    event = credit_event(ctx, order, amount, "counterfeit_compensation", dispute_id=d.id,
                         rule=Rule.COUNTERFEIT_COMPENSATION, seller_id=order.seller_id,
                         entry_id=entry.id)  # fmt: skip
    return Outcome(events=[event], entries=[entry])
