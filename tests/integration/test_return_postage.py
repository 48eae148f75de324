"""Who pays a return's postage (DESIGN §2, policy `disputes.buyer_pays_return_postage_for`):
the seller for a fault, added to the refund when the buyer paid it; the buyer for a change of
mind, taken off the refund when the buyer used the seller's prepaid label."""

from __future__ import annotations

import pytest

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import ValidationError
from refundkit.domain.orders.model import Order
from refundkit.service import disputes

# The default order: 30.00 USD in all (2 x 12.50 + 5.00 shipping).
POSTAGE = 690


def _returned(market: Market, reason: str, agreed: int, *, seller_label: bool) -> Order:
    order = market.shipped()
    market.advance(days=5)
    sub = "wrong_item" if reason == "not_as_described" else None
    form = DisputeForm(reason, sub, True, agreed, True, "Sending it back.")
    evidence = [] if reason == "changed_mind" else [evidence_file(market, market.buyer)]
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, evidence)).dispute  # fmt: skip
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))
    market.tx(
        lambda uow: disputes.ship_return(
            market.deps,
            uow,
            market.buyer,
            d.id,
            "UPS",
            "R1",
            postage=POSTAGE,
            seller_label=seller_label,
        )
    )
    market.tx(lambda uow: disputes.confirm_return(market.deps, uow, market.seller, d.id,
                                                  "as_sent"))  # fmt: skip
    return order


def _refunded(market: Market, order: Order) -> int:
    return sum(r.amount for r in market.refunds(order.id))


def test_for_a_fault_the_seller_pays_the_postage_the_buyer_paid(market: Market) -> None:
    order = _returned(market, "not_as_described", 2000, seller_label=False)
    assert _refunded(market, order) == 2000 + POSTAGE


def test_the_seller_pays_back_postage_only_up_to_what_is_refundable(market: Market) -> None:
    order = _returned(market, "not_as_described", 2800, seller_label=False)
    assert _refunded(market, order) == 3000  # never past what was paid


def test_on_the_sellers_own_label_nothing_is_added(market: Market) -> None:
    order = _returned(market, "damaged", 2000, seller_label=True)
    assert _refunded(market, order) == 2000


def test_a_change_of_mind_on_the_sellers_label_pays_for_the_label(market: Market) -> None:
    order = _returned(market, "changed_mind", 2500, seller_label=True)
    assert _refunded(market, order) == 2500 - POSTAGE


def test_a_change_of_mind_the_buyer_posted_is_refunded_as_agreed(market: Market) -> None:
    order = _returned(market, "changed_mind", 2500, seller_label=False)
    assert _refunded(market, order) == 2500


def test_a_change_of_mind_needs_the_goods_sent_back(market: Market) -> None:
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("changed_mind", None, True, 1000, False, "Do not want it.")
    with pytest.raises(ValidationError, match="sent back"):
        market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, []))  # fmt: skip
    assert market.order(order.id).open_dispute_id is None
