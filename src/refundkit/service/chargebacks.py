"""Chargebacks as the provider reports them (its webhooks, or the sandbox bank): opened,
moved and ended on our side in the transaction that records the report, with the order
under its row lock, so a refund and a chargeback on one order never interleave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from refundkit.domain.chargebacks import commands
from refundkit.domain.chargebacks.model import ENDED, Chargeback, ChargebackStatus
from refundkit.domain.chargebacks.suspension import close_for_chargeback, suspend
from refundkit.domain.context import SYSTEM_ACTOR, Context, Outcome
from refundkit.domain.disputes.model import Dispute, DisputeStatus
from refundkit.domain.errors import Forbidden, InvalidTransition, NotFound, ValidationError
from refundkit.domain.events import TimerRequest
from refundkit.domain.money import AmountText, Money, format_major, minor_units_of
from refundkit.domain.orders import timers as order_timers
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import Refund, RefundStatus
from refundkit.domain.roles import Role
from refundkit.service.access import visible_order
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.transactions import record

C = ChargebackStatus
OPEN_DISPUTE = frozenset({DisputeStatus.AWAITING_SELLER, DisputeStatus.NEGOTIATING,
                          DisputeStatus.ESCALATED, DisputeStatus.AWAITING_RETURN,
                          DisputeStatus.RETURN_IN_TRANSIT})  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChargebackReport:
    """What the provider says about one of its disputes."""

    psp: str
    psp_reference: str
    order_id: str
    status: ChargebackStatus
    amount: int | None
    currency: str
    reason: str
    fee: int = 0


def report(deps: Deps, uow: UnitOfWork, news: ChargebackReport) -> Chargeback:
    """Bring our chargeback to the state the provider reports (opening it if new); a report
    of a state already passed changes nothing."""
    order = uow.orders.get(news.order_id, for_update=True)
    if order is None:
        raise NotFound(f"no order {news.order_id}")
    return _report_on(deps, uow, order, news)


def _report_on(deps: Deps, uow: UnitOfWork, order: Order, news: ChargebackReport) -> Chargeback:
    """``report`` on the order already read under its row lock."""
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    found = uow.chargebacks.by_psp_reference(news.psp, news.psp_reference, for_update=True)
    outcome = Outcome()
    if found is None:
        found, opened = commands.open_chargeback(
            ctx, order, chargeback_id=deps.ids.new("cb"), psp=news.psp,
            psp_reference=news.psp_reference, amount=news.amount, currency=news.currency,
            reason=news.reason, inquiry=news.status in (C.INQUIRY, C.INQUIRY_CLOSED),
            fee=news.fee,
        )  # fmt: skip
        uow.chargebacks.add(found)
        outcome.merge(opened)
        if found.is_open:
            outcome.merge(_on_withdrawn(deps, uow, ctx, order, found))
    chargeback = found
    outcome.merge(_catch_up(deps, uow, ctx, order, chargeback, news))
    uow.chargebacks.save(chargeback)
    uow.orders.save(order)
    record(uow, outcome)
    return chargeback


def _catch_up(
    deps: Deps, uow: UnitOfWork, ctx: Context, order: Order, cb: Chargeback,
    news: ChargebackReport,
) -> Outcome:  # fmt: skip
    outcome = Outcome()
    if cb.status in ENDED or news.status is cb.status:
        return outcome
    if cb.status is C.INQUIRY and news.status is C.INQUIRY_CLOSED:
        return commands.close_inquiry(ctx, cb)
    if cb.status is C.INQUIRY and news.status is not C.INQUIRY:
        outcome.merge(commands.escalate(ctx, order, cb, news.fee))
        outcome.merge(_on_withdrawn(deps, uow, ctx, order, cb))
    if cb.status is C.NEEDS_RESPONSE and news.status is C.UNDER_REVIEW:
        outcome.merge(commands.respond(ctx, cb, cb.evidence or "answered at the provider"))
    if news.status is C.WON and cb.is_open:
        outcome.merge(commands.win(ctx, order, cb))
        outcome.merge(_after_end(uow, ctx, order, cb, []))
    if news.status is C.LOST and cb.is_open:
        held = _held_refunds(uow, order.id)
        proved = seller_proved_delivery(uow, order)
        advancing = advancing_disputes(uow, held)
        outcome.merge(commands.lose(ctx, order, cb, held, seller_proved_delivery=proved,
                                    advancing=advancing))  # fmt: skip
        for d in advancing:
            uow.disputes.save(d)
        outcome.merge(_after_end(uow, ctx, order, cb, held))
    return outcome


def _on_withdrawn(deps: Deps, uow: UnitOfWork, ctx: Context, order: Order,
                  cb: Chargeback) -> Outcome:  # fmt: skip
    """The funds are gone: suspend every dispute holding the order (the bank decides the
    whole payment), offer the refunds already made."""
    outcome = Outcome()
    for d in _holding_disputes(uow, order):
        outcome.events.append(suspend(ctx, d, cb))
    made = refunds_made(uow, order.id)
    if made:
        cb.evidence = evidence_text(deps, made)
        outcome.timers.append(TimerRequest(order_timers.CHARGEBACK_EVIDENCE, cb.id, ctx.now))
    return outcome


def _after_end(uow: UnitOfWork, ctx: Context, order: Order, cb: Chargeback,
               held: list[Refund]) -> Outcome:  # fmt: skip
    """Close the suspended dispute; refunds that waited go ahead (those the loss canceled
    are saved as canceled)."""
    outcome = Outcome()
    for refund in held:
        uow.refunds.save(refund)
    for refund in _held_refunds(uow, order.id):
        outcome.timers.append(TimerRequest(order_timers.REFUND_EXECUTE, refund.id, ctx.now))
    for d in _holding_disputes(uow, order):
        if d.status in OPEN_DISPUTE:
            outcome.merge(close_for_chargeback(ctx, d, order, cb))
            uow.disputes.save(d)
    return outcome


def _holding_disputes(uow: UnitOfWork, order: Order) -> list[Dispute]:
    """The disputes that hold the order's escrow (several on different units, issue 18),
    locked; ``suspended_dispute_id`` names the latest of them."""
    found = [uow.disputes.get(dispute_id, for_update=True) for dispute_id in order.dispute_holds]
    return [d for d in found if d is not None]


def advancing_disputes(uow: UnitOfWork, refunds: Sequence[Refund]) -> list[Dispute]:
    """The disputes whose advances these refunds carry, locked (none, and no statement, for
    refunds without an advance)."""
    ids = sorted({r.advance_dispute_id for r in refunds if r.advanced and r.advance_dispute_id})
    found = [uow.disputes.get(dispute_id, for_update=True) for dispute_id in ids]
    return [d for d in found if d is not None]


def _held_refunds(uow: UnitOfWork, order_id: str) -> list[Refund]:
    """Refunds not yet sent to the provider, newest first (they wait out a chargeback)."""
    return [r for r in _all_refunds(uow, order_id)
            if r.status is RefundStatus.PENDING and r.executed_at is None]  # fmt: skip


def refunds_made(uow: UnitOfWork, order_id: str) -> list[Refund]:
    """Refunds the provider has executed (the evidence that the buyer was repaid), oldest
    first."""
    made = [r for r in _all_refunds(uow, order_id) if r.counts_against_captured
            and r.executed_at is not None]  # fmt: skip
    return sorted(made, key=lambda r: r.id)


def _all_refunds(uow: UnitOfWork, order_id: str) -> list[Refund]:
    found: list[Refund] = []
    after: str | None = None
    while True:
        page = list(uow.refunds.list_for_order(order_id, starting_after=after, limit=100))
        found.extend(uow.refunds.seen(r.id) or r for r in page)
        if len(page) < 100:
            return found
        after = page[-1].id


def evidence_text(deps: Deps, made: list[Refund]) -> str:
    lines = [
        f"Refund {r.id} (provider {r.psp_reference or 'n/a'}) of "
        f"{format_major(Money(r.amount, r.currency), deps.currencies.exponent(r.currency))} "
        f"{r.currency} made on "
        f"{(r.executed_at or r.created_at).date().isoformat()}"
        for r in made
    ]
    return "The buyer was already refunded: " + "; ".join(lines) + "."


def seller_proved_delivery(uow: UnitOfWork, order: Order) -> bool:
    """Seller protection: a delivered scan to the order's own postcode."""
    if not (order.carrier and order.tracking_number and order.ship_to.postcode):
        return False
    wanted = order.ship_to.postcode.replace(" ", "").upper()
    return any(
        scan.status == "delivered" and (scan.postcode or "").replace(" ", "").upper() == wanted
        for scan in uow.tracking.for_tracking(order.carrier, order.tracking_number)
    )


