"""Commands on a dispute. Each checks the table, changes the dispute (and, for outcomes,
the order and its money) and returns what goes with the change."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from refundkit.domain.calendar import add_business_days
from refundkit.domain.compensation import counterfeit_compensation
from refundkit.domain.context import SYSTEM_ACTOR, Context, Outcome
from refundkit.domain.disputes import advance, lines, returnless
from refundkit.domain.disputes import timers as dispute_timers
from refundkit.domain.disputes.machine import DisputeAction, DisputeTransition, find_transition
from refundkit.domain.disputes.model import (
    SUB_REASONS,
    DecidedBy,
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    Offer,
    OfferStatus,
)
from refundkit.domain.errors import (
    AmountExceedsRefundable,
    EvidenceRequired,
    Forbidden,
    InvalidAmount,
    ValidationError,
)
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.money import Money
from refundkit.domain.orders import holds, lifecycle
from refundkit.domain.orders import machine as order_machine
from refundkit.domain.orders import timers as order_timers
from refundkit.domain.orders.escrow import release_to_seller
from refundkit.domain.orders.machine import OrderAction
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.refunds import DESTINATION_SPELLINGS
from refundkit.domain.reminders import agent_timer
from refundkit.domain.roles import Role
from refundkit.domain.rules import Rule, returnless_rule
from refundkit.domain.standing.hold import held_until, release_due


@dataclass(frozen=True, slots=True)
class DisputeForm:
    reason: str
    sub_reason: str | None
    item_received: bool
    requested_refund: int
    """Minor units of the order's currency (the use case parsed the text into them);
    ``open_dispute`` makes it ``Money`` of the order before any rule reads it."""
    return_goods: bool
    description: str
    lines: tuple[tuple[str, int], ...] | None = None
    """(item id, units) the dispute is about; None: the whole order."""
    refund_destination: str = "original"
    """Where the refund goes: ``original`` (the default) or ``store_credit``."""


def _event(ctx: Context, d: Dispute, kind: str, **data: Any) -> Event:
    return Event(kind, d.id, d.order_id, ctx.now, ctx.actor.role, ctx.actor.id, data)


def open_dispute(
    ctx: Context, order: Order, earlier: list[Dispute], form: DisputeForm, evidence_count: int
) -> tuple[Dispute, Outcome]:
    policy = ctx.policy.disputes
    if ctx.actor.role is not Role.BUYER or ctx.actor.id != order.buyer_id:
        raise Forbidden("only the order's buyer may open a dispute")
    # The order's rows ``open_dispute``: its state, no dispute open, inside the window, no
    # dispute before but withdrawn ones, under the cap.
    order_machine.find_transition(order, OrderAction.OPEN_DISPUTE, Role.BUYER, ctx.now,
                                  ctx.policy, lines.history_of(order, earlier))  # fmt: skip
    try:
        reason = DisputeReason(form.reason)
    except ValueError:
        raise ValidationError(f"unknown reason {form.reason!r}", field="reason") from None
    if form.sub_reason is not None and form.sub_reason not in SUB_REASONS[reason]:
        allowed = ", ".join(sorted(SUB_REASONS[reason])) or "none"
        raise ValidationError(f"sub_reason for {reason.value} is one of: {allowed}",
                              field="sub_reason")  # fmt: skip
    if form.lines is not None:
        units = lines.read_units(order, form.lines, earlier, reason, form.sub_reason)
    else:
        units = lines.whole_order_units(order, earlier)
    cap = lines.units_cap(order, units)
    _check_amount(order, order.money(form.requested_refund), field="requested_refund",
                  allow_zero=False, cap=cap, units=bool(units))  # fmt: skip
    if not form.description.strip() or len(form.description) > policy.max_description_chars:
        raise ValidationError(
            f"description must be 1 to {policy.max_description_chars} characters",
            field="description",
        )
    if reason is DisputeReason.CHANGED_MIND and not (form.item_received and form.return_goods):
        raise ValidationError(
            "a change of mind is refunded only for received goods sent back (return_goods)",
            field="return_goods",
        )
    needs_evidence = reason is not DisputeReason.CHANGED_MIND and (
        form.item_received or reason is not DisputeReason.NOT_RECEIVED
    )
    if needs_evidence and evidence_count < 1:
        raise EvidenceRequired(
            "a dispute about a received item needs at least one evidence file",
            field="evidence_ids",
        )
    dispute = Dispute(
        id=ctx.ids.new("dp"),
        order_id=order.id,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        status=DisputeStatus.AWAITING_SELLER,
        reason=reason,
        sub_reason=form.sub_reason,
        item_received=form.item_received,
        requested_refund=form.requested_refund,
        return_goods=form.return_goods,
        description=form.description,
        units=units,
        refund_destination=read_destination(form.refund_destination),
        currency=order.currency,
        open_chargeback_id=order.open_chargeback_id,
        opened_at=ctx.now,
        respond_by=ctx.now + policy.seller_answer,
        escalate_at=ctx.now + policy.auto_escalate_after,
    )
    holds.hold(order, dispute.id, lines.new_hold(order, units))
    assert dispute.respond_by is not None
    assert dispute.escalate_at is not None
    return dispute, Outcome(
        events=[_event(ctx, dispute, "dispute.opened", reason=reason.value,
                       requested_refund=form.requested_refund,
                       respond_by=dispute.respond_by.isoformat())],
        timers=[TimerRequest(dispute_timers.SELLER_SILENCE, dispute.id, dispute.respond_by),
                TimerRequest(dispute_timers.AUTO_ESCALATE, dispute.id, dispute.escalate_at)],
    )  # fmt: skip


def _check_amount(
    order: Order, amount: Money, *, field: str, allow_zero: bool, cap: Money, units: bool
) -> None:
    """At most ``cap``, what the disputed units (or the whole order) may still give back, in
    the order's currency (another raises ``CurrencyMismatch``)."""
    if amount.is_negative or (amount.is_zero and not allow_zero):
        raise InvalidAmount(f"{field} must be greater than zero", field=field)
    if amount > cap:
        what = "those units" if units else "the order"
        raise AmountExceedsRefundable(
            f"{field} exceeds what {what} may still refund ({cap.minor})",
            field=field, refundable=cap.minor,
        )  # fmt: skip


