"""The disputes section of the policy (DESIGN §3 timers and limits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DISPUTE_KEYS = (
    "seller_answer_days",
    "auto_escalate_after_days",
    "agent_sla_business_days",
    "evidence_answer_days",
    "appeal_days",
    "max_description_chars",
    "max_evidence_files",
    "max_disputes_per_order",
    "return_ship_within_days",
    "return_confirm_within_days",
    "buyer_pays_return_postage_for",
    "deduct_seller_label_from_refund",
)


@dataclass(frozen=True, slots=True)
class DisputesPolicy:
    seller_answer_days: int
    auto_escalate_after_days: int
    agent_sla_business_days: int
    evidence_answer_days: int
    appeal_days: int
    max_description_chars: int
    max_evidence_files: int
    max_disputes_per_order: int
    return_ship_within_days: int
    return_confirm_within_days: int
    buyer_pays_return_postage_for: frozenset[str]
    """Dispute reasons (a change of mind) whose return postage the buyer bears; for every
    other reason the seller's fault is presumed and the seller bears it."""
    deduct_seller_label_from_refund: bool
    """When the buyer bears the postage but shipped on the seller's prepaid label, its cost
    comes off the refund."""

    def buyer_pays_postage(self, reason: str) -> bool:
        return reason in self.buyer_pays_return_postage_for

    @property
    def seller_answer(self) -> timedelta:
        return timedelta(days=self.seller_answer_days)

    @property
    def auto_escalate_after(self) -> timedelta:
        return timedelta(days=self.auto_escalate_after_days)

    @property
    def evidence_answer(self) -> timedelta:
        return timedelta(days=self.evidence_answer_days)

    @property
    def return_ship_within(self) -> timedelta:
        return timedelta(days=self.return_ship_within_days)

    @property
    def return_confirm_within(self) -> timedelta:
        return timedelta(days=self.return_confirm_within_days)

    @property
    def appeal_window(self) -> timedelta:
        return timedelta(days=self.appeal_days)


@dataclass(frozen=True, slots=True)
class FastRefundPolicy:
    """DESIGN §3: buyers of a high tier are refunded as soon as they ship the goods back.
    Limits are per tier and currency, in minor units; a tier or currency not listed has none."""

    limits: tuple[tuple[str, str, int], ...]
    """(tier, currency, limit in minor units); a tuple keeps the policy hashable."""

    def limit_for(self, tier: str | None, currency: str) -> int | None:
        for known_tier, known_currency, limit in self.limits:
            if (known_tier, known_currency) == (tier, currency):
                return limit
        return None
