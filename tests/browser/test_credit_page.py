"""The buyer's store credit page (issue 19, item 6): the balance and every entry that made
it, a refund taken as credit by the buyer's choice and a counterfeit compensation; the
order's page says where its refund went. Nobody but a buyer has the page. The dispute form
asks where a refund should go, the payment method chosen unless the buyer picks credit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import OrderLine
from refundkit.service import disputes

SHOTS = Path(os.environ.get("REFUNDKIT_SCREENSHOTS", "var/screenshots"))


def _settled(market: Market, form: DisputeForm, evidence: bool) -> str:
    order = market.shipped(lines=(OrderLine("mug", "Mug", 1, 800),), shipping_fee=200)
    market.advance(days=5)
    ids = [evidence_file(market, market.buyer)] if evidence else []
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, ids)).dispute  # fmt: skip
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))
    return order.id


def test_the_buyer_sees_their_credit_and_its_entries(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    chosen = DisputeForm("not_received", None, False, 1000, False, "Never came.",
                         refund_destination="store_credit")  # fmt: skip
    credited = _settled(market, chosen, evidence=False)
    fake = DisputeForm("counterfeit", None, True, 1000, False, "A fake.")
    _settled(market, fake, evidence=True)
    page = sign_in(market.buyer)
    page.get_by_role("link", name="My credit").click()
    expect(page.get_by_role("heading", name="My store credit")).to_be_visible()
    expect(page.locator(".balance")).to_have_text("26.00 USD")  # 10.00 refund + 2 x 8.00
    rows = page.locator("tr.entry")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Compensation: counterfeit goods")
    expect(rows.nth(0)).to_contain_text("16.00 USD")
    expect(rows.nth(1)).to_contain_text("Refund, as store credit (your choice)")
    expect(rows.nth(1)).to_contain_text("10.00 USD")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "buyer-credit.png"), full_page=True)
    rows.nth(1).get_by_role("link").click()
    expect(page.locator(".refund")).to_contain_text("10.00 USD to your store credit")
    seller = sign_in(market.seller)
    assert seller.goto("/credit").status == 404
    assert credited


def test_the_buyer_chooses_store_credit_on_the_dispute_form(
    market: Market, sign_in: Callable[..., Any], advance_clock: Callable[..., None]
) -> None:
    order = market.shipped(lines=(OrderLine("mug", "Mug", 1, 800),), shipping_fee=200)
    advance_clock(days=6)
    page = sign_in(market.buyer)
    page.goto(f"/orders/{order.id}/dispute/new")
    expect(page.get_by_label("Back to how I paid (card)")).to_be_checked()  # the default
    page.get_by_label("What went wrong").select_option("not_received")
    page.get_by_label("No, it never arrived").check()
    page.get_by_label("Describe the problem").fill("Never came.")
    page.get_by_label("Store credit, at once").check()
    page.get_by_role("button", name="Open the dispute").click()
    page.wait_for_url(lambda url: "/dispute/new" not in url)
    [d] = market.tx(lambda uow: uow.disputes.for_order(order.id))
    assert d.refund_destination == "store_credit"
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))
    page.goto("/credit")
    expect(page.locator(".balance")).to_have_text("10.00 USD")