def _check_dispute_amount(
    order: Order, d: Dispute, amount: Money, *, field: str = "refund_amount", postage: int = 0
) -> None:
    """Within the dispute's cap, and the return postage the seller bears on top of it."""
    cap = lines.refund_cap(order, d)
    cap += order.money(min(postage, lines.room_past(order, d, cap.minor)))
    _check_amount(order, amount, field=field, allow_zero=True, cap=cap, units=bool(d.units))


def _step(ctx: Context, d: Dispute, action: DisputeAction) -> DisputeTransition:
    if ctx.actor.role is Role.BUYER and ctx.actor.id != d.buyer_id:
        raise Forbidden("not your dispute")
    if ctx.actor.role is Role.SELLER and ctx.actor.id != d.seller_id:
        raise Forbidden("not your dispute")
    return find_transition(d, action, ctx.actor.role, ctx.now)


def read_destination(value: str | None) -> str:
    """``original`` (also spelt ``original_payment``) or ``store_credit``."""
    found = DESTINATION_SPELLINGS.get(value or "original")
    if found is None:
        raise ValidationError("refund_destination is original or store_credit",
                              field="refund_destination")  # fmt: skip
    return found.value


def accept(
    ctx: Context, d: Dispute, order: Order, refund_destination: str | None = None
) -> Outcome:
    """The seller accepts the buyer's request, or a party accepts the other's latest offer;
    a buyer accepting may choose where the refund goes. When the seller agrees (or is silent)
    to a refund with the goods back, a returnless rule may waive the return."""
    action = DisputeAction.AUTO_ACCEPT if ctx.actor.role is Role.SYSTEM else DisputeAction.ACCEPT
    _step(ctx, d, action)
    if refund_destination is not None:
        if ctx.actor.role is not Role.BUYER:
            raise ValidationError("where the refund goes is the buyer's choice",
                                  field="refund_destination")  # fmt: skip
        d.refund_destination = read_destination(refund_destination)
    silent = ctx.actor.role is Role.SYSTEM
    if d.status is DisputeStatus.AWAITING_SELLER:
        amount, goods, by = d.requested_money, d.return_goods, DecidedBy.SELLER
        rule, why = (Rule.SELLER_ANSWER, "the seller did not answer in time") if silent \
            else (None, None)  # fmt: skip
        if silent:
            by = DecidedBy.POLICY
    else:
        offer = d.latest_offer()
        assert offer is not None
        offer.status = OfferStatus.ACCEPTED
        amount, goods, by, rule, why = (offer.refund_money, offer.return_goods,
                                        DecidedBy(ctx.actor.role.value), None, None)  # fmt: skip
    waiver = None
    if goods and amount.is_positive and ctx.actor.role in (Role.SELLER, Role.SYSTEM):
        waiver = returnless.waiving_rule(ctx, order, d, ctx.seller_returnless(d.seller_id))
    if waiver is None:
        return settle(ctx, d, order, amount, goods, by, rule=rule, rationale=why)
    cited = returnless_rule(waiver.name)
    done = settle(
        ctx,
        d,
        order,
        amount,
        False,
        by,
        rule=cited,
        rationale=f"{why + '; ' if why else ''}refund without return: {cited}",
    )
    done.events.insert(0, _event(ctx, d, "dispute.return_waived", rule=cited,
                                 refund_amount=amount.minor))  # fmt: skip
    return done


