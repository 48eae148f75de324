"""Fast Refund from the seller's balance first (issue 19, item 2; docs/decisions.md).

A dispute opened while its seller's standing sets ``fast_refund_from_balance`` has its
Fast Refund paid first from the seller's balance (``seller_payable``), as far as that holds,
the rest from escrow (``escrow.refund_buyer``, ``advance_up_to``). The part from the balance
is an **advance**: escrow keeps as much (``Dispute.advance``, summed in
``Order.advanced_amount``, inside the order's hold), and gives it back to the balance when
the dispute ends, however it ends (``repay``: ``advance_repaid``, no commission). A refund
the provider refuses while its advance is outstanding voids it (``void``): that part goes
back to the balance. So the order's release, and its commission, are what they would have
been had the refund come from escrow.
"""

from __future__ import annotations

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.events import Event
from refundkit.domain.ledger import (
    EntryKind,
    Move,
    escrow_account,
    journal_entry,
    seller_payable_account,
)
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import Refund


def repay(ctx: Context, order: Order, d: Dispute) -> Outcome:
    """The dispute ends: what the seller's balance advanced goes back to it from escrow
    (the service follows it with ``debt_recovered`` when the seller owes the platform)."""
    amount = d.advance
    if amount <= 0:
        return Outcome()
    d.advance = 0
    order.advanced_amount -= amount
    entry = journal_entry(
        entry_id=ctx.ids.new("je"), kind=EntryKind.ADVANCE_REPAID, occurred_at=ctx.now,
        order_id=order.id, currency=order.currency,
        moves=[Move(escrow_account(order.id), seller_payable_account(order.seller_id), amount)],
        memo=f"dispute {d.id} ended: the seller's advance of its Fast Refund back",
    )  # fmt: skip
    event = Event("dispute.advance_repaid", d.id, order.id, ctx.now, ctx.actor.role,
                  ctx.actor.id, {"amount": amount, "currency": order.currency,
                                 "seller_id": order.seller_id, "entry_id": entry.id})  # fmt: skip
    return Outcome(events=[event], entries=[entry])


def void(refund: Refund, d: Dispute | None) -> int:
    """The provider refused (or took back) ``refund``: the part of its advance still
    outstanding on its dispute ``d`` is void, and returned (it goes back to the seller's
    balance); an advance already repaid returns 0 (that money is escrow's again)."""
    if d is None or refund.advanced <= 0 or refund.advance_dispute_id != d.id:
        return 0
    back = min(refund.advanced, d.advance)
    d.advance -= back
    return back
