"""The dispute aggregate and its offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from refundkit.domain.money import Money


class DisputeStatus(StrEnum):
    AWAITING_SELLER = "awaiting_seller"
    NEGOTIATING = "negotiating"
    ESCALATED = "escalated"
    AWAITING_RETURN = "awaiting_return"
    RETURN_IN_TRANSIT = "return_in_transit"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {DisputeStatus.AWAITING_SELLER, DisputeStatus.NEGOTIATING, DisputeStatus.ESCALATED,
     DisputeStatus.AWAITING_RETURN, DisputeStatus.RETURN_IN_TRANSIT}
)  # fmt: skip


class DisputeReason(StrEnum):
    NOT_RECEIVED = "not_received"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"
    NOT_WORKING = "not_working"
    COUNTERFEIT = "counterfeit"
    CHANGED_MIND = "changed_mind"
    """No fault of the seller: the goods must go back, at the buyer's cost (DESIGN §2)."""


SUB_REASONS: dict[DisputeReason, frozenset[str]] = {
    DisputeReason.NOT_RECEIVED: frozenset(
        {"no_tracking_info", "tracking_stuck", "returned_to_sender", "wrong_address",
         "held_by_customs", "tracking_shared", "missing_items"}
    ),
    DisputeReason.NOT_AS_DESCRIBED: frozenset(
        {"wrong_item", "wrong_size_or_colour", "poor_quality", "missing_parts"}
    ),
    DisputeReason.DAMAGED: frozenset(),
    DisputeReason.NOT_WORKING: frozenset(),
    DisputeReason.COUNTERFEIT: frozenset(),
    DisputeReason.CHANGED_MIND: frozenset({"no_longer_needed", "ordered_by_mistake"}),
}  # fmt: skip


class DisputeOutcome(StrEnum):
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    NO_REFUND = "no_refund"


class DecidedBy(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    AGENT = "agent"
    POLICY = "policy"


class OfferStatus(StrEnum):
    OPEN = "open"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"
    LAPSED = "lapsed"


@dataclass
class Offer:
    id: str
    by_role: str
    by_user: str
    refund_amount: int
    return_goods: bool
    note: str
    status: OfferStatus
    created_at: datetime
    currency: str = ""
    """Not stored with the offer: its order's currency (see ``Dispute.currency``)."""

    @property
    def refund_money(self) -> Money:
        return Money(self.refund_amount, self.currency)


@dataclass
class Dispute:
    id: str
    order_id: str
    buyer_id: str
    seller_id: str
    status: DisputeStatus
    reason: DisputeReason
    sub_reason: str | None
    item_received: bool
    requested_refund: int
    return_goods: bool
    description: str
    opened_at: datetime
    respond_by: datetime | None = None
    escalate_at: datetime | None = None
    escalated_at: datetime | None = None
    agent_due_by: datetime | None = None
    outcome: DisputeOutcome | None = None
    refund_amount: int | None = None
    decided_by: DecidedBy | None = None
    rule: str | None = None
    rationale: str | None = None
    resolved_at: datetime | None = None
    appeal_until: datetime | None = None
    return_ship_by: datetime | None = None
    return_carrier: str | None = None
    return_tracking_number: str | None = None
    return_shipped_at: datetime | None = None
    return_delivered_at: datetime | None = None
    return_confirm_by: datetime | None = None
    fast_refunded_at: datetime | None = None
    return_postage: int = 0
    """What the return's postage cost, as the buyer declared it when shipping."""
    return_postage_payer: str | None = None
    """``buyer`` or ``seller``: who bears the postage, by the policy and the reason."""
    return_seller_label: bool = False
    """The buyer shipped on the seller's prepaid label."""
    offers: list[Offer] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)
    """Item id -> the units the dispute is about; empty: the whole order."""
    refund_destination: str = "original"
    """``store_credit`` only when the buyer chose it (on opening, or accepting an offer)."""
    compensation_credit: int = 0
    """Store credit paid on top of the refund (a counterfeit outcome), once."""
    fast_refund_from_balance: bool = False
    """Fixed when it opened by the seller's standing: a Fast Refund is taken from the
    seller's balance first (``disputes/advance.py``)."""
    advance: int = 0
    """What the seller's balance advanced of its Fast Refund and escrow still owes back
    (repaid when the dispute ends, void if the provider refuses the refund)."""
    appealed: bool = False
    """An appeal was made: a dispute is appealed once, by either party (docs/decisions.md).
    Read from the appeals kept beside the dispute; ``appeal`` sets it."""
    currency: str = ""
    """Not stored with the dispute: its order's currency, read with it from the order's row
    (and set when it is opened); the amounts above are minor units of it."""
    open_chargeback_id: str | None = None
    """Not stored with the dispute: its order's ``open_chargeback_id``, read with the dispute
    from the order's row. While set, the dispute is suspended: the table's rows a person
    takes refuse with ``chargeback_open`` and ``next_actions`` lists none of them."""
    version: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def money(self, minor: int) -> Money:
        """``minor`` units of the dispute's (its order's) currency."""
        return Money(minor, self.currency)

    @property
    def requested_money(self) -> Money:
        return self.money(self.requested_refund)

    @property
    def refund_money(self) -> Money | None:
        """The refund the terms fixed, None before they are."""
        return None if self.refund_amount is None else self.money(self.refund_amount)

    @property
    def return_postage_money(self) -> Money:
        return self.money(self.return_postage)

    def latest_offer(self) -> Offer | None:
        live = [o for o in self.offers if o.status is OfferStatus.OPEN]
        return live[-1] if live else None
