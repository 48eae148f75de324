"""A seller reports a returned parcel used or incomplete (issue 19): within the policy's days
of the return's delivery scan; the dispute goes to an agent, who decides a deduction up to
the policy's share of the agreed refund. The refund shrinks by the deduction, to the cent."""

from __future__ import annotations

from datetime import timedelta

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import returns
from refundkit.domain.disputes.commands import _event, _step, settle
from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import DecidedBy, Dispute, DisputeStatus
from refundkit.domain.errors import (
    ConcurrentUpdate,
    DeductionExceedsCap,
    Forbidden,
    InvalidTransition,
    ValidationError,
    WindowClosed,
)
from refundkit.domain.money import AmountText, minor_units_of
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.domain.rules import Rule
from refundkit.domain.standing.buyer import deduction_cap
from refundkit.service.access import actor_of
from refundkit.service.deps import Deps
from refundkit.service.disputes import DisputeDetails, details, visible_dispute
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.standing import STAFF, _note
from refundkit.service.standing_ports import UsedReturnReport
from refundkit.service.transactions import record

CONDITIONS = ("used", "incomplete")


def _locked(uow: UnitOfWork, user: User, dispute_id: str) -> tuple[Dispute, Order]:
    """The order, then the dispute, locked (the order of ``service/disputes.py``)."""
    found = visible_dispute(uow, user, dispute_id)
    order = uow.orders.get(found.order_id, for_update=True)
    d = uow.disputes.get(dispute_id, for_update=True)
    assert order is not None
    assert d is not None
    return d, order


def report(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, condition: str, note: str
) -> DisputeDetails:
    d, order = _locked(uow, user, dispute_id)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    if user.role is not Role.SELLER:
        raise Forbidden("the seller reports a used return")
    if condition not in CONDITIONS:
        raise ValidationError("condition is used or incomplete", field="condition")
    if d.status is not DisputeStatus.RETURN_IN_TRANSIT or d.return_delivered_at is None:
        raise InvalidTransition("a return is reported once its delivery scan is in")
    if d.fast_refunded_at is not None:
        raise InvalidTransition("the refund already went out under Fast Refund")
    days = deps.policies.active.buyer_signals.used_return_report_days
    if ctx.now > d.return_delivered_at + timedelta(days=days):
        raise WindowClosed(f"a used return is reported within {days} days of its delivery "
                           f"({Rule.USED_RETURN_REPORT_DAYS.value})")  # fmt: skip
    made = UsedReturnReport(deps.ids.new("urr"), d.id, d.buyer_id, condition,
                            _note(note, "note"), "pending", 0, ctx.now)  # fmt: skip
    outcome = returns.confirm_return(ctx, d, order, "not_as_sent")
    if not uow.standing.add_report(made):
        raise ConcurrentUpdate("this return was already reported")
    outcome.events.append(_event(ctx, d, "return.reported_used", report_id=made.id,
                                 condition=condition, note=made.note))  # fmt: skip
    uow.disputes.save(d)
    record(uow, outcome)
    return details(deps, d, order.currency)


def decide(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, deduction: AmountText | int,
    note: str,
) -> DisputeDetails:  # fmt: skip
    if user.role not in STAFF:
        raise Forbidden("an agent decides a used return's deduction")
    d, order = _locked(uow, user, dispute_id)
    made = uow.standing.report_for(d.id)
    if made is None or made.status != "pending":
        raise InvalidTransition("this dispute has no used-return report to decide")
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    amount = minor_units_of(deduction, order.currency, deps.currencies, positive=False)
    agreed = d.refund_amount or 0
    cap = deduction_cap(deps.policies.active.buyer_signals, agreed)
    if amount < 0:
        raise ValidationError("deduction cannot be negative", field="deduction")
    if amount > cap:
        raise DeductionExceedsCap(
            f"deduction exceeds {Rule.USED_RETURN_DEDUCTION.value} of the refund ({cap} minor "
            "units)", field="deduction")  # fmt: skip
    outcome = _settle(ctx, d, order, agreed - amount, amount, _note(note, "note"))
    made.status = "accepted" if amount else "refused"
    made.deduction, made.decided_by, made.decision_note = amount, user.id, _note(note, "note")
    made.decided_at = ctx.now
    uow.standing.save_report(made)
    uow.disputes.save(d)
    uow.orders.save(order)
    record(uow, outcome)
    return details(deps, d, order.currency)


def _settle(ctx: Context, d: Dispute, order: Order, refund: int, deduction: int,
            note: str) -> Outcome:  # fmt: skip
    _step(ctx, d, DisputeAction.DECIDE)
    rule = Rule.USED_RETURN_DEDUCTION.value if deduction else None
    outcome = Outcome(events=[_event(ctx, d, "return.deduction_decided", deduction=deduction,
                                     refund_amount=refund, rule=rule)])  # fmt: skip
    return outcome.merge(settle(ctx, d, order, d.money(refund), False, DecidedBy.AGENT, rule=rule,
                                rationale=note))  # fmt: skip
