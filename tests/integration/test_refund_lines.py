"""Partial refunds split over the order's lines by largest remainder (DESIGN §4): the parts
add up to the cent, and no line ever gives back more than it cost."""

from __future__ import annotations

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import OrderLine
from refundkit.service import disputes


def _partial_refund(market: Market, order_id: str, amount: int) -> None:
    form = DisputeForm("damaged", None, True, amount, False, "Cracked.")
    ids = [evidence_file(market, market.buyer)]
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order_id,
                                                    form, ids)).dispute  # fmt: skip
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))


def test_a_partial_refund_is_split_over_the_lines_to_the_cent(market: Market) -> None:
    lines = (OrderLine("a", "Cup", 3, 333), OrderLine("b", "Plate", 1, 1001))
    order = market.shipped(lines=lines, shipping_fee=500)  # 999 + 1001 + 500 = 2500
    market.advance(days=5)
    _partial_refund(market, order.id, 1000)
    [refund] = market.refunds(order.id)
    assert sum(refund.line_amounts) == 1000
    assert list(refund.line_amounts) == [400, 400, 200]
    after = market.order(order.id)
    assert after.line_refunds == [400, 400, 200]
    assert all(room >= 0 for room in after.refund_room_by_line)


def test_refunds_of_an_order_never_take_more_from_a_line_than_it_cost(market: Market) -> None:
    lines = (OrderLine("a", "Cup", 1, 1), OrderLine("b", "Plate", 1, 2998))
    order = market.shipped(lines=lines, shipping_fee=1)
    market.advance(days=5)
    _partial_refund(market, order.id, 2999)
    after = market.order(order.id)
    assert after.line_refunds[0] <= 1
    assert after.line_refunds[2] <= 1
    assert sum(after.line_refunds) == 2999
