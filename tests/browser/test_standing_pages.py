"""Standing on the pages (issue 19): the seller sees their standing and what it costs them;
an agent's case shows both parties' standing and the rules behind it. Screenshots go to
``REFUNDKIT_SCREENSHOTS`` when it is set (to look at them), else to the test's folder."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.service import disputes, orders, standing
from refundkit.service.records import User


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("REFUNDKIT_SCREENSHOTS", str(tmp_path)))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _shipped(market: Market, buyer: User) -> Order:
    order = market.paid(buyer=buyer)
    return market.tx(lambda uow: orders.ship_order(market.deps, uow, market.seller, order.id,
                                                   "DHL", f"T-{order.id}")).order  # fmt: skip


def _restricted(market: Market) -> tuple[User, Order]:
    """The market's seller with five orders, one lost before an agent: 20 % of defects."""
    agent = market.user(Role.AGENT, "IE")
    buyers = [market.user(Role.BUYER, "DE") for _ in range(5)]
    placed = [_shipped(market, b) for b in buyers]
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 1000, False, "Never came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, buyers[0], placed[0].id,
                                                    form, [])).dispute  # fmt: skip
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, d.id, "it came"))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, buyers[0], d.id))
    market.tx(lambda uow: disputes.decide(market.deps, uow, agent, d.id, "full_refund", None,
                                          False, "no proof of delivery"))  # fmt: skip
    return agent, placed[0]


def test_the_seller_sees_their_standing_and_what_it_costs_them(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    _, lost = _restricted(market)
    page = sign_in(market.seller)
    expect(page).to_have_url(re.compile(r"/seller$"))
    card = page.locator("section", has=page.get_by_role("heading", name="Your standing"))
    expect(card).to_contain_text("restricted")
    expect(card).to_contain_text("20.00 %: 1 defective of 5 orders")
    expect(card).to_contain_text("seller_standing.restricted_from_basis_points")
    expect(card).to_contain_text("A new dispute asking for a return is accepted at once")
    expect(card).to_contain_text("stays held 14 more days")
    expect(card.get_by_role("link", name=lost.id)).to_be_visible()
    _shot(page, tmp_path, "seller-standing")
    # The seller asks, on the page, to exclude the defect; it waits for an agent.
    card.get_by_label("Why this was not your fault").fill("The carrier lost the parcel")
    card.get_by_role("button", name="Ask to exclude this defect").click()
    expect(page.get_by_role("status")).to_contain_text("an agent answers it")
    card = page.locator("section", has=page.get_by_role("heading", name="Your standing"))
    expect(card).to_contain_text("pending")
    expect(card.get_by_role("button", name="Ask to exclude this defect")).to_have_count(0)
    asked = market.tx(lambda uow: uow.standing.exclusions(market.seller.id))
    assert [(x.order_id, x.status, x.reason) for x in asked] == [
        (lost.id, "pending", "The carrier lost the parcel")]  # fmt: skip


def test_an_agents_case_shows_both_parties_standing_and_the_rules(
    market: Market, sign_in: Callable[..., Any], tmp_path: Path
) -> None:
    agent, lost = _restricted(market)
    buyer = market.user(Role.BUYER, "DE")
    order = _shipped(market, buyer)
    market.advance(days=5)
    form = DisputeForm("changed_mind", None, True, 1000, True, "Not for me.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, buyer, order.id, form,
                                                    [])).dispute  # fmt: skip
    assert d.rule == "seller_standing.restricted: approve_returns_at_once"
    page = sign_in(agent)
    page.goto(f"/disputes/{d.id}")
    card = page.locator("section", has=page.get_by_role("heading", name="Both parties' standing"))
    expect(card).to_contain_text("restricted")
    expect(card).to_contain_text("seller_standing.restricted_from_basis_points")
    expect(card).to_contain_text("buyer_signals.claim_rate_from_basis_points")
    expect(card).to_contain_text("Fast Refund")
    expect(card.locator("table.signals tbody tr")).to_have_count(4)
    _shot(page, tmp_path, "agent-case-standing")
    # The seller asked to exclude their defect; the agent accepts it on the case.
    seller = market.seller
    market.tx(lambda uow: standing.request_exclusion(market.deps, uow, seller, seller.id,
                                                     lost.id, "lost in the post"))  # fmt: skip
    page.reload()
    card = page.locator("section", has=page.get_by_role("heading", name="Both parties' standing"))
    card.get_by_label("Note to the seller").fill("the carrier's own scan shows the loss")
    card.get_by_role("button", name="Accept the exclusion").click()
    expect(page.get_by_role("status")).to_contain_text("request is answered")
    card = page.locator("section", has=page.get_by_role("heading", name="Both parties' standing"))
    expect(card).to_contain_text("accepted")
    expect(card.locator("dl.standing").first).to_contain_text("good")
    _shot(page, tmp_path, "agent-case-exclusion-accepted")
    # The parties do not see it.
    buyer_page = sign_in(buyer)
    buyer_page.goto(f"/disputes/{d.id}")
    expect(buyer_page.get_by_role("heading", name="Both parties' standing")).to_have_count(0)
