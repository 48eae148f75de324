"""Parcels (issue 18, item 2): an order ships in several parcels, each with its own
tracking, scans, flags and delivery deadline; what is not shipped by ship_by is cancelled
and refunded (units and their shipping share, to the cent) and the rest goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market import Market
from refundkit.domain.errors import InvalidTransition, ValidationError, WindowClosed
from refundkit.domain.orders.lines import holdings
from refundkit.domain.orders.model import Order, OrderLine, OrderStatus, ParcelStatus
from refundkit.domain.orders.parcels import order_late, unit_shipping_shares
from refundkit.service import orders, shipments, tracking
from refundkit.service.records import TrackingScan

# 999 + 1001 + 1000 = 3000 of goods, 500 of shipping.
LINES = (OrderLine("cup", "Cup", 3, 333), OrderLine("plate", "Plate", 1, 1001),
         OrderLine("bowl", "Bowl", 2, 500))  # fmt: skip


def _paid(market: Market) -> Order:
    return market.paid(lines=LINES, shipping_fee=500)


def _ship(market: Market, order: Order, number: str, lines: list[tuple[int, int]]) -> Order:
    """Ship (line position, units) pairs under ``number``."""
    named = [(order.lines[i].id, n) for i, n in lines]
    return market.tx(lambda uow: shipments.ship(market.deps, uow, market.seller, order.id,
                                                "DHL", number, named))  # fmt: skip


def _scan(market: Market, number: str, status: str, days: float = 0) -> None:
    at = market.now + timedelta(days=days)
    batch = [TrackingScan("DHL", number, status, "DE", "Berlin", "10115", at, None, market.now)]
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, batch))


def test_an_order_ships_in_parcels_and_is_delivered_when_every_parcel_is(market: Market) -> None:
    order = _paid(market)
    first = _ship(market, order, "P-1", [(0, 2), (1, 1)])
    assert first.status is OrderStatus.SHIPPED
    assert (first.carrier, first.tracking_number) == ("DHL", "P-1")
    assert [h.shipped for h in holdings(first)] == [2, 1, 0]
    market.advance(days=1)
    rest = market.tx(lambda uow: orders.ship_order(market.deps, uow, market.seller, order.id,
                                                   "UPS", "P-2")).order  # fmt: skip
    assert [p.units for p in rest.parcels] == [
        {order.lines[0].id: 2, order.lines[1].id: 1},
        {order.lines[0].id: 1, order.lines[2].id: 2},
    ]
    assert [h.shipped for h in holdings(rest)] == [3, 1, 2]
    assert rest.tracking_number == "P-1"
    # Each parcel has its own deadline; the order's is the latest.
    one, two = rest.parcels
    assert two.delivery_deadline - one.delivery_deadline == timedelta(days=1)
    assert rest.deadlines.delivery_deadline == two.delivery_deadline
    _scan(market, "P-1", "delivered")
    half = market.order(order.id)
    assert [p.status for p in half.parcels] == [ParcelStatus.DELIVERED, ParcelStatus.IN_TRANSIT]
    assert half.status is OrderStatus.SHIPPED
    assert [h.delivered for h in holdings(half)] == [2, 1, 0]
    batch = [TrackingScan("UPS", "P-2", "delivered", "DE", "Berlin", "10115", market.now, None,
                          market.now)]  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, batch))
    done = market.order(order.id)
    assert done.status is OrderStatus.DELIVERED
    assert done.delivered_at == market.now
    assert [h.delivered for h in holdings(done)] == [3, 1, 2]
    types = [e.type for e in market.events(order.id)]
    assert types.count("order.parcel_delivered") == 2 and types.count("order.delivered") == 1


def test_a_delivered_scan_before_its_parcels_shipment_delivers_nothing(market: Market) -> None:
    order = _paid(market)
    _ship(market, order, "P-1", [(0, 3)])
    _scan(market, "OLD", "delivered")  # an old parcel's scan, under the number used next
    market.advance(days=1)
    _ship(market, order, "OLD", [(1, 1), (2, 2)])
    _scan(market, "P-1", "delivered")
    after = market.order(order.id)
    assert [p.status for p in after.parcels] == [ParcelStatus.DELIVERED, ParcelStatus.IN_TRANSIT]
    assert after.status is OrderStatus.SHIPPED
    assert [f.signal.value for f in after.parcels[1].tracking_flags] == [
        "delivered_before_shipment"
    ]
    assert after.parcels[0].tracking_flags == []
    assert [f.signal.value for f in after.tracking_flags] == ["delivered_before_shipment"]


def test_units_not_shipped_in_time_are_cancelled_and_refunded_to_the_cent(
    market: Market,
) -> None:
    order = _paid(market)
    _ship(market, order, "P-1", [(0, 2), (1, 1)])
    assert order.deadlines.ship_by is not None
    market.advance_to(order.deadlines.ship_by + timedelta(minutes=1))
    after = market.order(order.id)
    assert after.status is OrderStatus.SHIPPED
    assert [h.cancelled for h in holdings(after)] == [1, 0, 2]
    shares = unit_shipping_shares(after)
    shipping = shares[after.lines[0].id][2] + sum(shares[after.lines[2].id])
    [refund] = market.refunds(order.id)
    assert refund.line_amounts == (333, 0, 1000, shipping)
    assert refund.amount == 333 + 1000 + shipping
    assert sum(sum(s) for s in shares.values()) == 500
    # The rest goes on: nothing more to ship; one delivered scan delivers the order.
    with pytest.raises(InvalidTransition):
        market.tx(lambda uow: orders.ship_order(market.deps, uow, market.seller, order.id,
                                                "DHL", "P-2"))  # fmt: skip
    _scan(market, "P-1", "delivered")
    assert market.order(order.id).status is OrderStatus.DELIVERED


def test_a_parcel_past_its_deadline_makes_the_order_late(market: Market) -> None:
    order = market.paid(lines=LINES, shipping_fee=500, promised_days=10)
    _ship(market, order, "P-1", [(0, 3)])
    market.advance(days=2)
    shipped = _ship(market, order, "P-2", [(1, 1), (2, 2)])
    _scan(market, "P-2", "delivered")
    assert not order_late(shipped, market.now)
    market.advance(days=8, minutes=1)
    late = market.order(order.id)
    assert order_late(late, market.now)
    assert late.status is OrderStatus.SHIPPED  # its own deadline has not passed for the order


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        ([("li_nope", 1)], ValidationError),
        ([(0, 4)], ValidationError),
        ([(0, 0)], ValidationError),
        ([(0, 1), (0, 1)], ValidationError),
        ([], ValidationError),
    ],
)
def test_a_parcel_names_units_left_to_ship(
    market: Market, lines: list[tuple[object, int]], error: type[Exception]
) -> None:
    order = _paid(market)
    named = [(i if isinstance(i, str) else order.lines[int(str(i))].id, n) for i, n in lines]
    with pytest.raises(error):
        market.tx(lambda uow: shipments.ship(market.deps, uow, market.seller, order.id, "DHL",
                                             "P-1", named))  # fmt: skip
    after = market.order(order.id)
    assert after.status is OrderStatus.PAID and after.parcels == []


def test_after_ship_by_the_rest_is_cancelled_and_nothing_more_ships(market: Market) -> None:
    order = _paid(market)
    _ship(market, order, "P-1", [(0, 1)])
    assert order.deadlines.ship_by is not None
    market.advance_to(order.deadlines.ship_by)
    with pytest.raises(InvalidTransition) as refused:
        _ship(market, order, "P-2", [(0, 1)])
    assert not isinstance(refused.value, WindowClosed)
    assert market.order(order.id).everything_shipped
