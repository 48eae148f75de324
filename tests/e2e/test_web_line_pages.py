"""The pages over items and parcels (issue 18, item 5), over HTTP: the buyer's dispute form
picks items and units within what is left to dispute, the seller ships parcels from the
order page, the dispute page shows its lines with what they may still refund. Bad input is
a readable message on the page and changes nothing."""

from __future__ import annotations

import re

import pytest
from api_client import snapshot
from test_route_reads import _TOUCHES, MARK, assert_only_the_use_case_reads, recorded
from web_client import csrf, signed_in

from market import Market
from refundkit.domain.orders.model import Order, OrderLine
from refundkit.service import disputes, shipments, tracking, transactions
from refundkit.service.records import TrackingScan

# Shipping 5.00 over 9.99, 10.01 and 10.00 by largest remainder: 1.66, 1.67, 1.67.
LINES = (OrderLine("cup", "Cup", 3, 333), OrderLine("plate", "Plate", 1, 1001),
         OrderLine("bowl", "Bowl", 2, 500))  # fmt: skip


def _two_parcels(market: Market) -> Order:
    """Cups and the plate in a delivered parcel, the bowls in one still on its way."""
    order = market.paid(lines=LINES, shipping_fee=500)
    cup, plate, bowl = (line.id for line in order.lines)
    for number, units in (("D-1", [(cup, 3), (plate, 1)]), ("D-2", [(bowl, 2)])):
        market.tx(lambda uow, number=number, units=units: shipments.ship(
            market.deps, uow, market.seller, order.id, "DHL", number, units))  # fmt: skip
    scan = TrackingScan("DHL", "D-1", "delivered", "DE", "Berlin", "10115", market.now, None,
                        market.now)  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, [scan]))
    market.advance(days=6)
    return market.order(order.id)


def _form(reason: str = "not_received", **extra: str) -> dict[str, str]:
    return {"reason": reason, "item_received": "no", "requested_refund": "11.67",
            "return_goods": "no", "description": "The bowls never came.", **extra}  # fmt: skip


def _disputes(market: Market, order_id: str) -> list[object]:
    return transactions.run(market.deps, lambda uow: uow.disputes.for_order(order_id))


def test_the_dispute_form_lists_each_item_with_the_units_left_to_dispute(market: Market) -> None:
    order = _two_parcels(market)
    cup, plate, bowl = (line.id for line in order.lines)
    page = signed_in(market, market.buyer).get(f"/orders/{order.id}/dispute/new").text
    for item_id, title, most in ((cup, "Cup", 3), (plate, "Plate", 1), (bowl, "Bowl", 2)):
        assert f'<label for="qty-{item_id}">{title}</label>' in page
        options = re.search(rf'<select id="qty-{item_id}".*?</select>', page, re.S)
        assert options is not None
        assert re.findall(r'<option value="(\d*)"', options.group(0)) == [
            "", *(str(n) for n in range(1, most + 1))]  # fmt: skip
    assert "Leave every item at “none” for the whole order." in page
    # A parcel arrived, so "missing items" is offered (with a hint) under not received.
    assert "missing items" in page and 'id="sub-reason-hint"' in page
    subs = (
        signed_in(market, market.buyer)
        .get("/dispute-sub-reasons", params={"reason": "not_received", "order": order.id})
        .text
    )
    assert 'value="missing_items"' in subs


def test_missing_items_is_offered_only_once_a_parcel_arrived(market: Market) -> None:
    order = market.shipped(lines=LINES)
    market.advance(days=6)
    buyer = signed_in(market, market.buyer)
    page = buyer.get(f"/orders/{order.id}/dispute/new").text
    assert "missing_items" not in page
    subs = buyer.get("/dispute-sub-reasons", params={"reason": "not_received", "order": order.id})
    assert 'value="no_tracking_info"' in subs.text and "missing_items" not in subs.text
    # Without an order named, every choice (as before).
    every = buyer.get("/dispute-sub-reasons", params={"reason": "not_received"}).text
    assert "missing_items" in every
    # Another buyer's order is the 404 of an unknown one.
    other = signed_in(market, market.seller).get(
        "/dispute-sub-reasons", params={"reason": "not_received", "order": order.id}
    )
    assert other.status_code == 404


