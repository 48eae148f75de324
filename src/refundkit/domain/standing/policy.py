"""The ``[seller_standing]`` and ``[buyer_signals]`` tables of the policy (issue 19).

Rates are in basis points of orders (100 = 1 %), so no decimal is parsed from the file; a
threshold compares ``count * 10_000 >= basis_points * orders`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from refundkit.domain.errors import PolicyError
from refundkit.domain.policy_table import MAX_DAYS, PolicyTable


class Defect(StrEnum):
    DISPUTE_LOST = "dispute_lost"
    """A dispute resolved with a refund by an agent, or by a tracking signal."""
    CHARGEBACK = "chargeback"
    """A chargeback on the order that the seller did not win."""
    CLOSED_WITHOUT_SELLER = "closed_without_seller"
    """A dispute (or its return) settled because the seller did not answer in time."""


class SellerStanding(StrEnum):
    GOOD = "good"
    AT_RISK = "at_risk"
    RESTRICTED = "restricted"


class BuyerStanding(StrEnum):
    GOOD = "good"
    WARNED = "warned"
    NO_FAST_REFUND = "no_fast_refund"
    AGENT_REVIEW = "agent_review"


class BuyerSignal(StrEnum):
    CLAIM_RATE = "claim_rate"
    NOT_RECEIVED_AFTER_DELIVERY = "not_received_after_delivery"
    CHARGEBACK_AFTER_REFUND = "chargeback_after_refund"
    RETURNS_REPORTED_USED = "returns_reported_used"


CONSEQUENCE_KEYS = ("approve_returns_at_once", "extra_escrow_hold_days", "fast_refund_from_balance")
SELLER_KEYS = ("window_days", "minimum_orders", "defects", "at_risk_from_basis_points",
               "restricted_from_basis_points", "at_risk", "restricted")  # fmt: skip
BUYER_KEYS = (
    "window_days", "minimum_orders", "claim_rate_from_basis_points",
    "not_received_after_delivery_from", "chargeback_after_refund_from",
    "returns_reported_used_from", "warn_from_signals", "no_fast_refund_from_signals",
    "agent_review_from_signals", "used_return_report_days",
    "used_return_max_deduction_basis_points",
)  # fmt: skip
MAX_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class Consequences:
    approve_returns_at_once: bool = False
    """A new dispute asking for a return is accepted at once, as the buyer asked."""
    extra_escrow_hold_days: int = 0
    """Days added to an order's hold of the seller's money, past the dispute window."""
    fast_refund_from_balance: bool = False
    """A new dispute's Fast Refund is taken first from the seller's balance (an advance
    escrow repays when the dispute ends: ``disputes/advance.py``)."""


NO_CONSEQUENCES = Consequences()


@dataclass(frozen=True, slots=True)
class SellerStandingPolicy:
    window_days: int
    minimum_orders: int
    defects: frozenset[str]
    at_risk_from_basis_points: int
    restricted_from_basis_points: int
    at_risk: Consequences
    restricted: Consequences

    def consequences(self, standing: SellerStanding) -> Consequences:
        if standing is SellerStanding.RESTRICTED:
            return self.restricted
        if standing is SellerStanding.AT_RISK:
            return self.at_risk
        return NO_CONSEQUENCES


@dataclass(frozen=True, slots=True)
class BuyerSignalsPolicy:
    window_days: int
    minimum_orders: int
    claim_rate_from_basis_points: int
    not_received_after_delivery_from: int
    chargeback_after_refund_from: int
    returns_reported_used_from: int
    warn_from_signals: int
    no_fast_refund_from_signals: int
    agent_review_from_signals: int
    used_return_report_days: int
    used_return_max_deduction_basis_points: int

    def count_threshold(self, signal: BuyerSignal) -> int:
        return {
            BuyerSignal.NOT_RECEIVED_AFTER_DELIVERY: self.not_received_after_delivery_from,
            BuyerSignal.CHARGEBACK_AFTER_REFUND: self.chargeback_after_refund_from,
            BuyerSignal.RETURNS_REPORTED_USED: self.returns_reported_used_from,
        }[signal]


def parse_seller_standing(t: PolicyTable) -> SellerStandingPolicy:
    at_risk = t.integer("at_risk_from_basis_points", minimum=1, maximum=10_000)
    restricted = t.integer("restricted_from_basis_points", minimum=1, maximum=10_000)
    if restricted < at_risk:
        raise PolicyError(t.key("restricted_from_basis_points"),
                          f"must not be below at_risk_from_basis_points ({at_risk})")  # fmt: skip
    return SellerStandingPolicy(
        window_days=t.days("window_days"),
        minimum_orders=t.integer("minimum_orders", minimum=1, maximum=MAX_COUNT),
        defects=t.names("defects", frozenset(d.value for d in Defect), "defects"),
        at_risk_from_basis_points=at_risk,
        restricted_from_basis_points=restricted,
        at_risk=_consequences(t.table("at_risk", CONSEQUENCE_KEYS)),
        restricted=_consequences(t.table("restricted", CONSEQUENCE_KEYS)),
    )


def _consequences(t: PolicyTable) -> Consequences:
    return Consequences(
        approve_returns_at_once=t.flag("approve_returns_at_once"),
        extra_escrow_hold_days=t.integer("extra_escrow_hold_days", minimum=0, maximum=MAX_DAYS),
        fast_refund_from_balance=t.flag("fast_refund_from_balance"),
    )


def parse_buyer_signals(t: PolicyTable) -> BuyerSignalsPolicy:
    def count(name: str) -> int:
        return t.integer(name, minimum=1, maximum=MAX_COUNT)

    levels = [count(k) for k in ("warn_from_signals", "no_fast_refund_from_signals",
                                 "agent_review_from_signals")]  # fmt: skip
    if levels != sorted(levels):
        raise PolicyError(
            t.key("no_fast_refund_from_signals"),
            "levels must not decrease: warn <= no_fast_refund <= agent_review",
        )
    return BuyerSignalsPolicy(
        window_days=t.days("window_days"),
        minimum_orders=count("minimum_orders"),
        claim_rate_from_basis_points=t.integer(
            "claim_rate_from_basis_points", minimum=1, maximum=10_000
        ),
        not_received_after_delivery_from=count("not_received_after_delivery_from"),
        chargeback_after_refund_from=count("chargeback_after_refund_from"),
        returns_reported_used_from=count("returns_reported_used_from"),
        warn_from_signals=levels[0],
        no_fast_refund_from_signals=levels[1],
        agent_review_from_signals=levels[2],
        used_return_report_days=t.days("used_return_report_days"),
        used_return_max_deduction_basis_points=t.integer(
            "used_return_max_deduction_basis_points", minimum=0, maximum=10_000
        ),
    )
