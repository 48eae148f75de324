"""Refunds: money going back to the buyer's original payment method."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from refundkit.domain.calendar import HolidayCalendar, add_business_days
from refundkit.domain.errors import AmountExceedsRefundable, InvalidAmount, InvalidTransition
from refundkit.domain.money import Money
from refundkit.domain.policy import Policy


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class PaymentMethod(StrEnum):
    CARD = "card"
    WALLET = "wallet"


class RefundDestination(StrEnum):
    """Where a refund goes: the original payment method (the default, as card network
    rules want), or the buyer's store credit, only when the buyer chose it."""

    ORIGINAL = "original"
    STORE_CREDIT = "store_credit"


DESTINATION_SPELLINGS = {"original": RefundDestination.ORIGINAL,
                         "original_payment": RefundDestination.ORIGINAL,
                         "store_credit": RefundDestination.STORE_CREDIT}  # fmt: skip
"""``original_payment`` is read as ``original`` (DESIGN §9 names ``original``)."""


@dataclass(frozen=True, slots=True)
class Eta:
    earliest: datetime
    latest: datetime


@dataclass
class Refund:
    id: str
    order_id: str
    amount: int
    currency: str
    method: PaymentMethod
    reason: str
    status: RefundStatus
    created_at: datetime
    execute_after: datetime
    eta: Eta
    psp_reference: str | None = None
    """The provider's own id of this refund, once it made one."""
    psp: str | None = None
    """The provider that executed it (``sandbox``, ``stripe``)."""
    executed_at: datetime | None = None
    succeeded_at: datetime | None = None
    failure_reason: str | None = None
    attempts: int = 0
    line_amounts: tuple[int, ...] = ()
    """The refund split over the order's lines, then its shipping fee (largest remainder)."""
    clawback_amount: int = 0
    """The part refunded after release: taken from the seller (and the platform's commission
    on it), the rest came out of escrow."""
    commission_back: int = 0
    """The platform's commission on the clawed-back part, given back by the platform."""
    destination: RefundDestination = RefundDestination.ORIGINAL
    """``store_credit``: paid at once into the buyer's credit, never sent to a provider."""
    advanced: int = 0
    """The part the seller's balance advanced (a Fast Refund from the balance first): escrow
    kept it, and gives it back to the balance when the dispute ends."""
    advance_dispute_id: str | None = None
    """The dispute whose advance it is (set only with an advance)."""

    @property
    def amount_money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def counts_against_captured(self) -> bool:
        return self.status in (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


def estimate_arrival(
    *,
    method: PaymentMethod,
    start: datetime,
    buyer_country: str,
    policy: Policy,
    calendar: HolidayCalendar,
) -> Eta:
    """Wallets are credited at once; cards take business days of the buyer's country."""
    if method is PaymentMethod.WALLET:
        return Eta(start, start)
    return Eta(
        add_business_days(
            calendar, buyer_country, start, policy.refunds.card_eta_business_days_min
        ),
        add_business_days(
            calendar, buyer_country, start, policy.refunds.card_eta_business_days_max
        ),
    )


def plan_refund(
    *,
    refund_id: str,
    order_id: str,
    amount: Money,
    refundable: Money,
    method: PaymentMethod,
    reason: str,
    now: datetime,
    settles_at: datetime,
    buyer_country: str,
    policy: Policy,
    calendar: HolidayCalendar,
) -> Refund:
    """A pending refund of ``amount`` (at most ``refundable``, in the same currency),
    executed once the payment has settled at the PSP."""
    if not amount.is_positive:
        raise InvalidAmount("a refund must be greater than zero")
    if amount > refundable:
        raise AmountExceedsRefundable(
            f"refund of {amount.minor} exceeds the refundable {refundable.minor}",
            refundable=refundable.minor,
        )
    execute_after = max(now, settles_at)
    eta = estimate_arrival(
        method=method,
        start=execute_after,
        buyer_country=buyer_country,
        policy=policy,
        calendar=calendar,
    )
    return Refund(
        id=refund_id,
        order_id=order_id,
        amount=amount.minor,
        currency=amount.currency,
        method=method,
        reason=reason,
        status=RefundStatus.PENDING,
        created_at=now,
        execute_after=execute_after,
        eta=eta,
    )


def mark_submitted(
    refund: Refund, *, psp: str, psp_reference: str | None, eta: Eta, now: datetime
) -> None:
    _require_pending(refund)
    refund.psp = psp
    refund.psp_reference = psp_reference
    refund.eta = eta
    refund.executed_at = now
    refund.attempts += 1


def mark_succeeded(refund: Refund, *, now: datetime) -> None:
    _require_pending(refund)
    refund.status = RefundStatus.SUCCEEDED
    refund.succeeded_at = now


def mark_failed(refund: Refund, *, reason: str, now: datetime) -> None:
    _require_pending(refund)
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason
    refund.executed_at = refund.executed_at or now


def mark_failed_after_success(refund: Refund, *, reason: str, now: datetime) -> None:
    """The provider took back a refund it had reported paid (the card account was closed
    after all): it no longer counts, and its money is ours again."""
    if refund.status is not RefundStatus.SUCCEEDED:
        raise InvalidTransition(f"refund {refund.id} is {refund.status}, not succeeded")
    refund.status = RefundStatus.FAILED
    refund.failure_reason = reason


def mark_canceled(refund: Refund, *, reason: str, now: datetime) -> None:
    """Never sent to the provider, and now never will be (the bank repaid the buyer)."""
    _require_pending(refund)
    if refund.executed_at is not None:
        raise InvalidTransition(f"refund {refund.id} was already sent to the provider")
    refund.status = RefundStatus.CANCELED
    refund.failure_reason = reason
    refund.executed_at = now


def _require_pending(refund: Refund) -> None:
    if refund.status is not RefundStatus.PENDING:
        raise InvalidTransition(f"refund {refund.id} is already {refund.status}")