def make_offer(
    ctx: Context, d: Dispute, order: Order, amount: Money, return_goods: bool, note: str
) -> Outcome:
    """A counter-offer from ``awaiting_seller``, or a new offer while negotiating."""
    first = d.status is DisputeStatus.AWAITING_SELLER
    row = _step(ctx, d, DisputeAction.COUNTER_OFFER if first else DisputeAction.OFFER)
    _check_dispute_amount(order, d, amount)
    for earlier in d.offers:
        if earlier.status is OfferStatus.OPEN:
            earlier.status = OfferStatus.SUPERSEDED
    assert ctx.actor.id is not None
    offer = Offer(ctx.ids.new("dpo"), ctx.actor.role.value, ctx.actor.id, amount.minor,
                  return_goods, note.strip(), OfferStatus.OPEN, ctx.now,
                  currency=amount.currency)  # fmt: skip
    d.offers.append(offer)
    assert row.target is not None
    d.status = row.target
    return Outcome(events=[_event(ctx, d, "dispute.offer_made", offer_id=offer.id,
                                  refund_amount=amount.minor,
                                  return_goods=return_goods)])  # fmt: skip


def reject(ctx: Context, d: Dispute, reason: str) -> Outcome:
    row = _step(ctx, d, DisputeAction.REJECT)
    if not reason.strip():
        raise ValidationError("say why you reject the dispute", field="reason")
    assert row.target is not None
    d.status = row.target
    return Outcome(events=[_event(ctx, d, "dispute.rejected", reason=reason.strip())])


def escalate(ctx: Context, d: Dispute, buyer_country: str) -> Outcome:
    automatic = ctx.actor.role is Role.SYSTEM
    _step(ctx, d, DisputeAction.AUTO_ESCALATE if automatic else DisputeAction.ESCALATE)
    d.status = DisputeStatus.ESCALATED
    d.escalated_at = ctx.now
    d.agent_due_by = add_business_days(
        ctx.calendar, buyer_country, ctx.now, ctx.policy.disputes.agent_sla_business_days
    )
    for offer in d.offers:
        if offer.status is OfferStatus.OPEN:
            offer.status = OfferStatus.LAPSED
    rule = Rule.AUTO_ESCALATE if automatic else None
    return Outcome(events=[_event(ctx, d, "dispute.escalated", rule=rule,
                                  agent_due_by=d.agent_due_by.isoformat())],
                   timers=[agent_timer(d)])  # fmt: skip


def decide(
    ctx: Context, d: Dispute, order: Order, outcome: str, amount: Money | None,
    return_goods: bool, rationale: str,
) -> Outcome:  # fmt: skip
    _step(ctx, d, DisputeAction.DECIDE)
    if not rationale.strip():
        raise ValidationError("a decision needs a rationale", field="rationale")
    try:
        chosen = DisputeOutcome(outcome)
    except ValueError:
        raise ValidationError(f"unknown outcome {outcome!r}", field="outcome") from None
    cap = lines.refund_cap(order, d)
    if chosen is DisputeOutcome.FULL_REFUND:
        amount = cap
    elif chosen is DisputeOutcome.NO_REFUND:
        amount, return_goods = order.money(0), False
    elif amount is None or not (amount.is_positive and amount < cap):
        raise InvalidAmount("a partial refund needs an amount below the refundable total",
                            field="refund_amount")  # fmt: skip
    return settle(ctx, d, order, amount, return_goods, DecidedBy.AGENT, rationale=rationale)


