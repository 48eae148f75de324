"""The protection policy: every window, cap and rate, checked strictly on load.

Defaults live in the policy TOML file, never here: a key missing from a file is an
error, and so is an unknown one, so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from refundkit.domain import credit_policy as cp
from refundkit.domain.dispute_policy import DISPUTE_KEYS, DisputesPolicy, FastRefundPolicy
from refundkit.domain.disputes.model import DisputeReason
from refundkit.domain.errors import PolicyError
from refundkit.domain.policy_table import MAX_DAYS
from refundkit.domain.policy_table import PolicyTable as _Table
from refundkit.domain.policy_table import check_int as _check_int
from refundkit.domain.standing.policy import (
    BUYER_KEYS,
    SELLER_KEYS,
    BuyerSignalsPolicy,
    SellerStandingPolicy,
    parse_buyer_signals,
    parse_seller_standing,
)
from refundkit.domain.tracking import Signal

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class PaymentPolicy:
    pay_within_hours: int
    settlement_hours: int

    @property
    def pay_within(self) -> timedelta:
        return timedelta(hours=self.pay_within_hours)

    @property
    def settlement(self) -> timedelta:
        return timedelta(hours=self.settlement_hours)


@dataclass(frozen=True, slots=True)
class CancellationPolicy:
    free_cancel_hours: int
    seller_answer_hours: int

    @property
    def free_cancel(self) -> timedelta:
        return timedelta(hours=self.free_cancel_hours)

    @property
    def seller_answer(self) -> timedelta:
        return timedelta(hours=self.seller_answer_hours)


@dataclass(frozen=True, slots=True)
class ShippingPolicy:
    handling_business_days: int
    max_delivery_days: int
    # Read-only view; left out of the hash so the policy stays hashable.
    max_delivery_days_by_country: Mapping[str, int] = field(hash=False)

    def max_delivery_days_for(self, country: str) -> int:
        return self.max_delivery_days_by_country.get(country, self.max_delivery_days)


@dataclass(frozen=True, slots=True)
class ProtectionPolicy:
    dispute_opens_after_shipment_days: int
    dispute_closes_after_delivery_days: int
    extension_cap_days: int
    extension_answer_hours: int
    release_on_confirmation: bool

    @property
    def dispute_opens_after_shipment(self) -> timedelta:
        return timedelta(days=self.dispute_opens_after_shipment_days)

    @property
    def dispute_closes_after_delivery(self) -> timedelta:
        return timedelta(days=self.dispute_closes_after_delivery_days)

    @property
    def extension_cap(self) -> timedelta:
        return timedelta(days=self.extension_cap_days)

    @property
    def extension_answer(self) -> timedelta:
        return timedelta(hours=self.extension_answer_hours)


@dataclass(frozen=True, slots=True)
class RemindersPolicy:
    # Sorted from the earliest reminder (largest offset) to the last.
    before_dispute_close_days: tuple[int, ...]

    @property
    def before_dispute_close(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(days=d) for d in self.before_dispute_close_days)


@dataclass(frozen=True, slots=True)
class CommissionPolicy:
    basis_points: int


@dataclass(frozen=True, slots=True)
class RefundsPolicy:
    card_eta_business_days_min: int
    card_eta_business_days_max: int
    seller_funds_within_days: int
    """A refund due after release is clawed back from the seller's balance; what the balance
    cannot pay, the platform pays the buyer at once and the seller owes it within these days."""

    @property
    def seller_funds_within(self) -> timedelta:
        return timedelta(days=self.seller_funds_within_days)


@dataclass(frozen=True, slots=True)
class TrackingPolicy:
    no_info_after_days: int
    stuck_in_origin_after_days: int
    resolve_not_received_at_once: frozenset[str]
    """Signals that resolve a ``not_received`` dispute at once in the buyer's favour."""

    @property
    def no_info_after(self) -> timedelta:
        return timedelta(days=self.no_info_after_days)

    @property
    def stuck_in_origin_after(self) -> timedelta:
        return timedelta(days=self.stuck_in_origin_after_days)


@dataclass(frozen=True, slots=True)
class LimitsPolicy:
    """Per-account limits against abuse; rates count over fixed one-hour windows."""

    disputes_opened_per_hour: int
    offers_per_hour: int
    refunds_per_hour: int
    platform_refunds_per_hour: int
    upload_quota_bytes: int


LIMITS_KEYS = ("disputes_opened_per_hour", "offers_per_hour", "refunds_per_hour",
               "platform_refunds_per_hour", "upload_quota_bytes")  # fmt: skip


