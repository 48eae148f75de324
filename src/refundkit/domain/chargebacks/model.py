"""A chargeback and its states, as the payment provider reports them.

Stripe's dispute statuses map onto ours: ``warning_needs_response`` and
``warning_under_review`` are an ``inquiry`` (the bank asks; no money moved; the order stays
refundable), ``warning_closed`` an ``inquiry_closed``; ``needs_response`` and
``under_review`` are an open chargeback (the money and a fee withdrawn); ``won`` and
``lost`` end it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ChargebackStatus(StrEnum):
    INQUIRY = "inquiry"
    INQUIRY_CLOSED = "inquiry_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"


OPEN = frozenset({ChargebackStatus.NEEDS_RESPONSE, ChargebackStatus.UNDER_REVIEW})
"""The funds are withdrawn and the bank is deciding: nothing is refunded or released."""
ENDED = frozenset({ChargebackStatus.INQUIRY_CLOSED, ChargebackStatus.WON, ChargebackStatus.LOST})


class ChargebackAction(StrEnum):
    ESCALATE = "escalate"
    """The inquiry became a chargeback: the bank withdraws the money."""
    RESPOND = "respond"
    """Our evidence went to the bank: it reviews."""
    CLOSE_INQUIRY = "close_inquiry"
    WIN = "win"
    LOSE = "lose"


PROVIDER_STATUSES: dict[str, ChargebackStatus] = {
    "warning_needs_response": ChargebackStatus.INQUIRY,
    "warning_under_review": ChargebackStatus.INQUIRY,
    "warning_closed": ChargebackStatus.INQUIRY_CLOSED,
    "needs_response": ChargebackStatus.NEEDS_RESPONSE,
    "under_review": ChargebackStatus.UNDER_REVIEW,
    "won": ChargebackStatus.WON,
    "lost": ChargebackStatus.LOST,
    "prevented": ChargebackStatus.WON,
}


@dataclass
class Chargeback:
    id: str
    order_id: str
    psp: str
    psp_reference: str
    """The provider's id of it (Stripe's ``du_...``); the sandbox makes one up."""
    status: ChargebackStatus
    amount: int
    """What the bank reverses (usually the whole payment)."""
    currency: str
    reason: str
    opened_at: datetime
    fee: int = 0
    funds_withdrawn_at: datetime | None = None
    closed_at: datetime | None = None
    counted: int = 0
    """On a loss: what it took from the order's refundable amount (at most what refunds had
    not already given back); the rest of ``amount`` the platform bears."""
    recovered_from_seller: int = 0
    borne_by_platform: int = 0
    suspended_dispute_id: str | None = None
    """The platform dispute that was open when the chargeback opened (closed when it ends)."""
    evidence: str | None = None
    """What refundkit offered the bank (the refunds already made), as sent."""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN
