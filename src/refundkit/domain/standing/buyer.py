"""A buyer's signals (issue 19): each is a named rule of the policy with its count, raised
when the count reaches the policy's threshold; the number raised sets the standing. An
agent may clear a signal (the buyer's appeal): from then on it counts only what happens
after the clearance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.rules import Rule
from refundkit.domain.standing.policy import BuyerSignal, BuyerSignalsPolicy, BuyerStanding

SIGNAL_RULES: dict[BuyerSignal, Rule] = {
    BuyerSignal.CLAIM_RATE: Rule.BUYER_CLAIM_RATE,
    BuyerSignal.NOT_RECEIVED_AFTER_DELIVERY: Rule.BUYER_NOT_RECEIVED_AFTER_DELIVERY,
    BuyerSignal.CHARGEBACK_AFTER_REFUND: Rule.BUYER_CHARGEBACK_AFTER_REFUND,
    BuyerSignal.RETURNS_REPORTED_USED: Rule.BUYER_RETURNS_REPORTED_USED,
}
LEVEL_RULES: dict[BuyerStanding, Rule] = {
    BuyerStanding.WARNED: Rule.BUYER_WARN,
    BuyerStanding.NO_FAST_REFUND: Rule.BUYER_NO_FAST_REFUND,
    BuyerStanding.AGENT_REVIEW: Rule.BUYER_AGENT_REVIEW,
}


@dataclass(frozen=True, slots=True)
class BuyerFacts:
    """What happened on the buyer's orders paid in the window, each with its moment."""

    orders: tuple[datetime, ...]
    """Paid-at of each order in the window."""
    claims: tuple[datetime, ...]
    """Opened-at of each dispute on those orders (withdrawn ones included)."""
    not_received_after_delivery: tuple[datetime, ...]
    """Not-received disputes opened on an order a delivered scan had already reached."""
    chargebacks_after_refund: tuple[datetime, ...]
    """Chargebacks opened on an order already refunded in part or in full."""
    returns_reported_used: tuple[datetime, ...]
    """Used-return reports an agent accepted with a deduction."""


@dataclass(frozen=True, slots=True)
class SignalReading:
    signal: BuyerSignal
    rule: str
    count: int
    threshold: str
    """What raises it, as the policy says it (``3 or more``, ``50.00 % of 5+ orders``)."""
    raised: bool
    cleared_at: datetime | None


@dataclass(frozen=True, slots=True)
class BuyerReading:
    standing: BuyerStanding
    rule: str | None
    signals: tuple[SignalReading, ...]
    orders: int

    @property
    def fast_refund_allowed(self) -> bool:
        return self.standing not in (BuyerStanding.NO_FAST_REFUND, BuyerStanding.AGENT_REVIEW)

    @property
    def agent_review(self) -> bool:
        return self.standing is BuyerStanding.AGENT_REVIEW


def _after(moments: tuple[datetime, ...], since: datetime | None) -> int:
    return sum(1 for m in moments if since is None or m > since)


def read_buyer(
    policy: BuyerSignalsPolicy, facts: BuyerFacts, cleared: Mapping[BuyerSignal, datetime]
) -> BuyerReading:
    readings: list[SignalReading] = []
    since = cleared.get(BuyerSignal.CLAIM_RATE)
    orders, claims = _after(facts.orders, since), _after(facts.claims, since)
    bp = policy.claim_rate_from_basis_points
    rate_raised = orders >= policy.minimum_orders and claims * 10_000 >= bp * orders
    shown = f"{bp // 100}.{bp % 100:02d} % of {policy.minimum_orders}+ orders"
    readings.append(SignalReading(BuyerSignal.CLAIM_RATE, SIGNAL_RULES[BuyerSignal.CLAIM_RATE],
                                  claims, shown, rate_raised, since))  # fmt: skip
    counted = (
        (BuyerSignal.NOT_RECEIVED_AFTER_DELIVERY, facts.not_received_after_delivery),
        (BuyerSignal.CHARGEBACK_AFTER_REFUND, facts.chargebacks_after_refund),
        (BuyerSignal.RETURNS_REPORTED_USED, facts.returns_reported_used),
    )
    for signal, moments in counted:
        at = cleared.get(signal)
        n, top = _after(moments, at), policy.count_threshold(signal)
        readings.append(SignalReading(signal, SIGNAL_RULES[signal], n, f"{top} or more",
                                      n >= top, at))  # fmt: skip
    raised = sum(1 for r in readings if r.raised)
    standing = BuyerStanding.GOOD
    for level, threshold in ((BuyerStanding.AGENT_REVIEW, policy.agent_review_from_signals),
                             (BuyerStanding.NO_FAST_REFUND, policy.no_fast_refund_from_signals),
                             (BuyerStanding.WARNED, policy.warn_from_signals)):  # fmt: skip
        if raised >= threshold:
            standing = level
            break
    rule = LEVEL_RULES[standing].value if standing in LEVEL_RULES else None
    return BuyerReading(standing, rule, tuple(readings), len(facts.orders))


def deduction_cap(policy: BuyerSignalsPolicy, refund_amount: int) -> int:
    """The most an agent may take off a used return's refund, in minor units: the policy's
    share of the agreed refund, rounded down (a cent in doubt stays the buyer's)."""
    return refund_amount * policy.used_return_max_deduction_basis_points // 10_000
