"""The order page shows each parcel of an order shipped in several (issue 18, item 5): its
carrier and number, its status, its deadline or that it is late, and the units it holds."""

from __future__ import annotations

from datetime import timedelta

from web_client import signed_in

from market import Market
from refundkit.domain.orders.model import OrderLine
from refundkit.service import shipments, tracking
from refundkit.service.records import TrackingScan


def test_the_buyer_sees_each_parcel_with_its_tracking_and_countdown(market: Market) -> None:
    lines = (OrderLine("cup", "Cup", 3, 333), OrderLine("plate", "Plate", 1, 1001))
    order = market.paid(lines=lines, promised_days=10)
    cup, plate = (line.id for line in order.lines)
    for number, units in (("PAR-1", [(cup, 3)]), ("PAR-2", [(plate, 1)])):
        market.tx(lambda uow, number=number, units=units: shipments.ship(
            market.deps, uow, market.seller, order.id, "DHL", number, units))  # fmt: skip
    scan = TrackingScan("DHL", "PAR-1", "delivered", "DE", "Berlin", "10115", market.now, None,
                        market.now)  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, [scan]))
    page = signed_in(market, market.buyer).get(f"/orders/{order.id}").text
    assert "Parcel 1: DHL <code>PAR-1</code> \u2014 delivered 02 Nov 2026" in page
    assert "Parcel 2: DHL <code>PAR-2</code> \u2014 in transit, due in 10 d" in page
    assert "3 \u00d7 Cup" in page and "1 \u00d7 Plate" in page
    market.advance(days=10, minutes=1)
    assert market.now > order.paid_at + timedelta(days=10)  # type: ignore[operator]
    late = signed_in(market, market.buyer).get(f"/orders/{order.id}").text
    assert '<strong class="warning">late</strong>' in late
