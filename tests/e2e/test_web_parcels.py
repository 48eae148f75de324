"""The order page shows each parcel of an order (issue 18, item 5): its carrier and number,
its status, its deadline as a countdown or that it is late, the units it holds, its own
tracking flags and the carrier's scans of its own number."""

from __future__ import annotations

import re
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
    first, second = _parcels(page)
    assert first.startswith("Parcel 1 of 2 delivered DHL PAR-1 Shipped 02 Nov 2026")
    assert "Delivered 02 Nov 2026" in first and "Holds 3 \u00d7 Cup" in first
    assert "Carrier scans (1)" in first and "delivered — Berlin, DE" in first
    assert second.startswith("Parcel 2 of 2 in transit DHL PAR-2")
    assert "Due by 12 Nov 2026, 09:00 UTC: in 10 d" in second and "Holds 1 \u00d7 Plate" in second
    assert "No scan from the carrier yet." in second and "Berlin" not in second
    market.advance(days=10, minutes=1)
    assert market.now > order.paid_at + timedelta(days=10)  # type: ignore[operator]
    _, late = _parcels(signed_in(market, market.buyer).get(f"/orders/{order.id}").text)
    assert late.startswith("Parcel 2 of 2 late DHL PAR-2")
    assert "Late: it was due 12 Nov 2026, 09:00 UTC ( 1 min ago )." in late
    # Its own tracking flag, beside it (the delivered parcel has none).
    assert "⚑ no tracking info" in late
    assert "You may dispute its items as not received." in late


def test_a_single_parcel_shows_its_tracking_and_countdown_too(market: Market) -> None:
    order = market.shipped()
    (only,) = _parcels(signed_in(market, market.seller).get(f"/orders/{order.id}").text)
    assert only.startswith("Parcel 1 in transit DHL T1 Shipped")
    assert "Due by" in only and ": in 20 d" in only and "Holds 2 \u00d7 Lamp" in only


def _parcels(page: str) -> list[str]:
    """The text of each parcel of the order page, its tags gone and its spaces folded."""
    found = re.findall(r'<li class="parcel".*?</li>\s*(?=<li class="parcel"|</ol>\s*</section>)',
                       page, re.S)  # fmt: skip
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p)).strip() for p in found]
