"""Bodies of the dispute endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import (
    DecidedBy,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    OfferStatus,
)
from refundkit.domain.money import CurrencyCatalog
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.schemas import Body, MoneyText, Page, money_text
from refundkit.service.disputes import DisputeDetails
from refundkit.service.records import DisputeNote

RefundDestinationIn = Literal["original", "original_payment", "store_credit"]
"""``original_payment`` is read as ``original``."""


class DisputeLineIn(Body):
    item_id: str = Field(max_length=40)
    quantity: int


class DisputeIn(Body):
    reason: DisputeReason = Field(strict=False)
    """Every reason the domain accepts (the schema lists them from the domain's enum)."""
    sub_reason: str | None = Field(default=None, max_length=64)
    item_received: bool
    requested_refund: str = MoneyText
    return_goods: bool = False
    description: str = Field(max_length=5000)
    evidence_ids: list[str] = Field(default_factory=list, max_length=20)
    lines: list[DisputeLineIn] | None = Field(default=None, max_length=100)
    """The units the dispute is about; absent: the whole order."""
    refund_destination: RefundDestinationIn = "original"
    """Where the refund goes: ``original`` (the payment method, the default) or
    ``store_credit`` (paid at once to the buyer's credit, never cashed out)."""


class AcceptIn(Body):
    refund_destination: RefundDestinationIn | None = None
    """The buyer accepting an offer may choose where the refund goes (``store_credit`` or
    ``original``); absent: as chosen when the dispute was opened. Only the buyer sends it."""


class OfferIn(Body):
    refund_amount: str = MoneyText
    return_goods: bool = False
    note: str = Field(default="", max_length=2000)


class DecisionIn(Body):
    outcome: Literal["full_refund", "partial_refund", "no_refund"]
    refund_amount: str | None = Field(default=None, max_length=32)
    return_goods: bool = False
    rationale: str = Field(max_length=5000)


class EvidenceRequestIn(Body):
    party: Literal["buyer", "seller"]
    note: str = Field(max_length=2000)


class AppealIn(Body):
    reason: str = Field(max_length=5000)
    evidence_ids: list[str] = Field(default_factory=list, max_length=20)


class AppealDecisionIn(Body):
    decision: Literal["uphold", "new_outcome"]
    outcome: Literal["full_refund", "partial_refund", "no_refund"] | None = None
    refund_amount: str | None = Field(default=None, max_length=32)
    rationale: str = Field(max_length=5000)


class ReturnShipmentIn(Body):
    carrier: str = Field(max_length=100)
    tracking_number: str = Field(max_length=100)
    postage: str | None = Field(
        default=None,
        description="What the return's postage cost, in the order's currency (\"6.90\"). The "
        "seller bears it for a fault (added to the refund), the buyer for a change of mind.",
    )
    seller_label: bool = Field(
        default=False, description="The goods went back on the seller's prepaid label."
    )


class ReturnReceivedIn(Body):
    condition: Literal["as_sent", "not_as_sent"]


class MessageIn(Body):
    body: str = Field(max_length=5000)


class OfferOut(BaseModel):
    id: str
    by: Role
    refund_amount: str
    return_goods: bool
    note: str
    status: OfferStatus
    created_at: datetime


class DisputeNextActionOut(BaseModel):
    """Who may do what to the dispute now, by when, and what happens if nobody does."""

    actor: Role
    action: DisputeAction
    due_by: datetime | None
    on_timeout: str | None


class DisputeOut(BaseModel):
    id: str
    object: Literal["dispute"] = "dispute"
    order_id: str
    buyer_id: str
    seller_id: str
    status: DisputeStatus
    reason: DisputeReason
    sub_reason: str | None
    item_received: bool
    currency: str
    requested_refund: str
    return_goods: bool
    description: str
    opened_at: datetime
    respond_by: datetime | None
    escalate_at: datetime | None
    escalated_at: datetime | None
    agent_due_by: datetime | None
    overdue: bool
    outcome: DisputeOutcome | None
    refund_amount: str | None
    decided_by: DecidedBy | None
    rule: str | None
    rationale: str | None
    resolved_at: datetime | None
    appeal_until: datetime | None
    return_ship_by: datetime | None
    return_carrier: str | None
    return_tracking_number: str | None
    return_delivered_at: datetime | None
    return_confirm_by: datetime | None
    return_postage: str
    """What the return's postage cost, as the buyer declared it."""
    return_postage_payer: Literal["buyer", "seller"] | None
    """``buyer`` (a change of mind) or ``seller`` (the seller's fault), by the policy."""
    return_seller_label: bool
    lines: list[dict[str, Any]] | None
    """``[{item_id, quantity}]``: the units the dispute is about; null: the whole order."""
    refund_destination: Literal["original", "store_credit"]
    """Where its refund goes; ``store_credit`` only when the buyer chose it."""
    compensation_credit: str
    """Store credit paid on top of the refund (a counterfeit outcome; ``0.00``: none)."""
    offers: list[OfferOut]
    next_actions: list[DisputeNextActionOut]

    @classmethod
    def of(cls, catalog: CurrencyCatalog, found: DisputeDetails) -> DisputeOut:
        d, currency = found.dispute, found.currency

        def m(minor: int) -> str:
            return money_text(catalog, minor, currency)

        return cls(
            id=d.id, order_id=d.order_id, buyer_id=d.buyer_id, seller_id=d.seller_id,
            status=d.status.value, reason=d.reason.value, sub_reason=d.sub_reason,
            item_received=d.item_received, currency=currency,
            requested_refund=m(d.requested_refund), return_goods=d.return_goods,
            description=d.description, opened_at=d.opened_at, respond_by=d.respond_by,
            escalate_at=d.escalate_at, escalated_at=d.escalated_at,
            agent_due_by=d.agent_due_by, overdue=found.overdue,
            outcome=d.outcome.value if d.outcome else None,
            refund_amount=m(d.refund_amount) if d.refund_amount is not None else None,
            decided_by=d.decided_by.value if d.decided_by else None, rule=d.rule,
            rationale=d.rationale, resolved_at=d.resolved_at, appeal_until=d.appeal_until,
            return_ship_by=d.return_ship_by, return_carrier=d.return_carrier,
            return_tracking_number=d.return_tracking_number,
            return_delivered_at=d.return_delivered_at, return_confirm_by=d.return_confirm_by,
            lines=[{"item_id": i, "quantity": n} for i, n in d.units.items()] or None,
            return_postage=m(d.return_postage), return_postage_payer=d.return_postage_payer,
            return_seller_label=d.return_seller_label,
            refund_destination=d.refund_destination,
            compensation_credit=m(d.compensation_credit),
            offers=[OfferOut(id=o.id, by=o.by_role, refund_amount=m(o.refund_amount),
                             return_goods=o.return_goods, note=o.note, status=o.status.value,
                             created_at=o.created_at) for o in d.offers],
            next_actions=[DisputeNextActionOut(actor=a.actor.value, action=a.action.value,
                                        due_by=a.due_by, on_timeout=a.on_timeout)
                          for a in found.next_actions],
        )  # fmt: skip


class MessageOut(BaseModel):
    id: str
    object: Literal["message"] = "message"
    author_id: str
    author_role: Role
    body: str
    created_at: datetime

    @classmethod
    def of(cls, note: DisputeNote) -> MessageOut:
        return cls(id=note.id, author_id=note.author_id, author_role=note.author_role,
                   body=note.body, created_at=note.created_at)  # fmt: skip


APPEALS_HELD = 1000
"""The appeals queue is paged from its oldest 1000 of a status."""


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    CHANGED = "changed"


class AppealOut(BaseModel):
    id: str
    object: Literal["appeal"] = "appeal"
    dispute_id: str
    by_role: Role
    by_user: str
    reason: str
    status: AppealStatus
    created_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> AppealOut:
        return cls(id=row["id"], dispute_id=row["dispute_id"], by_role=row["by_role"],
                   by_user=row["by_user"], reason=row["reason"], status=row["status"],
                   created_at=row["created_at"])  # fmt: skip


class DisputePage(Page[DisputeOut]):
    pass


class MessagePage(Page[MessageOut]):
    pass


class AppealPage(Page[AppealOut]):
    pass