def _limits(t: _Table) -> LimitsPolicy:
    rate = {k: t.integer(k, minimum=1, maximum=1_000_000) for k in LIMITS_KEYS[:4]}
    return LimitsPolicy(
        **rate, upload_quota_bytes=t.integer("upload_quota_bytes", minimum=1, maximum=2**50)
    )


@dataclass(frozen=True, slots=True)
class Policy:
    version: str
    payment: PaymentPolicy
    cancellation: CancellationPolicy
    shipping: ShippingPolicy
    protection: ProtectionPolicy
    reminders: RemindersPolicy
    commission: CommissionPolicy
    refunds: RefundsPolicy
    disputes: DisputesPolicy
    fast_refund: FastRefundPolicy
    tracking: TrackingPolicy
    limits: LimitsPolicy
    returnless: cp.ReturnlessPolicy
    compensation: cp.CompensationPolicy
    seller_standing: SellerStandingPolicy
    buyer_signals: BuyerSignalsPolicy

    def max_delivery_days_for(self, country: str) -> int:
        """The promised-delivery cap for a destination: its override, else the default."""
        return self.shipping.max_delivery_days_for(country)


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Build a ``Policy`` from what ``tomllib`` returns; any problem is a ``PolicyError``."""
    root = _Table(
        data,
        "",
        (
            "version",
            "payment",
            "cancellation",
            "shipping",
            "protection",
            "reminders",
            "commission",
            "refunds",
            "disputes",
            "fast_refund",
            "tracking",
            "limits",
            "returnless",
            "compensation",
            "seller_standing",
            "buyer_signals",
        ),
    )
    return Policy(
        version=root.text("version"),
        payment=_payment(root.table("payment", ("pay_within_hours", "settlement_hours"))),
        cancellation=_cancellation(
            root.table("cancellation", ("free_cancel_hours", "seller_answer_hours"))
        ),
        shipping=_shipping(
            root.table(
                "shipping",
                (
                    "handling_business_days",
                    "max_delivery_days",
                    "max_delivery_days_by_country",
                ),
            )
        ),
        protection=_protection(
            root.table(
                "protection",
                (
                    "dispute_opens_after_shipment_days",
                    "dispute_closes_after_delivery_days",
                    "extension_cap_days",
                    "extension_answer_hours",
                    "release_on_confirmation",
                ),
            )
        ),
        reminders=_reminders(root.table("reminders", ("before_dispute_close_days",))),
        commission=CommissionPolicy(
            basis_points=root.table("commission", ("basis_points",)).integer(
                "basis_points", minimum=0, maximum=10_000
            )
        ),
        refunds=_refunds(
            root.table(
                "refunds",
                (
                    "card_eta_business_days_min",
                    "card_eta_business_days_max",
                    "seller_funds_within_days",
                ),
            )
        ),
        disputes=_disputes(root.table("disputes", DISPUTE_KEYS)),
        fast_refund=_fast_refund(root.table("fast_refund", FAST_REFUND_TIERS)),
        tracking=_tracking(root.table("tracking", TRACKING_KEYS)),
        limits=_limits(root.table("limits", LIMITS_KEYS)),
        returnless=cp.parse_returnless(
            root.table("returnless", cp.RETURNLESS_KEYS), DISPUTE_REASONS
        ),
        compensation=cp.parse_compensation(root.table("compensation", cp.COMPENSATION_KEYS)),
        seller_standing=parse_seller_standing(root.table("seller_standing", SELLER_KEYS)),
        buyer_signals=parse_buyer_signals(root.table("buyer_signals", BUYER_KEYS)),
    )


TRACKING_KEYS = ("no_info_after_days", "stuck_in_origin_after_days", "resolve_not_received_at_once")
TRACKING_SIGNALS = frozenset(signal.value for signal in Signal)


def _tracking(t: _Table) -> TrackingPolicy:
    return TrackingPolicy(
        no_info_after_days=t.days("no_info_after_days"),
        stuck_in_origin_after_days=t.days("stuck_in_origin_after_days"),
        resolve_not_received_at_once=t.names(
            "resolve_not_received_at_once", TRACKING_SIGNALS, "tracking signals"
        ),
    )


def _payment(t: _Table) -> PaymentPolicy:
    # Settlement may be instant (0); an order that expires at once could never be paid.
    return PaymentPolicy(
        pay_within_hours=t.hours("pay_within_hours"),
        settlement_hours=t.hours("settlement_hours", minimum=0),
    )


def _cancellation(t: _Table) -> CancellationPolicy:
    # 0 free hours means "no free cancellation"; the seller always gets time to answer.
    return CancellationPolicy(
        free_cancel_hours=t.hours("free_cancel_hours", minimum=0),
        seller_answer_hours=t.hours("seller_answer_hours"),
    )


def _shipping(t: _Table) -> ShippingPolicy:
    default_max = t.days("max_delivery_days")
    overrides_key = t.key("max_delivery_days_by_country")
    raw = t.data["max_delivery_days_by_country"]
    if not isinstance(raw, Mapping):
        raise PolicyError(overrides_key, "must be a table of country code = days")
    overrides: dict[str, int] = {}
    for country, value in raw.items():
        key = f"{overrides_key}.{country}"
        if not isinstance(country, str) or not _COUNTRY_CODE.fullmatch(country):
            raise PolicyError(key, "country code must be two upper-case letters (ISO 3166)")
        days = _check_int(value, key, minimum=1, maximum=MAX_DAYS)
        if days < default_max:
            raise PolicyError(
                key, f"may only raise the default max_delivery_days ({default_max}), got {days}"
            )
        overrides[country] = days
    return ShippingPolicy(
        handling_business_days=t.days("handling_business_days"),
        max_delivery_days=default_max,
        max_delivery_days_by_country=MappingProxyType(overrides),
    )


def _protection(t: _Table) -> ProtectionPolicy:
    # 0 opening days = disputes open at shipment; 0 cap = no extensions at all.
    return ProtectionPolicy(
        dispute_opens_after_shipment_days=t.days("dispute_opens_after_shipment_days", minimum=0),
        dispute_closes_after_delivery_days=t.days("dispute_closes_after_delivery_days"),
        extension_cap_days=t.days("extension_cap_days", minimum=0),
        extension_answer_hours=t.hours("extension_answer_hours"),
        release_on_confirmation=t.flag("release_on_confirmation"),
    )


def _reminders(t: _Table) -> RemindersPolicy:
    key = t.key("before_dispute_close_days")
    raw = t.data["before_dispute_close_days"]
    if not isinstance(raw, list | tuple):
        raise PolicyError(key, f"must be a list of days, got {raw!r}")
    offsets = [_check_int(v, f"{key}[{i}]", minimum=1, maximum=MAX_DAYS) for i, v in enumerate(raw)]
    if len(set(offsets)) != len(offsets):
        raise PolicyError(key, f"offsets must be distinct, got {offsets}")
    return RemindersPolicy(before_dispute_close_days=tuple(sorted(offsets, reverse=True)))


def _refunds(t: _Table) -> RefundsPolicy:
    low = t.integer("card_eta_business_days_min", minimum=0, maximum=MAX_DAYS)
    high = t.integer("card_eta_business_days_max", minimum=1, maximum=MAX_DAYS)
    if low > high:
        raise PolicyError(
            t.key("card_eta_business_days_min"),
            f"must not exceed card_eta_business_days_max ({high}), got {low}",
        )
    return RefundsPolicy(
        card_eta_business_days_min=low,
        card_eta_business_days_max=high,
        seller_funds_within_days=t.integer("seller_funds_within_days", minimum=1, maximum=MAX_DAYS),
    )


def _disputes(t: _Table) -> DisputesPolicy:
    return DisputesPolicy(
        seller_answer_days=t.days("seller_answer_days"),
        auto_escalate_after_days=t.days("auto_escalate_after_days"),
        agent_sla_business_days=t.days("agent_sla_business_days"),
        evidence_answer_days=t.days("evidence_answer_days"),
        appeal_days=t.days("appeal_days"),
        max_description_chars=t.integer("max_description_chars", minimum=1, maximum=100_000),
        max_evidence_files=t.integer("max_evidence_files", minimum=1, maximum=1000),
        max_disputes_per_order=t.integer("max_disputes_per_order", minimum=1, maximum=10),
        return_ship_within_days=t.days("return_ship_within_days"),
        return_confirm_within_days=t.days("return_confirm_within_days"),
        buyer_pays_return_postage_for=t.names(
            "buyer_pays_return_postage_for", DISPUTE_REASONS, "dispute reasons"
        ),
        deduct_seller_label_from_refund=t.flag("deduct_seller_label_from_refund"),
    )


DISPUTE_REASONS = frozenset(reason.value for reason in DisputeReason)


FAST_REFUND_TIERS = ("gold", "platinum", "diamond")


def _fast_refund(t: _Table) -> FastRefundPolicy:
    limits: list[tuple[str, str, int]] = []
    for tier in FAST_REFUND_TIERS:
        raw = t.data[tier]
        if not isinstance(raw, Mapping):
            raise PolicyError(t.key(tier), "must be a table of currency = limit in minor units")
        for currency, value in sorted(raw.items()):
            key = f"{t.key(tier)}.{currency}"
            if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
                raise PolicyError(key, "currency codes are three capital letters")
            limits.append((tier, currency, _check_int(value, key, minimum=0, maximum=10**12)))
    return FastRefundPolicy(limits=tuple(limits))