def test_the_buyer_disputes_the_units_chosen_with_their_cap(market: Market) -> None:
    order = _two_parcels(market)
    cup, plate, bowl = (line.id for line in order.lines)
    buyer = signed_in(market, market.buyer)
    token = csrf(buyer.get(f"/orders/{order.id}/dispute/new").text)
    # The cap follows the units chosen: both bowls, 10.00 and their 1.67 of shipping.
    cap = buyer.get(f"/orders/{order.id}/dispute/cap", params={f"qty-{bowl}": "2"}).text
    assert "At most 11.67 USD" in cap and 'value="11.67"' in cap
    whole = buyer.get(f"/orders/{order.id}/dispute/cap").text
    assert "At most 35.00 USD" in whole
    # Asking more than those units can refund: the amount in words, nothing opened.
    answer = buyer.post(f"/orders/{order.id}/dispute/new", data={
        "csrf_token": token, **_form(requested_refund="11.68"), f"qty-{bowl}": "2",
        f"qty-{cup}": "", f"qty-{plate}": ""}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 422
    assert ("You ask for more than the units you chose can still refund: at most 11.67 USD."
            in answer.text)  # fmt: skip
    assert re.search(r'<option value="2" selected>2 of 2</option>', answer.text)
    assert _disputes(market, order.id) == []
    opened = buyer.post(f"/orders/{order.id}/dispute/new", data={
        "csrf_token": token, **_form(), f"qty-{bowl}": "2", f"qty-{cup}": "",
        f"qty-{plate}": ""}, follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303, opened.text
    (d,) = _disputes(market, order.id)
    assert d.units == {bowl: 2}  # type: ignore[attr-defined]
    # The bowls are under a dispute now: the form offers none of them.
    again = buyer.get(f"/orders/{order.id}/dispute/new").text
    assert f'<select id="qty-{bowl}" name="qty-{bowl}"' in again
    assert "Nothing left to dispute" in again and "2 under another dispute" in again


def test_bad_units_are_a_message_beside_the_item_and_change_nothing(market: Market) -> None:
    order = _two_parcels(market)
    cup, _plate, bowl = (line.id for line in order.lines)
    buyer = signed_in(market, market.buyer)
    token = csrf(buyer.get(f"/orders/{order.id}/dispute/new").text)
    before = snapshot(market.rt.engine)
    for units, message in (
        ({f"qty-{bowl}": "3"}, "Bowl: only 2 of 2 unit(s) can still be disputed"),
        ({f"qty-{bowl}": "0"}, "Bowl: choose at least 1 unit, or “none” to leave the item out"),
        ({f"qty-{cup}": "two"}, "Cup: the units must be a whole number"),
        # The use case's own check, in the page's words: delivered cups are not "not received".
        (
            {f"qty-{cup}": "1"},
            "“not received” covers units of parcels not delivered (0 of Cup); "
            "for units missing from a delivered parcel, choose “missing items” "
            "under “More precisely”",
        ),
    ):
        answer = buyer.post(f"/orders/{order.id}/dispute/new", data={
            "csrf_token": token, **_form(requested_refund="1.00"), **units})  # fmt: skip
        assert answer.status_code == 422, (units, answer.text)
        assert message in answer.text, (message, answer.text)
        item = next(iter(units))
        assert f'id="{item}-error"' in answer.text  # beside that item
        assert f'aria-describedby="{item}-left {item}-error" aria-invalid="true"' in answer.text
        assert "The bowls never came." in answer.text  # what was typed stays
    assert snapshot(market.rt.engine) == before


def test_missing_items_disputes_units_of_a_delivered_parcel(market: Market) -> None:
    order = _two_parcels(market)
    cup = order.lines[0].id
    buyer = signed_in(market, market.buyer)
    token = csrf(buyer.get(f"/orders/{order.id}/dispute/new").text)
    opened = buyer.post(f"/orders/{order.id}/dispute/new", data={
        "csrf_token": token, **_form(requested_refund="3.33", sub_reason="missing_items"),
        f"qty-{cup}": "1"}, follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303, opened.text
    (d,) = _disputes(market, order.id)
    assert (d.sub_reason, d.units) == ("missing_items", {cup: 1})  # type: ignore[attr-defined]
    page = buyer.get(opened.headers["location"]).text
    lines = re.search(r'<section class="card disputed-lines.*?</section>', page, re.S)
    assert lines is not None
    text = re.sub(r"<[^>]+>", " ", lines.group(0))
    text = re.sub(r"\s+", " ", text)
    # One cup: 3.33 and its part of the cups' 1.66 of shipping, allocate(166, [1, 2])[0] = 55.
    assert "Items in this dispute" in text
    assert "Cup 1 of 3 3.33 USD 3.33 USD" in text
    assert "Shipping (their share) 0.55 USD" in text
    assert "Most this dispute can refund now 3.88 USD" in text


def test_a_whole_order_dispute_lists_every_item(market: Market) -> None:
    order = _two_parcels(market)
    buyer = signed_in(market, market.buyer)
    token = csrf(buyer.get(f"/orders/{order.id}/dispute/new").text)
    form = {"csrf_token": token, **_form(requested_refund="35.00")}
    answer = buyer.post(f"/orders/{order.id}/dispute/new", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    (d,) = _disputes(market, order.id)
    assert d.units == {}  # type: ignore[attr-defined]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", buyer.get(answer.headers["location"]).text))
    assert "The whole order" in text
    assert "Cup 3 of 3 9.99 USD 9.99 USD" in text and "Bowl 2 of 2 10.00 USD" in text
    assert "Most this dispute can refund now 35.00 USD" in text


def test_the_seller_ships_part_of_an_order_then_the_rest_in_another_parcel(
    market: Market,
) -> None:
    order = market.paid(lines=LINES, shipping_fee=500)
    cup, plate, bowl = (line.id for line in order.lines)
    seller = signed_in(market, market.seller)
    page = seller.get(f"/orders/{order.id}").text
    token = csrf(page)
    # Every unit left is the default.
    for item_id, left in ((cup, 3), (plate, 1), (bowl, 2)):
        assert re.search(rf'id="ship-{item_id}" name="ship-{item_id}" min="0" max="{left}"'
                         rf'[^>]*value="{left}"', page)  # fmt: skip
    first = seller.post(f"/orders/{order.id}/actions/ship", data={
        "csrf_token": token, "carrier": "DHL", "tracking_number": "P-1",
        f"ship-{cup}": "2", f"ship-{plate}": "1", f"ship-{bowl}": "0"},
        follow_redirects=False)  # fmt: skip
    assert first.status_code == 303, first.text
    shipped = market.order(order.id)
    assert [p.units for p in shipped.parcels] == [{cup: 2, plate: 1}]
    page = seller.get(f"/orders/{order.id}").text
    assert "Ship another parcel" in page and "3 of 6 units shipped in 1 parcel." in page
    assert "Plate: all 1 shipped" in page
    assert re.search(rf'id="ship-{cup}" name="ship-{cup}" min="0" max="1"[^>]*value="1"', page)
    # A tab opened before: more cups than are left, the item's title in the message.
    before = snapshot(market.rt.engine)
    stale = seller.post(f"/orders/{order.id}/actions/ship", data={
        "csrf_token": token, "carrier": "DHL", "tracking_number": "P-2",
        f"ship-{cup}": "3", f"ship-{bowl}": "2"})  # fmt: skip
    assert stale.status_code == 422
    assert "Cup: only 1 of 3 unit(s) left to ship" in stale.text
    assert f'id="ship-{cup}-error" role="alert"' in stale.text
    nothing = seller.post(f"/orders/{order.id}/actions/ship", data={
        "csrf_token": token, "carrier": "DHL", "tracking_number": "P-2",
        f"ship-{cup}": "0", f"ship-{bowl}": "0"})  # fmt: skip
    assert nothing.status_code == 422 and "Put at least one unit in the parcel" in nothing.text
    assert snapshot(market.rt.engine) == before
    rest = seller.post(f"/orders/{order.id}/actions/ship", data={
        "csrf_token": token, "carrier": "UPS", "tracking_number": "P-2",
        f"ship-{cup}": "1", f"ship-{bowl}": "2"}, follow_redirects=False)  # fmt: skip
    assert rest.status_code == 303, rest.text
    done = market.order(order.id)
    assert [(p.carrier, p.units) for p in done.parcels] == [
        ("DHL", {cup: 2, plate: 1}), ("UPS", {cup: 1, bowl: 2})]  # fmt: skip
    assert done.everything_shipped
    assert "Ship this parcel" not in seller.get(f"/orders/{order.id}").text


def test_the_sellers_list_still_ships_everything_left(market: Market) -> None:
    order = market.paid(lines=LINES)
    seller = signed_in(market, market.seller)
    token = csrf(seller.get("/seller").text)
    answer = seller.post(f"/orders/{order.id}/actions/ship", data={
        "csrf_token": token, "carrier": "DHL", "tracking_number": "ALL-1", "back": "/seller"},
        follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert market.order(order.id).everything_shipped


def test_the_forms_over_items_read_the_order_only_in_their_use_case(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = _two_parcels(market)
    bowl = order.lines[2].id
    buyer = signed_in(market, market.buyer)
    token = csrf(buyer.get(f"/orders/{order.id}/dispute/new").text)
    with recorded(market.rt.engine, monkeypatch, disputes, "open_dispute") as seen:
        answer = buyer.post(
            f"/orders/{order.id}/dispute/new",
            follow_redirects=False,
            data={"csrf_token": token, **_form(), f"qty-{bowl}": "2"},
        )
    assert answer.status_code == 303, answer.text
    assert_only_the_use_case_reads(seen)

    paid = market.paid(lines=LINES)
    cup = paid.lines[0].id
    seller = signed_in(market, market.seller)
    token = csrf(seller.get(f"/orders/{paid.id}").text)
    with recorded(market.rt.engine, monkeypatch, shipments, "ship") as seen:
        answer = seller.post(f"/orders/{paid.id}/actions/ship", data={
            "csrf_token": token, "carrier": "DHL", "tracking_number": "R-1",
            f"ship-{cup}": "1"}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    # Shipping also reads the other orders under the same number (tracking signals): only
    # the part before the use case is checked here.
    assert seen.count(MARK) == 1
    assert [s for s in seen[: seen.index(MARK)] if _TOUCHES.search(s)] == []
    assert [p.units for p in market.order(paid.id).parcels] == [{cup: 1}]
