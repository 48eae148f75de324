"""A seller's standing: the share of their orders in the window with a defect (one per
order, whatever the number of disputes or chargebacks), against the policy's thresholds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.rules import Rule
from refundkit.domain.standing.policy import (
    Consequences,
    Defect,
    SellerStanding,
    SellerStandingPolicy,
)


@dataclass(frozen=True, slots=True)
class DisputeFact:
    order_id: str
    dispute_id: str
    outcome: str | None
    decided_by: str | None
    rule: str | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChargebackFact:
    order_id: str
    chargeback_id: str
    status: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class DefectFound:
    order_id: str
    kind: Defect
    source_id: str
    """The dispute or chargeback that made the order defective (the first one)."""
    at: datetime
    excluded: bool = False


@dataclass(frozen=True, slots=True)
class SellerReading:
    orders: int
    defects: tuple[DefectFound, ...]
    counted: int
    """Defective orders that count (not excluded)."""
    standing: SellerStanding
    rule: str | None
    """The policy key whose threshold the rate reached, or None (good)."""
    consequences: Consequences
    below_minimum: bool

    @property
    def rate_basis_points(self) -> int:
        """Floor of the rate in basis points (display; thresholds compare exactly)."""
        return self.counted * 10_000 // self.orders if self.orders else 0


_SILENCE_RULES = frozenset({Rule.SELLER_ANSWER.value, Rule.RETURN_CONFIRM_WITHIN.value})
_SIGNAL_RULE = Rule.NOT_RECEIVED_AT_ONCE.value


def dispute_defect(fact: DisputeFact) -> Defect | None:
    """What a dispute's end says of its seller. A refund the agent decided, or a tracking
    signal decided, is lost; a settlement by the seller's silence is ``closed_without_seller``;
    an agreement, a withdrawal or no refund is no defect."""
    if fact.resolved_at is None or fact.outcome in (None, "no_refund"):
        return None
    rule = (fact.rule or "").split(":", 1)[0].strip()
    if fact.decided_by == "policy" and rule in _SILENCE_RULES:
        return Defect.CLOSED_WITHOUT_SELLER
    if fact.decided_by == "agent" or (fact.decided_by == "policy" and rule == _SIGNAL_RULE):
        return Defect.DISPUTE_LOST
    return None


def find_defects(
    policy: SellerStandingPolicy, disputes: Iterable[DisputeFact],
    chargebacks: Iterable[ChargebackFact], excluded_orders: frozenset[str],
) -> tuple[DefectFound, ...]:  # fmt: skip
    """One defect per order: the earliest of the kinds the policy counts."""
    found: dict[str, DefectFound] = {}
    candidates: list[DefectFound] = []
    for d in disputes:
        kind = dispute_defect(d)
        if kind is not None and d.resolved_at is not None:
            candidates.append(DefectFound(d.order_id, kind, d.dispute_id, d.resolved_at))
    for c in chargebacks:
        if c.status != "won":
            candidates.append(DefectFound(c.order_id, Defect.CHARGEBACK, c.chargeback_id,
                                          c.opened_at))  # fmt: skip
    for defect in sorted(candidates, key=lambda x: (x.at, x.source_id)):
        if defect.kind.value in policy.defects and defect.order_id not in found:
            found[defect.order_id] = DefectFound(defect.order_id, defect.kind, defect.source_id,
                                                 defect.at,
                                                 defect.order_id in excluded_orders)  # fmt: skip
    return tuple(sorted(found.values(), key=lambda x: (x.at, x.order_id)))


def read_standing(
    policy: SellerStandingPolicy, orders: int, defects: Sequence[DefectFound]
) -> SellerReading:
    counted = sum(1 for d in defects if not d.excluded)
    below = orders < policy.minimum_orders
    standing, rule = SellerStanding.GOOD, None
    if not below and counted * 10_000 >= policy.restricted_from_basis_points * orders:
        standing, rule = SellerStanding.RESTRICTED, Rule.SELLER_RESTRICTED_FROM.value
    elif not below and counted * 10_000 >= policy.at_risk_from_basis_points * orders:
        standing, rule = SellerStanding.AT_RISK, Rule.SELLER_AT_RISK_FROM.value
    return SellerReading(orders, tuple(defects), counted, standing, rule,
                         policy.consequences(standing), below)  # fmt: skip
