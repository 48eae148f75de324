"""Fast Refund (DESIGN §3): a Platinum buyer (orders up to 25 USD) or a Diamond buyer (up
to 100 USD) is refunded as soon as the return's tracking is given, and only once."""

from __future__ import annotations

import pytest

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DecidedBy, DisputeStatus
from refundkit.domain.orders.model import OrderLine, OrderStatus
from refundkit.domain.roles import Role
from refundkit.service import disputes
from refundkit.service.records import Tier


def _returning(market: Market, tier: Tier, price: int) -> tuple[str, str, object]:
    buyer = market.user(Role.BUYER, "DE", tier)
    order = market.shipped(buyer=buyer, lines=(OrderLine("s", "Mug", 1, price),), shipping_fee=0)
    market.advance(days=5)
    form = DisputeForm("not_as_described", "wrong_item", False, price, True, "Wrong mug.")
    from market import evidence_file

    ids = [evidence_file(market, buyer)]
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, buyer, order.id, form,
                                                    ids)).dispute  # fmt: skip
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))
    market.tx(lambda uow: disputes.ship_return(market.deps, uow, buyer, d.id, "UPS", "R9"))
    return order.id, d.id, buyer


@pytest.mark.parametrize(("tier", "price"), [(Tier.PLATINUM, 2500), (Tier.DIAMOND, 10000)])
def test_a_high_tier_buyer_is_refunded_when_the_return_ships(
    market: Market, tier: Tier, price: int
) -> None:
    order_id, d, _ = _returning(market, tier, price)
    assert [r.amount for r in market.refunds(order_id)] == [price]
    done = market.tx(lambda uow: disputes.confirm_return(market.deps, uow, market.seller, d,
                                                         "as_sent")).dispute  # fmt: skip
    assert (done.status, done.decided_by) == (DisputeStatus.RESOLVED, DecidedBy.SELLER)
    assert [r.amount for r in market.refunds(order_id)] == [price]  # not refunded twice
    assert market.order(order_id).status is OrderStatus.REFUNDED


@pytest.mark.parametrize(
    ("tier", "price"),
    # Above the policy's returnless band (10.00 USD), so the goods do go back.
    [(Tier.PLATINUM, 2501), (Tier.DIAMOND, 10001), (Tier.GOLD, 1001), (Tier.STANDARD, 1001)],
)
def test_others_wait_for_the_goods(market: Market, tier: Tier, price: int) -> None:
    order_id, d, _ = _returning(market, tier, price)
    assert market.refunds(order_id) == []
    market.tx(lambda uow: disputes.confirm_return(market.deps, uow, market.seller, d, "as_sent"))
    assert [r.amount for r in market.refunds(order_id)] == [price]
