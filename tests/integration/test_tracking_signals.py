"""Tracking signals (DESIGN §3, issue 6): each raised by a scripted scan history and not by a
normal one; a reused tracking number resolves a not_received dispute at once."""

from __future__ import annotations

from datetime import timedelta

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DecidedBy, DisputeStatus
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.roles import Role
from refundkit.service import disputes, orders, tracking
from refundkit.service.records import TrackingScan

# The seller is in CN; the default order goes to Berlin 10115, DE.


def ship(market: Market, number: str, buyer=None) -> Order:  # type: ignore[no-untyped-def]
    order = market.paid(**({"buyer": buyer} if buyer else {}))
    market.tx(lambda uow: orders.ship_order(market.deps, uow, market.seller, order.id, "DHL",
                                            number))  # fmt: skip
    return market.order(order.id)


def scans(market: Market, number: str, *history: tuple[str, str, str, str | None, float]) -> None:
    """(status, country, city, postcode, days after now) for each scan."""
    batch = [TrackingScan("DHL", number, status, country, city, postcode,
                          market.now + timedelta(days=days), None, market.now)
             for status, country, city, postcode, days in history]  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, batch))


def flags(market: Market, order: Order) -> set[str]:
    return {f.signal.value for f in market.order(order.id).tracking_flags}


NORMAL = (
    ("info_received", "CN", "Shenzhen", None, 0),
    ("in_transit", "CN", "Shanghai", None, 1),
    ("in_transit", "DE", "Leipzig", None, 4),
    ("delivered", "DE", "Berlin", "10115", 6),
)


def test_a_normal_journey_raises_nothing(market: Market) -> None:
    order = ship(market, "N1")
    scans(market, "N1", *NORMAL)
    market.advance(days=11)
    assert flags(market, order) == set()


def test_a_number_on_another_buyers_order_flags_both(market: Market) -> None:
    first = ship(market, "SAME")
    other = market.user(Role.BUYER, "DE")
    second = ship(market, "SAME", buyer=other)
    assert flags(market, first) == flags(market, second) == {"shared_tracking"}
    [flag] = market.order(second.id).tracking_flags
    assert "another order of another buyer" in flag.evidence
    assert first.id not in flag.evidence  # never another buyer's order id
    assert "order.flagged" in [e.type for e in market.events(second.id)]


def test_the_same_buyers_two_orders_in_one_parcel_are_not_flagged(market: Market) -> None:
    first, second = ship(market, "ONE"), ship(market, "ONE")
    assert flags(market, first) == flags(market, second) == set()


def test_no_scan_7_days_after_shipment(market: Market) -> None:
    quiet, moving = ship(market, "Q1"), ship(market, "Q2")
    scans(market, "Q2", NORMAL[0])
    market.advance(days=6, hours=23)
    assert flags(market, quiet) == set()
    market.advance(hours=1)
    assert flags(market, quiet) == {"no_tracking_info"}
    assert flags(market, moving) == set()


def test_every_scan_still_in_the_origin_after_10_days(market: Market) -> None:
    stuck, moving = ship(market, "S1"), ship(market, "S2")
    scans(market, "S1", *NORMAL[:2])
    scans(market, "S2", *NORMAL[:3])
    market.advance(days=10)
    assert flags(market, stuck) == {"stuck_in_origin"}
    assert flags(market, moving) == set()


def test_a_scan_in_a_third_country(market: Market) -> None:
    order = ship(market, "W1")
    scans(market, "W1", NORMAL[0], ("in_transit", "BR", "Sao Paulo", None, 3))
    assert flags(market, order) == {"wrong_direction"}


def test_back_in_the_origin_after_reaching_the_destination(market: Market) -> None:
    order = ship(market, "W2")
    scans(market, "W2", *NORMAL[:3], ("in_transit", "CN", "Shanghai", None, 5))
    assert flags(market, order) == {"wrong_direction"}


def test_delivered_to_another_postcode(market: Market) -> None:
    elsewhere, right = ship(market, "D1"), ship(market, "D2")
    scans(market, "D1", *NORMAL[:3], ("delivered", "DE", "Munich", "80331", 6))
    scans(market, "D2", *NORMAL)
    assert flags(market, elsewhere) == {"delivered_elsewhere"}
    assert flags(market, right) == set()


def test_returned_to_sender(market: Market) -> None:
    order = ship(market, "R1")
    scans(market, "R1", NORMAL[0], ("returned_to_sender", "CN", "Shenzhen", None, 8))
    assert flags(market, order) == {"returned_to_sender"}


def test_a_shared_number_resolves_a_not_received_dispute_at_once(market: Market) -> None:
    ship(market, "DUP", buyer=market.user(Role.BUYER, "DE"))
    order = ship(market, "DUP")
    market.advance(days=5)
    form = DisputeForm("not_received", "tracking_shared", False, 3000, False, "Never came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute  # fmt: skip
    assert (d.status, d.decided_by) == (DisputeStatus.RESOLVED, DecidedBy.POLICY)
    assert d.rule == "tracking.resolve_not_received_at_once: shared_tracking"
    assert [r.amount for r in market.refunds(order.id)] == [3000]


def test_a_flag_the_policy_does_not_name_leaves_the_dispute_to_the_seller(market: Market) -> None:
    order = ship(market, "RTS")
    scans(market, "RTS", ("returned_to_sender", "CN", "Shenzhen", None, 1))
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 1000, False, "Never came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute  # fmt: skip
    assert d.status is DisputeStatus.AWAITING_SELLER


BACK_DATED = ("delivered", "DE", "Berlin", "10115", -6 * 365)  # years before the shipment


def test_a_delivered_scan_dated_before_the_shipment_is_no_delivery(market: Market) -> None:
    """Issue 20, item 1: a seller who ships under an old, already delivered tracking number must
    not end the buyer's protection and be paid at once."""
    order = ship(market, "OLD1")
    scans(market, "OLD1", BACK_DATED)
    after = market.order(order.id)
    assert after.status is OrderStatus.SHIPPED
    assert after.delivered_at is None
    assert after.deadlines.dispute_closes_at == after.deadlines.delivery_deadline
    assert flags(market, order) == {"delivered_before_shipment"}
    market.advance(days=1)
    assert market.order(order.id).status is OrderStatus.SHIPPED
    assert "order.released" not in [e.type for e in market.events(order.id)]


def test_a_delivered_scan_after_the_shipment_still_counts(market: Market) -> None:
    order = ship(market, "NEW1")
    scans(market, "NEW1", ("delivered", "DE", "Berlin", "10115", 0))
    after = market.order(order.id)
    assert after.status is OrderStatus.DELIVERED
    assert after.delivered_at == market.now
    assert flags(market, order) == set()


def test_a_back_dated_delivery_resolves_a_not_received_dispute_at_once(market: Market) -> None:
    order = ship(market, "OLD2")
    scans(market, "OLD2", BACK_DATED)
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 3000, False, "Never came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute  # fmt: skip
    assert (d.status, d.decided_by) == (DisputeStatus.RESOLVED, DecidedBy.POLICY)
    assert d.rule == "tracking.resolve_not_received_at_once: delivered_before_shipment"
    assert [r.amount for r in market.refunds(order.id)] == [3000]