def withdraw(ctx: Context, d: Dispute, order: Order) -> Outcome:
    _step(ctx, d, DisputeAction.WITHDRAW)
    d.status = DisputeStatus.WITHDRAWN
    d.resolved_at = ctx.now
    d.appeal_until = ctx.now + ctx.policy.disputes.appeal_window
    outcome = Outcome(events=[_event(ctx, d, "dispute.withdrawn")])
    return outcome.merge(_release_hold(ctx, order, d))


def settle(
    ctx: Context, d: Dispute, order: Order, amount: Money, return_goods: bool,
    decided_by: DecidedBy, *, rule: str | None = None, rationale: str | None = None,
    postage: int = 0,
) -> Outcome:  # fmt: skip
    """Fix the terms. With goods to send back, the dispute waits for the return; otherwise
    the money moves now and the order resumes its course. ``postage``: the return postage
    the seller bears, which the refund may add to the dispute's cap."""
    _check_dispute_amount(order, d, amount, postage=postage)
    d.refund_amount = amount.minor
    d.decided_by = decided_by
    d.rule = rule
    d.rationale = rationale
    if return_goods and amount.is_positive:
        d.status = DisputeStatus.AWAITING_RETURN
        d.return_ship_by = ctx.now + ctx.policy.disputes.return_ship_within
        return Outcome(
            events=[_event(ctx, d, "dispute.return_required", refund_amount=amount.minor,
                           decided_by=decided_by.value, rule=rule,
                           return_ship_by=d.return_ship_by.isoformat())],
            timers=[TimerRequest(dispute_timers.RETURN_LAPSE, d.id, d.return_ship_by)],
        )  # fmt: skip
    d.status = DisputeStatus.RESOLVED
    d.outcome = _outcome_of(amount, lines.refund_cap(order, d))
    d.resolved_at = ctx.now
    d.appeal_until = ctx.now + ctx.policy.disputes.appeal_window
    result = Outcome(events=[_event(ctx, d, "dispute.resolved", outcome=d.outcome.value,
                                    refund_amount=amount.minor, decided_by=decided_by.value,
                                    rule=rule)])  # fmt: skip
    if amount.is_positive:
        result.merge(lines.refund_dispute(ctx, order, d, amount, f"dispute {d.id}"))
        result.merge(counterfeit_compensation(ctx, order, d))
    if order.refundable == 0:
        order.status = OrderStatus.REFUNDED
        result.merge(advance.repay(ctx, order, d))
        order.dispute_holds.clear()
        result.events.append(
            Event(
                "order.refunded",
                order.id,
                order.id,
                ctx.now,
                ctx.actor.role,
                ctx.actor.id,
                {"dispute_id": d.id},
            )
        )
        return result  # fmt: skip
    return result.merge(_release_hold(ctx, order, d))


def _outcome_of(amount: Money, refundable: Money) -> DisputeOutcome:
    if amount.is_zero:
        return DisputeOutcome.NO_REFUND
    return DisputeOutcome.FULL_REFUND if amount >= refundable else DisputeOutcome.PARTIAL_REFUND


def _release_hold(ctx: Context, order: Order, d: Dispute) -> Outcome:
    """The dispute no longer holds the order (never another's hold is lifted). The last
    one to end lets the order resume: it completes (and releases escrow) when its window
    allows. After its release time came (the undisputed money went to the seller then),
    what the dispute held and did not refund follows at once (unless the bank or the
    seller's standing holds the money: the order's timer does it then). What the seller's
    balance advanced of its Fast Refund goes back to the balance first, however it ends."""
    repaid = advance.repay(ctx, order, d)
    if not holds.lift(order, d.id):
        return repaid
    if (holds.partly_released(order) and order.open_chargeback_id is None
            and held_until(order, ctx.now) is None):  # fmt: skip
        system = replace(ctx, actor=SYSTEM_ACTOR)
        if order_machine.allowed(order, OrderAction.COMPLETE, Role.SYSTEM, ctx.now, ctx.policy):
            return repaid.merge(lifecycle.complete(system, order))
        return repaid.merge(release_to_seller(system, order))
    if order.disputed:
        return repaid
    closes = order.deadlines.dispute_closes_at
    due: datetime = max(ctx.now, release_due(order, closes)) if closes else ctx.now
    return repaid.merge(Outcome(timers=[TimerRequest(order_timers.COMPLETE, order.id, due)]))
