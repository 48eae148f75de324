"""The pages over items and parcels in Chromium (issue 18, item 5): the buyer picks items and
units in the dispute form (htmx updates the refund's maximum), sees each parcel with its own
tracking and countdown; the seller ships a parcel of chosen units, then the rest in
another; the agent's case lists the disputed lines. Each walk saves a screenshot of the
page it ends on (in the test's tmp_path) for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from browser.conftest import PHONE
from market import Market
from refundkit.domain.orders.model import Order, OrderLine
from refundkit.domain.roles import Role
from refundkit.service import disputes, shipments, tracking, transactions
from refundkit.service.records import TrackingScan

# Shipping 5.00 over 9.99, 10.01 and 10.00 by largest remainder: 1.66, 1.67, 1.67.
LINES = (OrderLine("cup", "Cup", 3, 333), OrderLine("plate", "Plate", 1, 1001),
         OrderLine("bowl", "Bowl", 2, 500))  # fmt: skip


def _two_parcels(market: Market) -> Order:
    """Cups and the plate in a delivered parcel, the bowls in one still on its way; the
    dispute window open."""
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


def _disputes(market: Market, order_id: str) -> list[Any]:
    return transactions.run(market.deps, lambda uow: uow.disputes.for_order(order_id))


def _unlabelled(page: Any) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
    )


def test_the_buyer_picks_the_lost_bowls_and_the_refund_follows_the_units(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    order = _two_parcels(market)
    bowl = order.lines[2].id
    page = sign_in(market.buyer)
    page.goto(f"/orders/{order.id}")
    page.get_by_role("link", name="Open a dispute").click()
    expect(page.get_by_text("At most 35.00 USD")).to_be_visible()
    assert _unlabelled(page) == []
    page.get_by_label("What went wrong").select_option("not_received")
    expect(page.get_by_label("More precisely")).to_contain_text("missing items")
    page.get_by_label("No, it never arrived").check()
    # Keyboard only: focus the bowls' choice and pick both with the arrow keys.
    bowls = page.get_by_label("Bowl", exact=True)
    expect(bowls.locator("option")).to_have_text(["none", "1 of 2", "2 of 2"])
    bowls.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(bowls).to_have_value("2")
    # htmx asked for the bowls' cap: 10.00 and their 1.67 of shipping, filled in.
    expect(page.locator("#refund-max")).to_contain_text("At most 11.67 USD")
    expect(page.get_by_label("Refund you ask for")).to_have_value("11.67")
    page.get_by_label("Describe the problem").fill("The parcel with the bowls never came.")
    page.screenshot(path=tmp_path / "dispute-form.png", full_page=True)
    page.get_by_role("button", name="Open the dispute").click()
    expect(page).to_have_url(re.compile(r"/disputes/dp_"))
    lines = page.locator(".disputed-lines")
    expect(lines.get_by_role("heading")).to_have_text("Items in this dispute")
    expect(lines.get_by_role("row", name=re.compile("^Bowl"))).to_contain_text("2 of 2")
    expect(lines.locator("tfoot")).to_contain_text("11.67 USD")
    (d,) = _disputes(market, order.id)
    assert (d.units, d.requested_refund) == ({bowl: 2}, 1167)


def test_bad_units_in_the_dispute_form_are_a_message_on_the_page_and_change_nothing(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    order = _two_parcels(market)
    cup, bowl = order.lines[0].id, order.lines[2].id
    page = sign_in(market.buyer, PHONE)  # at phone width: nothing wider than the screen
    page.goto(f"/orders/{order.id}/dispute/new")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.get_by_label("What went wrong").select_option("not_received")
    page.get_by_label("No, it never arrived").check()
    page.get_by_label("Describe the problem").fill("Bowls missing.")
    # A forged choice above what is left (the page offers at most 2 bowls).
    page.locator(f"#qty-{bowl} option[value='2']").evaluate("o => { o.value = '3'; }")
    page.get_by_label("Bowl", exact=True).select_option("3")
    with page.expect_navigation():  # the page answered, however slow the machine
        page.get_by_role("button", name="Open the dispute").click()
    error = page.locator(f"#qty-{bowl}-error")
    expect(error).to_have_text(re.compile(r"^Bowl: only 2 of 2 unit\(s\) can still be disputed"))
    expect(page.get_by_label("Bowl", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Describe the problem")).to_have_value("Bowls missing.")
    # Zero units of an item.
    page.locator(f"#qty-{cup} option[value='1']").evaluate("o => { o.value = '0'; }")
    page.get_by_label("Cup", exact=True).select_option("0")
    with page.expect_navigation():
        page.get_by_role("button", name="Open the dispute").click()
    expect(page.locator(f"#qty-{cup}-error")).to_contain_text("Cup: choose at least 1 unit")
    page.screenshot(path=tmp_path / "dispute-form-error.png", full_page=True)
    assert _disputes(market, order.id) == []


def test_the_buyer_sees_each_parcel_with_its_tracking_status_and_countdown(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    order = _two_parcels(market)
    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        page = sign_in(market.buyer, viewport) if viewport else sign_in(market.buyer)
        page.goto(f"/orders/{order.id}")
        parcels = page.locator(".parcel")
        expect(parcels).to_have_count(2)
        first, second = parcels.nth(0), parcels.nth(1)
        expect(first.get_by_role("heading")).to_have_text("Parcel 1 of 2")
        expect(first.locator(".status")).to_have_text("delivered")
        expect(first).to_contain_text("DHL D-1")
        expect(first).to_contain_text("Holds 3 \u00d7 Cup, 1 \u00d7 Plate")
        expect(second.locator(".status")).to_have_text("in transit")
        expect(second).to_contain_text("DHL D-2")
        expect(second.locator(".due")).to_have_text("in 14 d")
        expect(second).to_contain_text("Holds 2 \u00d7 Bowl")
        # The scans of each parcel's own number, behind a summary a keyboard can open.
        summary = first.get_by_text("Carrier scans (1)")
        summary.focus()
        page.keyboard.press("Enter")
        expect(first.locator(".timeline")).to_contain_text("delivered — Berlin, DE")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)
        page.locator("#tracking-title").scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / f"parcels-{name}.png", full_page=True)


def test_the_seller_ships_two_parcels_from_the_order_page(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    order = market.paid(lines=LINES, shipping_fee=500)
    cup, plate, bowl = (line.id for line in order.lines)
    seller = sign_in(market.seller)
    seller.goto(f"/orders/{order.id}")
    form = seller.locator("form.parcel-form")
    expect(form.get_by_role("heading")).to_have_text("Ship a parcel")
    assert _unlabelled(seller) == []
    # Everything left by default.
    expect(form.get_by_label("Cup")).to_have_value("3")
    expect(form.get_by_label("Bowl")).to_have_value("2")
    stale = sign_in(market.seller)  # a second tab, opened now
    stale.goto(f"/orders/{order.id}")
    form.get_by_label("Carrier").fill("DHL")
    form.get_by_label("Tracking number").fill("P-1")
    form.get_by_label("Cup").fill("2")
    form.get_by_label("Bowl").fill("0")
    seller.screenshot(path=tmp_path / "ship-form.png", full_page=True)
    form.get_by_role("button", name="Ship this parcel").click()
    expect(seller.get_by_role("status")).to_contain_text("shipped")
    form = seller.locator("form.parcel-form")
    expect(form.get_by_role("heading")).to_have_text("Ship another parcel")
    expect(form).to_contain_text("3 of 6 units shipped in 1 parcel.")
    expect(form).to_contain_text("Plate: all 1 shipped")
    expect(form.get_by_label("Cup")).to_have_value("1")
    expect(seller.locator(".parcel")).to_have_count(1)

    # The tab opened before still offers 3 cups: the refusal is on the page, in words.
    sform = stale.locator("form.parcel-form")
    sform.get_by_label("Carrier").fill("DHL")
    sform.get_by_label("Tracking number").fill("P-2")
    sform.get_by_role("button", name="Ship this parcel").click()
    expect(stale.locator(f"#ship-{cup}-error")).to_have_text(
        "Cup: only 1 of 3 unit(s) left to ship")  # fmt: skip
    # What was typed stays, against the bound of now.
    expect(stale.get_by_label("Cup")).to_have_value("3")
    expect(stale.get_by_label("Cup")).to_have_attribute("max", "1")
    stale.screenshot(path=tmp_path / "ship-form-error.png", full_page=True)
    assert [p.units for p in market.order(order.id).parcels] == [{cup: 2, plate: 1}]

    # The rest in another parcel, by keyboard: Enter in the tracking field sends the form.
    form = seller.locator("form.parcel-form")
    form.get_by_label("Carrier").fill("UPS")
    form.get_by_label("Tracking number").fill("P-2")
    form.get_by_label("Tracking number").press("Enter")
    expect(seller.locator(".parcel")).to_have_count(2)
    expect(seller.locator("form.parcel-form")).to_have_count(0)
    expect(seller.locator(".parcel").nth(1)).to_contain_text("UPS P-2")
    expect(seller.locator(".parcel").nth(1)).to_contain_text("Holds 1 \u00d7 Cup, 2 \u00d7 Bowl")
    seller.screenshot(path=tmp_path / "shipped-two-parcels.png", full_page=True)
    parcels = market.order(order.id).parcels
    assert [(p.carrier, p.units) for p in parcels] == [
        ("DHL", {cup: 2, plate: 1}), ("UPS", {cup: 1, bowl: 2})]  # fmt: skip


def test_the_agents_case_shows_the_disputed_lines_with_their_cap(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    order = _two_parcels(market)
    cup = order.lines[0].id
    buyer = sign_in(market.buyer)
    buyer.goto(f"/orders/{order.id}/dispute/new")
    buyer.get_by_label("What went wrong").select_option("not_received")
    buyer.get_by_label("More precisely").select_option("missing_items")
    buyer.get_by_label("No, it never arrived").check()
    buyer.get_by_label("Cup", exact=True).select_option("1")
    expect(buyer.locator("#refund-max")).to_contain_text("At most 3.88 USD")
    buyer.get_by_label("Describe the problem").fill("One cup was not in the parcel.")
    buyer.get_by_role("button", name="Open the dispute").click()
    expect(buyer).to_have_url(re.compile(r"/disputes/dp_"))
    (d,) = _disputes(market, order.id)
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, d.id, "It was."))
    buyer.reload()
    buyer.get_by_role("button", name="Ask an agent to decide").click()
    expect(buyer.locator(".page-head .status")).to_have_text("escalated")

    agent = sign_in(market.user(Role.AGENT, "IE"))
    row = agent.locator("tr", has=agent.get_by_role("link", name=re.compile("not received")))
    expect(row).to_contain_text("on 1 \u00d7 Cup")  # the queue names the disputed units
    agent.get_by_role("link", name=re.compile("not received")).click()
    lines = agent.locator(".disputed-lines")
    expect(lines.get_by_role("heading")).to_have_text("Items in this dispute")
    rows = lines.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_text(re.compile(r"Cup\s*1 of 3\s*3.33 USD\s*3.33 USD"))
    expect(rows.nth(1)).to_have_text(re.compile(r"Shipping \(their share\)\s*0.55 USD"))
    expect(lines.locator("tfoot")).to_have_text(
        re.compile(r"Most this dispute can refund now\s*3.88 USD"))  # fmt: skip
    expect(agent.locator("#decide-max")).to_contain_text("Below 3.88 USD")
    agent.screenshot(path=tmp_path / "agent-case.png", full_page=True)
    assert d.units == {cup: 1}