def submit_evidence(deps: Deps, uow: UnitOfWork, chargeback_id: str) -> str:
    """The worker: send the evidence to the provider (retried on failure, like refunds)."""
    cb = uow.chargebacks.get(chargeback_id, for_update=True)
    if cb is None or not cb.evidence:
        return "skipped: nothing to send"
    if cb.status is not C.NEEDS_RESPONSE:
        return f"skipped: the chargeback is {cb.status.value}"
    deps.payments.submit_chargeback_evidence(cb.psp_reference, cb.evidence)
    order = uow.orders.get(cb.order_id, for_update=True)
    assert order is not None
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    outcome = commands.respond(ctx, cb, cb.evidence)
    uow.chargebacks.save(cb)
    record(uow, outcome)
    return "evidence sent"


def for_order(uow: UnitOfWork, order_id: str) -> list[Chargeback]:
    return uow.chargebacks.for_order(order_id)


SANDBOX_FEE = 1500
"""The sandbox bank's fee in minor units (Stripe's is 15.00 in USD and EUR)."""


def sandbox_open(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, *,
    amount: int | AmountText | None, reason: str, inquiry: bool,
) -> Chargeback:  # fmt: skip
    """The sandbox bank opens a chargeback (or an inquiry) on an order. An ``amount`` sent
    as text is parsed here, in the order's currency, once the order is read under lock."""
    _sandbox_only(deps, user)
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"no order {order_id}")
    if not reason.strip():
        raise ValidationError("say why the buyer disputes the payment", field="reason")
    minor = None
    if amount is not None:
        minor = minor_units_of(amount, order.currency, deps.currencies, positive=True)
    status = C.INQUIRY if inquiry else C.NEEDS_RESPONSE
    fee = 0 if inquiry else SANDBOX_FEE
    news = ChargebackReport("sandbox", deps.ids.new("du_sbx"), order.id, status, minor,
                            order.currency, reason.strip(), fee)  # fmt: skip
    return _report_on(deps, uow, order, news)


