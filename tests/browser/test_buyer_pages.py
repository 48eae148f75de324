"""A buyer's walks through the pages: cancelling in the free window, another buyer's order,
and forms posted without their CSRF token or from another site."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from browser.conftest import PHONE
from market import Market
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.refunds import RefundStatus
from refundkit.domain.roles import Role


def test_buyer_cancels_an_unshipped_order_in_the_free_window_and_sees_the_refund(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    order = market.paid()
    page = sign_in(market.buyer)
    page.get_by_role("link", name="Lamp").click()
    expect(page.get_by_role("heading", name="Lamp")).to_be_visible()
    page.get_by_role("button", name="Cancel the order").click()
    expect(page.get_by_role("status")).to_contain_text("cancel")
    expect(page.locator(".page-head .status")).to_have_text("cancelled")
    refund = page.locator(".refund")
    expect(refund).to_contain_text("30.00 USD")
    expect(refund).to_contain_text("Expected between")
    assert market.order(order.id).status is OrderStatus.CANCELLED
    (made,) = market.refunds(order.id)
    assert (made.amount, made.status) == (3000, RefundStatus.PENDING)
    # The cancel button came from next_actions: it is gone now that the order is cancelled.
    expect(page.get_by_role("button", name="Cancel the order")).to_have_count(0)


def test_a_buyer_gets_404_for_another_buyers_order(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    order = market.paid()
    other = market.user(Role.BUYER, "FR")
    page = sign_in(other)
    answer = page.goto(f"/orders/{order.id}")
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert order.id not in page.content()
    unknown = page.goto("/orders/ord_does_not_exist")
    assert unknown.status == 404


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    market: Market, sign_in: Callable[..., Any]
) -> None:
    order = market.paid()
    page = sign_in(market.buyer)
    page.goto(f"/orders/{order.id}")
    token = page.locator("input[name=csrf_token]").first.input_value()
    url = f"/orders/{order.id}/actions/cancel"

    without = page.request.post(url, form={"reason": "no token"}, max_redirects=0)
    wrong = page.request.post(url, form={"csrf_token": "x" * len(token)}, max_redirects=0)
    elsewhere = page.request.post(url, form={"csrf_token": token}, max_redirects=0,
                                  headers={"Origin": "https://evil.example"})  # fmt: skip
    assert (without.status, wrong.status, elsewhere.status) == (403, 403, 403)
    assert "Form refused" in without.text()
    assert market.order(order.id).status is OrderStatus.PAID

    # The same post with the session's token and from this site goes through.
    accepted = page.request.post(url, form={"csrf_token": token}, max_redirects=0)
    assert accepted.status == 303
    assert market.order(order.id).status is OrderStatus.CANCELLED


def test_a_wrong_password_is_refused_beside_the_form_which_keeps_the_email(
    market: Market, browser: Any, site: str
) -> None:
    context = browser.new_context(base_url=site)
    page = context.new_page()
    page.goto("/orders")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/orders$"))
    page.get_by_label("Email").fill(market.buyer.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("the email or the password is wrong")
    expect(page.get_by_label("Email")).to_have_value(market.buyer.email)
    context.close()


def test_signing_out_ends_the_session(market: Market, sign_in: Callable[..., Any]) -> None:
    page = sign_in(market.buyer)
    cookie = next(c for c in page.context.cookies() if c["name"] == "rk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    # The old cookie no longer signs anyone in: the session row is gone.
    page.context.add_cookies([{**cookie}])
    page.goto("/orders")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_at_375_px_the_buyers_pages_fit_the_screen_and_work_by_keyboard(
    market: Market, sign_in: Callable[..., Any], advance_clock: Callable[..., None]
) -> None:
    order = market.shipped()
    advance_clock(days=6)
    page = sign_in(market.buyer, PHONE)
    for path in ("/orders", f"/orders/{order.id}", f"/orders/{order.id}/dispute/new"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        # Every field has a label (an accessible name), as screen readers need.
        unnamed = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"""
        )
        assert unnamed == [], (path, unnamed)
    page.goto(f"/orders/{order.id}")
    # Tab from the top of the page to the confirm button, and press Enter on it.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Confirm I received it":
            break
    else:
        raise AssertionError("the confirm button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Receipt confirmed")
    assert market.order(order.id).confirmed_at is not None
