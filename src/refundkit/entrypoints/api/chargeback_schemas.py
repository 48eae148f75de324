"""A chargeback as the API shows it (on its order, and in its webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from refundkit.domain.chargebacks.model import Chargeback
from refundkit.domain.money import CurrencyCatalog, Money, format_major


class ChargebackOut(BaseModel):
    id: str
    object: Literal["chargeback"] = "chargeback"
    order_id: str
    status: str
    """``inquiry``, ``inquiry_closed``, ``needs_response``, ``under_review``, ``won``,
    ``lost`` (docs/chargebacks.md)."""
    amount: str
    currency: str
    reason: str
    psp: str
    psp_reference: str
    fee: str
    opened_at: datetime
    funds_withdrawn_at: datetime | None
    closed_at: datetime | None
    counted: str
    """On a loss: what the chargeback took from the order (never refundable again)."""
    recovered_from_seller: str
    borne_by_platform: str
    suspended_dispute_id: str | None
    evidence: str | None = Field(default=None)

    @classmethod
    def of(cls, catalog: CurrencyCatalog, cb: Chargeback) -> ChargebackOut:
        def m(minor: int) -> str:
            return format_major(Money(minor, cb.currency), catalog.exponent(cb.currency))

        return cls(
            id=cb.id, order_id=cb.order_id, status=cb.status.value, amount=m(cb.amount),
            currency=cb.currency, reason=cb.reason, psp=cb.psp, psp_reference=cb.psp_reference,
            fee=m(cb.fee), opened_at=cb.opened_at, funds_withdrawn_at=cb.funds_withdrawn_at,
            closed_at=cb.closed_at, counted=m(cb.counted),
            recovered_from_seller=m(cb.recovered_from_seller),
            borne_by_platform=m(cb.borne_by_platform),
            suspended_dispute_id=cb.suspended_dispute_id, evidence=cb.evidence,
        )  # fmt: skip
