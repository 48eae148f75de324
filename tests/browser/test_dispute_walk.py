"""The seller's and the dispute's walks through the pages: shipping an order, then a dispute
with a photo, a counter-offer, an escalation, an agent's partial refund, and the refund the
buyer sees with its arrival estimate."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from market import Market
from refundkit.domain.disputes.model import DecidedBy, DisputeOutcome, DisputeStatus
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.roles import Role
from refundkit.entrypoints.cli.demo_images import sample_photo
from refundkit.service import transactions


def test_a_seller_ships_an_order_from_the_orders_to_ship(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    order = market.paid()
    page = sign_in(market.seller)
    expect(page).to_have_url(re.compile(r"/seller$"))
    card = page.locator("li.card", has=page.get_by_role("link", name="Lamp"))
    expect(card).to_contain_text("Ship by")
    card.get_by_label("Carrier").fill("DHL")
    card.get_by_label("Tracking number").fill("JJD0001")
    card.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_role("status")).to_contain_text("ship")
    expect(page.get_by_text("Nothing to ship.")).to_be_visible()
    shipped = market.order(order.id)
    assert (shipped.status, shipped.carrier, shipped.tracking_number) == (
        OrderStatus.SHIPPED, "DHL", "JJD0001")  # fmt: skip


def test_an_error_from_the_service_is_shown_beside_its_form_which_keeps_what_was_typed(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    order = market.shipped()
    page = sign_in(market.buyer)
    page.goto(f"/orders/{order.id}")
    form = page.locator("form.action", has=page.get_by_role("button", name="Ask for more"))
    form.get_by_label("Extra days").fill("400")
    form.get_by_role("button", name="Ask for more protection time").click()
    form = page.locator("form.action", has=page.get_by_role("button", name="Ask for more"))
    expect(form.get_by_role("alert")).to_contain_text("days")
    expect(form.get_by_label("Extra days")).to_have_value("400")  # what was typed stays
    assert market.order(order.id).pending_extension is None


def test_dispute_with_a_photo_counter_offer_escalation_and_an_agents_partial_refund(
    market: Market, sign_in: Callable[..., Any], advance_clock: Callable[..., None],
    tmp_path: Any,
) -> None:  # fmt: skip
    order = market.shipped()
    advance_clock(days=6)  # the dispute window opens 5 days after shipment
    photo = tmp_path / "cracked.png"
    photo.write_bytes(sample_photo())

    buyer = sign_in(market.buyer)
    buyer.goto(f"/orders/{order.id}")
    buyer.get_by_role("link", name="Open a dispute").click()
    expect(buyer.get_by_text("At most 30.00 USD")).to_be_visible()
    buyer.get_by_label("What went wrong").select_option("not_as_described")
    # htmx fetched the sub-reasons of the chosen reason.
    expect(buyer.get_by_label("More precisely")).to_contain_text("wrong item")
    buyer.get_by_label("More precisely").select_option("poor_quality")
    buyer.get_by_label("Yes, I received it").check()
    buyer.get_by_label("Refund you ask for").fill("30.00")
    buyer.get_by_label("Describe the problem").fill("The lamp came with a cracked shade.")
    buyer.get_by_label("Photos, video or documents").set_input_files(str(photo))
    expect(buyer.locator("#evidence-preview img")).to_have_count(1)  # the preview
    buyer.get_by_role("button", name="Open the dispute").click()
    expect(buyer).to_have_url(re.compile(r"/disputes/dp_"))
    dispute_url = buyer.url
    expect(buyer.locator(".page-head .status")).to_have_text("awaiting seller")
    expect(buyer.locator(".gallery img")).to_have_count(1)

    seller = sign_in(market.seller)
    seller.get_by_role("link", name=re.compile("Lamp: not as described")).click()
    seller.get_by_label("Refund you offer").fill("10.00")
    seller.get_by_label("Note to the buyer").fill("The shade is a small part: 10.00 back.")
    seller.get_by_role("button", name="Make a counter-offer").click()
    expect(seller.locator(".page-head .status")).to_have_text("negotiating")

    buyer.goto(dispute_url)
    expect(buyer.get_by_role("button", name="Accept 10.00 USD")).to_be_visible()
    buyer.get_by_role("button", name="Ask an agent to decide").click()
    expect(buyer.locator(".page-head .status")).to_have_text("escalated")

    agent = sign_in(market.user(Role.AGENT, "IE"))
    expect(agent).to_have_url(re.compile(r"/agent$"))
    agent.get_by_role("link", name=re.compile("Lamp: not as described")).click()
    expect(agent.locator(".gallery img")).to_have_count(1)
    expect(agent.locator(".offers")).to_contain_text("Seller offered 10.00 USD")
    # Pre-filled with what policy suggests: the seller's offer as a partial refund.
    expect(agent.get_by_label("Outcome")).to_have_value("partial_refund")
    expect(agent.get_by_label("Refund for a partial refund")).to_have_value("10.00")
    agent.get_by_label("Refund for a partial refund").fill("15.00")
    agent.get_by_label("Why (both parties see this)").fill("The photo shows a deep crack.")
    agent.get_by_role("button", name="Decide").click()
    expect(agent.locator(".page-head .status")).to_have_text("resolved")

    buyer.goto(f"/orders/{order.id}")
    refund = buyer.locator(".refund")
    expect(refund).to_contain_text("15.00 USD")
    expect(refund).to_contain_text("Expected between")

    # The mail log on the pages: the outcome message, its body behind "Read the message".
    buyer.get_by_role("link", name="Messages", exact=True).click()
    outcome = buyer.locator(".message", has_text=f"Dispute on order {order.id}: ")
    outcome = outcome.filter(has_text="Why: The photo shows a deep crack.")
    expect(outcome).to_have_count(1)
    expect(outcome.get_by_text("Why: The photo shows a deep crack.")).to_be_hidden()
    outcome.get_by_text("Read the message").click()
    expect(outcome.get_by_text("Why: The photo shows a deep crack.")).to_be_visible()
    outcome.get_by_role("link", name="See the dispute").click()
    expect(buyer).to_have_url(dispute_url.split("?")[0])

    d = transactions.run(market.deps, lambda uow: uow.disputes.for_order(order.id))[0]
    assert (d.status, d.outcome, d.refund_amount, d.decided_by) == (
        DisputeStatus.RESOLVED, DisputeOutcome.PARTIAL_REFUND, 1500, DecidedBy.AGENT)  # fmt: skip
    assert [r.amount for r in market.refunds(order.id)] == [1500]


def test_opening_a_dispute_without_evidence_keeps_what_was_typed(
    market: Market, sign_in: Callable[..., Any], advance_clock: Callable[..., None]
) -> None:
    order = market.shipped()
    advance_clock(days=6)
    page = sign_in(market.buyer)
    page.goto(f"/orders/{order.id}/dispute/new")
    page.get_by_label("What went wrong").select_option("damaged")
    page.get_by_label("Yes, I received it").check()
    page.get_by_label("Describe the problem").fill("Broken in two.")
    page.get_by_role("button", name="Open the dispute").click()
    expect(page.locator("#form-error")).to_contain_text("evidence")
    expect(page.get_by_label("Describe the problem")).to_have_value("Broken in two.")
    expect(page.get_by_label("What went wrong")).to_have_value("damaged")
    assert transactions.run(market.deps, lambda uow: uow.disputes.for_order(order.id)) == []


def test_a_return_is_shipped_by_the_buyer_and_confirmed_by_the_seller_then_refunded(
    market: Market, sign_in: Callable[..., Any], advance_clock: Callable[..., None]
) -> None:
    order = market.shipped()
    advance_clock(days=6)
    buyer = sign_in(market.buyer)
    buyer.goto(f"/orders/{order.id}/dispute/new")
    buyer.get_by_label("What went wrong").select_option("not_received")
    buyer.get_by_label("No, it never arrived").check()
    buyer.get_by_label("Yes, I will return it").check()
    buyer.get_by_label("Describe the problem").fill("It came back to me from the carrier.")
    buyer.get_by_role("button", name="Open the dispute").click()
    dispute_url = buyer.url

    seller = sign_in(market.seller)
    seller.goto(dispute_url)
    seller.get_by_role("button", name="Accept the buyer's request").click()
    expect(seller.locator(".page-head .status")).to_have_text("awaiting return")

    buyer.goto(dispute_url)
    form = buyer.locator("form.action", has=buyer.get_by_role("button", name="I sent the goods"))
    form.get_by_label("Carrier").fill("DHL")
    form.get_by_label("Tracking number").fill("RET-1")
    form.get_by_role("button", name="I sent the goods back").click()
    expect(buyer.locator(".page-head .status")).to_have_text("return in transit")

    seller.goto(dispute_url)
    seller.get_by_label("Condition").select_option("as_sent")
    seller.get_by_role("button", name="Confirm the returned goods").click()
    expect(seller.locator(".page-head .status")).to_have_text("resolved")
    buyer.goto(f"/orders/{order.id}")
    expect(buyer.locator(".refund")).to_contain_text("30.00 USD")
    assert [r.amount for r in market.refunds(order.id)] == [3000]
