from market import Market
from refundkit.domain.orders.model import OrderStatus


def test_an_order_completes_at_its_delivery_deadline(market: Market) -> None:
    order = market.shipped()
    market.advance_to(order.deadlines.delivery_deadline)
    assert market.order(order.id).status is OrderStatus.COMPLETED
