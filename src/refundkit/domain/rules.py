"""The policy rules an automatic outcome cites. Each name is a key of the policy
(``section.key`` of ``policy/default.toml``, listed in docs/policy.md), so a reader goes
from an outcome's ``rule`` straight to the number that decided it; a unit test fails when a
name here is no policy key.

Every event or decision the system makes on its own (a deadline passed, a tracking signal,
a tier) carries ``rule`` = one of these (or a ``FixedRule``), never a free string.
"""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    PAY_WITHIN = "payment.pay_within_hours"
    CANCELLATION_SELLER_ANSWER = "cancellation.seller_answer_hours"
    HANDLING_TIME = "shipping.handling_business_days"
    MAX_DELIVERY_DAYS = "shipping.max_delivery_days"
    """The protection period (the order's promised delivery days, at most this) ended."""
    RELEASE_ON_CONFIRMATION = "protection.release_on_confirmation"
    DISPUTE_WINDOW = "protection.dispute_closes_after_delivery_days"
    EXTENSION_ANSWER = "protection.extension_answer_hours"
    REMINDER_BEFORE_CLOSE = "reminders.before_dispute_close_days"
    SELLER_ANSWER = "disputes.seller_answer_days"
    AUTO_ESCALATE = "disputes.auto_escalate_after_days"
    AGENT_SLA = "disputes.agent_sla_business_days"
    RETURN_SHIP_WITHIN = "disputes.return_ship_within_days"
    RETURN_CONFIRM_WITHIN = "disputes.return_confirm_within_days"
    NOT_RECEIVED_AT_ONCE = "tracking.resolve_not_received_at_once"
    FAST_REFUND = "fast_refund"
    """A table of tiers: cite it with ``fast_refund_rule(tier)``."""
    RETURNLESS = "returnless.rules"
    """A list of named rules: cite one with ``returnless_rule(name)``."""
    COUNTERFEIT_COMPENSATION = "compensation.counterfeit_multiple"
    LATE_DELIVERY_CREDIT = "compensation.late_delivery_credit"
    SELLER_AT_RISK_FROM = "seller_standing.at_risk_from_basis_points"
    SELLER_RESTRICTED_FROM = "seller_standing.restricted_from_basis_points"
    SELLER_AT_RISK = "seller_standing.at_risk"
    """A table of consequences: cite one with ``consequence_rule(standing, name)``."""
    SELLER_RESTRICTED = "seller_standing.restricted"
    BUYER_CLAIM_RATE = "buyer_signals.claim_rate_from_basis_points"
    BUYER_NOT_RECEIVED_AFTER_DELIVERY = "buyer_signals.not_received_after_delivery_from"
    BUYER_CHARGEBACK_AFTER_REFUND = "buyer_signals.chargeback_after_refund_from"
    BUYER_RETURNS_REPORTED_USED = "buyer_signals.returns_reported_used_from"
    BUYER_WARN = "buyer_signals.warn_from_signals"
    BUYER_NO_FAST_REFUND = "buyer_signals.no_fast_refund_from_signals"
    BUYER_AGENT_REVIEW = "buyer_signals.agent_review_from_signals"
    USED_RETURN_REPORT_DAYS = "buyer_signals.used_return_report_days"
    USED_RETURN_DEDUCTION = "buyer_signals.used_return_max_deduction_basis_points"


class FixedRule(StrEnum):
    """Rules of the product that no policy number tunes; an outcome cites them as it cites
    a ``Rule``, and a unit test keeps them apart from the policy's keys."""

    CHARGEBACK_DECIDED = "chargeback_decided"
    """The buyer's bank decided the same claim: the dispute closes with no refund."""


def fast_refund_rule(tier: str) -> str:
    """The Fast Refund tier that paid early, e.g. ``fast_refund.platinum``."""
    return f"{Rule.FAST_REFUND}.{tier}"


def consequence_rule(standing: str, consequence: str) -> str:
    """A seller standing's consequence, e.g. ``seller_standing.restricted:
    approve_returns_at_once``."""
    return f"seller_standing.{standing}: {consequence}"


def not_received_rule(signal: str) -> str:
    """The tracking signal that decided a not_received dispute, as the rule names it."""
    return f"{Rule.NOT_RECEIVED_AT_ONCE}: {signal}"


def returnless_rule(name: str) -> str:
    """The returnless rule that waived a return, e.g. ``returnless.rules: low_value``."""
    return f"{Rule.RETURNLESS}: {name}"


def cited_key(rule: str) -> str:
    """The policy key a cited rule names (``fast_refund.gold`` and
    ``tracking.resolve_not_received_at_once: shared_tracking`` included)."""
    return rule.split(":", 1)[0].strip()
