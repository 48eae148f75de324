"""Appeals (DESIGN §3): once per dispute, by either party, within the appeal window and
with new evidence, a dispute that ended goes to an agent, who upholds its outcome or sets
a new one. The rule of who may appeal and when is the dispute table's row ``appeal``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from refundkit.domain.compensation import counterfeit_compensation
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.commands import _event, _outcome_of, _release_hold, _step
from refundkit.domain.disputes.lines import covered_units, new_hold, refund_cap, refund_dispute
from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import DecidedBy, Dispute, DisputeOutcome, DisputeStatus
from refundkit.domain.errors import (
    EvidenceRequired,
    Forbidden,
    InvalidAmount,
    InvalidTransition,
    ValidationError,
)
from refundkit.domain.money import Money
from refundkit.domain.orders import holds
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Appeal:
    id: str
    dispute_id: str
    by_role: str
    by_user: str
    reason: str
    created_at: datetime
    status: str = "open"
    """``open``, then ``upheld`` or ``changed`` when an agent has answered."""


def appeal(
    ctx: Context, d: Dispute, order: Order, reason: str, evidence_count: int,
    others: Sequence[Dispute] = (),
) -> tuple[Appeal, Outcome]:  # fmt: skip
    """A party appeals the outcome; the money stays where it is until an agent answers.
    ``others``: the order's other disputes; one that covers a unit of this one since (this
    one was withdrawn) stops the appeal, as two disputes never cover the same unit."""
    if ctx.actor.role not in (Role.BUYER, Role.SELLER):
        raise Forbidden("only the buyer or the seller may appeal")
    _step(ctx, d, DisputeAction.APPEAL)
    if not reason.strip():
        raise ValidationError("say why you appeal", field="reason")
    if evidence_count < 1:
        raise EvidenceRequired("an appeal brings new evidence", field="evidence_ids")
    _refuse_shared_units(order, d, others)
    _hold_for_appeal(order, d)
    assert ctx.actor.id is not None
    made = Appeal(ctx.ids.new("apl"), d.id, ctx.actor.role.value, ctx.actor.id, reason.strip(),
                  ctx.now)  # fmt: skip
    d.appealed = True
    return made, Outcome(events=[_event(ctx, d, "dispute.appealed")])


def decide_appeal(
    ctx: Context, d: Dispute, order: Order, *, uphold: bool, outcome: str | None,
    amount: Money | None, rationale: str,
) -> Outcome:  # fmt: skip
    """An agent answers an appeal: the outcome stands, or a new one replaces it. Money
    already paid back is never taken from the buyer again, so a new outcome may only add
    to what the dispute refunded; the difference leaves escrow now."""
    if ctx.actor.role not in (Role.AGENT, Role.ADMIN):
        raise Forbidden("only an agent decides an appeal")
    if not rationale.strip():
        raise ValidationError("a decision needs a rationale", field="rationale")
    result = Outcome()
    if uphold:
        result.events.append(_event(ctx, d, "dispute.appeal_decided", decision="upheld"))
        return result.merge(_release_hold(ctx, order, d))
    previous = d.refund_money or order.money(0)
    ceiling = previous + refund_cap(order, d)
    try:
        chosen = DisputeOutcome(outcome or "")
    except ValueError:
        raise ValidationError(f"unknown outcome {outcome!r}", field="outcome") from None
    if chosen is DisputeOutcome.FULL_REFUND:
        total = ceiling
    elif chosen is DisputeOutcome.NO_REFUND:
        total = order.money(0)
    elif amount is None or not (amount.is_positive and amount < ceiling):
        raise InvalidAmount("a partial refund needs an amount below the order's refundable total",
                            field="refund_amount")  # fmt: skip
    else:
        total = amount
    if total < previous:
        raise InvalidTransition("money already refunded to the buyer is not taken back")
    d.status = DisputeStatus.RESOLVED
    d.outcome = _outcome_of(total, ceiling)
    d.refund_amount = total.minor
    d.decided_by = DecidedBy.AGENT
    d.rule = None
    d.rationale = rationale.strip()
    d.resolved_at = ctx.now
    result.events.append(_event(ctx, d, "dispute.appeal_decided", decision="changed",
                                outcome=d.outcome.value,
                                refund_amount=total.minor))  # fmt: skip
    if total > previous:
        result.merge(refund_dispute(ctx, order, d, total - previous, f"appeal of {d.id}"))
        result.merge(counterfeit_compensation(ctx, order, d))
    if order.refundable == 0 and order.status is not OrderStatus.REFUNDED:
        order.status = OrderStatus.REFUNDED
        order.dispute_holds.clear()
        return result
    return result.merge(_release_hold(ctx, order, d))


def _refuse_shared_units(order: Order, d: Dispute, others: Sequence[Dispute]) -> None:
    covered = covered_units(order, [o for o in others if o.id != d.id])
    mine = covered_units(order, [replace(d, status=DisputeStatus.RESOLVED)])
    for line in order.lines:
        if covered.get(line.id, 0) + mine.get(line.id, 0) > line.quantity:
            raise InvalidTransition(
                f"another dispute covers units of this one ({line.id}); appeal once it ends"
                if any(o.is_open for o in others) else
                f"another dispute covers units of this one since ({line.id})"
            )  # fmt: skip


def _hold_for_appeal(order: Order, d: Dispute) -> None:
    """An appeal keeps the money where it is until an agent has answered it: the appealed
    dispute holds the order again, what its units may still give back outside the other
    disputes' holds (other disputes on other units go on meanwhile)."""
    if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        holds.hold(order, d.id, new_hold(order, d.units))