def sandbox_close(
    deps: Deps, uow: UnitOfWork, user: User, chargeback_id: str, outcome: str
) -> Chargeback:
    """The sandbox bank decides: ``won`` or ``lost`` (an inquiry: ``won`` closes it)."""
    _sandbox_only(deps, user)
    found = uow.chargebacks.get(chargeback_id)
    if found is None:
        raise NotFound(f"no chargeback {chargeback_id}")
    if outcome not in ("won", "lost"):
        raise ValidationError("outcome is won or lost", field="outcome")
    status = C(outcome)
    if found.status is C.INQUIRY:
        status = C.INQUIRY_CLOSED if outcome == "won" else C.LOST
    if found.status in ENDED:
        raise InvalidTransition(f"chargeback {found.id} already ended ({found.status.value})")
    news = ChargebackReport(found.psp, found.psp_reference, found.order_id, status,
                            found.amount, found.currency, found.reason, found.fee)  # fmt: skip
    return report(deps, uow, news)


def _sandbox_only(deps: Deps, user: User) -> None:
    if not deps.sandbox:
        raise NotFound("sandbox chargebacks exist only when serving with --sandbox")
    if user.role not in (Role.PLATFORM, Role.ADMIN):
        raise Forbidden("only the platform stands in for the bank")


def get(uow: UnitOfWork, user: User, chargeback_id: str) -> Chargeback:
    found = uow.chargebacks.get(chargeback_id)
    try:
        if found is None:
            raise NotFound(f"no chargeback {chargeback_id}")
        visible_order(uow, user, found.order_id)
    except NotFound:
        # A stranger's chargeback answers exactly as an unknown one: no order id leaks.
        raise NotFound(f"no chargeback {chargeback_id}") from None
    return found
