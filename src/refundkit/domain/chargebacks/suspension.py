"""A platform dispute while the buyer's bank decides the same payment.

While a chargeback is open the dispute is suspended: no party can move it and its timers
do nothing. The dispute table holds the rule: every row a person takes has the guard
``NO_CHARGEBACK`` (``domain/disputes/machine.py``), which refuses with ``chargeback_open``
while ``Dispute.open_chargeback_id`` (its order's, read with it) is set, so ``next_actions``
lists none of those steps. Opening a dispute on the order and deciding an appeal, which are
no rows of the dispute table, are refused here (``refuse_while_suspended``).

When the chargeback ends the dispute closes with no refund decided here, by the policy,
naming the rule: the bank's decision stands for the same claim (lost: the bank repaid the
buyer; won: the bank found for the seller). Either party may still appeal within the
appeal window, as after any close.
"""

from __future__ import annotations

from refundkit.domain.chargebacks.model import Chargeback
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.commands import _release_hold
from refundkit.domain.disputes.machine import DisputeAction, find_transition
from refundkit.domain.disputes.model import DecidedBy, Dispute, DisputeOutcome, DisputeStatus
from refundkit.domain.errors import ChargebackOpen
from refundkit.domain.events import Event
from refundkit.domain.orders.model import Order
from refundkit.domain.rules import FixedRule

RULE = FixedRule.CHARGEBACK_DECIDED


def refuse_while_suspended(order: Order) -> None:
    """No dispute is opened (nor an appeal decided) while the bank decides the payment."""
    if order.open_chargeback_id is not None:
        raise ChargebackOpen(
            f"chargeback {order.open_chargeback_id} is open at the buyer's bank: the dispute "
            "is suspended until the bank decides, then it closes",
            chargeback_id=order.open_chargeback_id,
        )


def suspend(ctx: Context, d: Dispute, chargeback: Chargeback) -> Event:
    """The bank withdrew the funds: the dispute is suspended (its table's guard now refuses
    every person's step) and its parties are told."""
    d.open_chargeback_id = chargeback.id
    return Event(
        "dispute.suspended", d.id, d.order_id, ctx.now, ctx.actor.role, ctx.actor.id,
        {"chargeback_id": chargeback.id, "status": d.status.value,
         "why": "the buyer asked the bank to reverse the payment; the dispute waits for the "
                "bank and closes when it decides"},
    )  # fmt: skip


def close_for_chargeback(ctx: Context, d: Dispute, order: Order, chargeback: Chargeback) -> Outcome:
    find_transition(d, DisputeAction.CLOSE_FOR_CHARGEBACK, ctx.actor.role, ctx.now)
    d.open_chargeback_id = order.open_chargeback_id  # none any more: the chargeback ended
    d.status = DisputeStatus.CLOSED
    d.outcome = DisputeOutcome.NO_REFUND
    d.refund_amount = 0
    d.decided_by = DecidedBy.POLICY
    d.rule = RULE
    d.rationale = f"chargeback {chargeback.id} {chargeback.status.value} at the buyer's bank"
    d.resolved_at = ctx.now
    d.appeal_until = ctx.now + ctx.policy.disputes.appeal_window
    event = Event(
        "dispute.closed", d.id, d.order_id, ctx.now, ctx.actor.role, ctx.actor.id,
        {"outcome": d.outcome.value, "decided_by": d.decided_by.value, "rule": RULE,
         "chargeback_id": chargeback.id, "chargeback_status": chargeback.status.value},
    )  # fmt: skip
    return Outcome(events=[event]).merge(_release_hold(ctx, order, d))
