"""What policy suggests an agent decide on an escalated dispute, and why.

A starting point for the decision form, never a decision: the agent reads the case and may
choose otherwise. The rules follow what the marketplaces' buyer protection programmes do:
an item the carrier cannot show delivered is refunded; a received item with no evidence is
not (units missing from a delivered parcel count as received: their evidence decides);
otherwise the least the seller already conceded, or what the buyer asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from refundkit.domain.disputes.lines import MISSING_ITEMS
from refundkit.domain.disputes.model import Dispute, DisputeOutcome, DisputeReason
from refundkit.domain.orders.model import Order


@dataclass(frozen=True, slots=True)
class Suggestion:
    outcome: DisputeOutcome
    refund_amount: int
    return_goods: bool
    why: str


def suggest_decision(d: Dispute, order: Order, evidence_files: int) -> Suggestion:
    refundable = order.refundable
    full = Suggestion(DisputeOutcome.FULL_REFUND, refundable, False, "")
    # Missing items arrived in a parcel that was delivered: the delivery scan proves nothing
    # against the claim, the evidence of what the parcel held does (as for a received item).
    if d.reason is DisputeReason.NOT_RECEIVED and d.sub_reason != MISSING_ITEMS:
        if order.tracking_flags:
            names = ", ".join(f.signal.value.replace("_", " ") for f in order.tracking_flags)
            return _with(full, f"the tracking of this order is flagged ({names})")
        if order.delivered_at is not None and order.confirmed_at is None:
            return Suggestion(DisputeOutcome.NO_REFUND, 0, False,
                              "the carrier scanned the parcel as delivered")  # fmt: skip
        if order.confirmed_at is not None:
            return Suggestion(DisputeOutcome.NO_REFUND, 0, False,
                              "the buyer confirmed receipt of this order")  # fmt: skip
        return _with(full, "nothing shows the parcel was delivered")
    if evidence_files == 0:
        return Suggestion(DisputeOutcome.NO_REFUND, 0, False,
                          "the buyer brought no evidence for an item received")  # fmt: skip
    seller_offers = [o for o in d.offers if o.by_role == "seller" and o.refund_amount > 0]
    if seller_offers:
        offer = seller_offers[-1]
        if offer.refund_amount < refundable:
            return Suggestion(
                DisputeOutcome.PARTIAL_REFUND, offer.refund_amount, offer.return_goods,
                "the seller already offered this amount, the least the buyer is owed; "
                "raise it if the evidence shows more",
            )  # fmt: skip
    asked = min(d.requested_refund, refundable)
    if 0 < asked < refundable:
        return Suggestion(DisputeOutcome.PARTIAL_REFUND, asked, d.return_goods,
                          "the buyer's evidence supports the partial refund asked for")  # fmt: skip
    return Suggestion(DisputeOutcome.FULL_REFUND, refundable, d.return_goods,
                      "the buyer's evidence supports a full refund")  # fmt: skip


def _with(base: Suggestion, why: str) -> Suggestion:
    return Suggestion(base.outcome, base.refund_amount, base.return_goods, why)
