"""The web pages over HTTP (in process, on SQLite and PostgreSQL): sessions, the calendar
feed, the demo list on the sign-in page, and HTML errors for pages beside JSON ones for the
API."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from api_client import snapshot
from fastapi.testclient import TestClient
from icalendar import Calendar
from web_client import PASSWORD, csrf, signed_in

from market import Market
from refundkit.adapters.passwords import hash_password, verify_password
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import Unauthenticated
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.entrypoints.cli.demo import reissue_passwords, seed
from refundkit.entrypoints.web.session import wall_now
from refundkit.service import disputes, transactions, web_sessions
from refundkit.service.users import ensure_platform_key


def test_a_session_ends_after_its_lifetime_and_at_sign_out(market: Market) -> None:
    market.tx(lambda uow: uow.users.set_password_hash(market.buyer.id, hash_password(PASSWORD)))
    start = wall_now()
    token, session = web_sessions.sign_in(market.deps, market.buyer.email, PASSWORD,
                                          verify_password, start)  # fmt: skip
    assert session.expires_at == start + web_sessions.SESSION_LIFETIME
    assert web_sessions.current_session(market.deps, token, start) is not None
    later = start + web_sessions.SESSION_LIFETIME + timedelta(seconds=1)
    assert web_sessions.current_session(market.deps, token, later) is None
    web_sessions.sign_out(market.deps, token)
    assert web_sessions.current_session(market.deps, token, start) is None
    # Only the token's hash is stored.
    stored = market.tx(lambda uow: uow.sessions.get(web_sessions.token_hash(token)))
    assert stored is None


def test_a_wrong_password_and_an_unknown_email_are_refused_alike(market: Market) -> None:
    market.tx(lambda uow: uow.users.set_password_hash(market.buyer.id, hash_password(PASSWORD)))
    for email, password in ((market.buyer.email, "wrong"), ("nobody@t.io", PASSWORD)):
        with pytest.raises(Unauthenticated, match=r"^the email or the password is wrong$"):
            web_sessions.sign_in(market.deps, email, password, verify_password, wall_now())


def test_the_calendar_feed_lists_the_buyers_deadlines_and_a_new_address_revokes_the_old(
    market: Market,
) -> None:
    order = market.shipped()
    client = signed_in(market, market.buyer)
    page = client.get("/calendar")
    made = client.post("/calendar", data={"csrf_token": csrf(page.text)})
    url = re.search(r'id="feed" value="([^"]+)"', made.text)
    assert url is not None
    anonymous = TestClient(create_app(market.deps))  # calendar apps have no session
    feed = anonymous.get(url.group(1).replace("http://testserver", ""))
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    closes = events["Dispute window closes: Lamp"]
    assert closes.decoded("dtstart") == market.order(order.id).deadlines.dispute_closes_at
    assert "Protection ends (delivery deadline): Lamp" in events

    again = client.post("/calendar", data={"csrf_token": csrf(page.text)})
    assert again.status_code == 200
    old = anonymous.get(url.group(1).replace("http://testserver", ""))
    assert old.status_code == 401


def _feed(market: Market) -> list[Any]:
    client = signed_in(market, market.buyer)
    page = client.get("/calendar")
    made = client.post("/calendar", data={"csrf_token": csrf(page.text)})
    url = re.search(r'id="feed" value="([^"]+)"', made.text)
    assert url is not None
    feed = TestClient(create_app(market.deps)).get(url.group(1).replace("http://testserver", ""))
    assert feed.status_code == 200
    return list(Calendar.from_ical(feed.content).walk("VEVENT"))


def test_a_buyers_calendar_holds_the_buyers_own_deadlines_once_each(market: Market) -> None:
    paid = market.paid()
    shipped = market.shipped()
    market.advance(days=5)
    market.tx(lambda uow: disputes.open_dispute(
        market.deps, uow, market.buyer, shipped.id,
        DisputeForm("not_received", None, False, 1000, False, "Nothing arrived."), []))  # fmt: skip
    events = _feed(market)
    summaries = [str(e["summary"]) for e in events]
    assert len(summaries) == len(set(summaries)), summaries  # each deadline once
    ships = [str(e["uid"]) for e in events if str(e["summary"]).startswith("The seller ships")]
    assert ships == [f"{paid.id}-ship_by@refundkit"]  # none for the order already shipped
    # The dispute waits on the seller: only the buyer's own steps, none of the seller's.
    steps = [str(e["uid"]) for e in events if "/disputes/" in str(e["url"])]
    assert all("-buyer-" in uid for uid in steps), steps


def test_the_sign_in_page_lists_demo_people_only_in_demo_mode(market: Market) -> None:
    plain = TestClient(create_app(market.deps)).get("/sign-in")
    demo = TestClient(create_app(market.deps, demo_logins=[
        {"name": "Ana", "role": "buyer", "email": "ana@demo.refundkit", "password": "pw-1"}
    ])).get("/sign-in")  # fmt: skip
    assert "ana@demo.refundkit" not in plain.text and "Demo people" not in plain.text
    assert "ana@demo.refundkit" in demo.text and "pw-1" in demo.text


def test_pages_answer_errors_in_html_and_the_api_keeps_problem_json(market: Market) -> None:
    client = signed_in(market, market.buyer)
    page = client.get("/orders/ord_nothing")
    api = client.get("/v1/orders/ord_nothing", headers={"Authorization": "Bearer pk_test"})
    assert page.status_code == api.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["code"] == "not_found"
    signed_out = TestClient(create_app(market.deps)).get("/orders", follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (
        303, "/sign-in?next=/orders")  # fmt: skip


def test_pages_carry_a_content_security_policy_without_inline_script(market: Market) -> None:
    client = signed_in(market, market.buyer)
    answer = client.get("/orders")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "<script>" not in answer.text and "onclick" not in answer.text


def test_serve_demo_again_gives_the_demo_people_new_passwords(runtime: Runtime) -> None:
    data = seed(runtime.deps, "pk_demo", runtime.sandbox_clock)
    assert data is not None
    first = {a.user.email: a.password for a in data.accounts}
    again = reissue_passwords(runtime.deps)
    assert {a.user.email for a in again} == set(first)
    for account in again:
        user = transactions.run(runtime.deps, lambda uow, e=account.user.email:
                                uow.users.by_email(e))  # fmt: skip
        assert user is not None
        assert verify_password(user.password_hash, account.password)
        assert not verify_password(user.password_hash, first[user.email])


def test_the_dispute_form_warns_when_the_window_closes_within_5_days(market: Market) -> None:
    order = market.shipped(promised_days=20)  # no delivery shown: it closes at the deadline
    client = signed_in(market, market.buyer)
    market.advance(days=6)
    early = client.get(f"/orders/{order.id}/dispute/new")
    market.advance(days=10)  # 4 days left
    late = client.get(f"/orders/{order.id}/dispute/new")
    order_page = client.get(f"/orders/{order.id}")
    assert "The dispute window closes in" not in early.text
    assert "You can open a dispute until" in early.text
    assert "The dispute window closes in 4 d" in late.text
    assert "The dispute window closes in 4 d" in order_page.text


def test_each_role_sees_the_buttons_of_its_own_next_actions_only(market: Market) -> None:
    order = market.paid()
    buyer = signed_in(market, market.buyer).get(f"/orders/{order.id}").text
    seller = signed_in(market, market.seller).get(f"/orders/{order.id}").text
    assert "Cancel the order" in buyer and "Ship this parcel" not in buyer
    assert "Ship this parcel" in seller and "Cancel the order" not in seller
    market.ship(order.id)
    shipped = signed_in(market, market.buyer).get(f"/orders/{order.id}").text
    assert "Cancel the order" not in shipped and "Confirm I received it" in shipped


def test_the_party_asked_for_evidence_is_told_so_at_the_top_of_the_dispute(
    market: Market,
) -> None:
    from refundkit.domain.disputes.commands import DisputeForm
    from refundkit.domain.roles import Role
    from refundkit.service import disputes

    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute.id  # fmt: skip
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, d, "Sent."))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, market.buyer, d))
    agent = market.user(Role.AGENT, "IE")
    market.tx(lambda uow: disputes.request_evidence(market.deps, uow, agent, d, "seller",
                                                    "The carrier's receipt, please."))  # fmt: skip
    seller = signed_in(market, market.seller).get(f"/disputes/{d}").text
    buyer = signed_in(market, market.buyer).get(f"/disputes/{d}").text
    assert "An agent asks you for evidence by" in seller
    assert "The carrier&#39;s receipt, please." in seller
    assert "An agent asks you for evidence" not in buyer


def test_an_unexpected_error_on_a_page_is_an_html_page_and_on_the_api_problem_json(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    from refundkit.service import orders, page_views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(page_views, "order_page", broken)
    monkeypatch.setattr(orders, "get_order", broken)
    order = market.paid()
    client = signed_in(market, market.buyer)
    page = client.get(f"/orders/{order.id}")
    api = client.get(f"/v1/orders/{order.id}", headers={"Authorization": "Bearer pk_test"})
    assert page.status_code == api.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in page.text and "a bug" not in page.text
    assert api.json()["code"] == "internal_error"


def test_after_5_wrong_passwords_the_sign_in_form_refuses_even_the_right_one(
    market: Market,
) -> None:
    market.tx(lambda uow: uow.users.set_password_hash(market.buyer.id, hash_password(PASSWORD)))
    client = TestClient(create_app(market.deps))

    def attempt(password: str) -> int:
        form = client.get("/sign-in")
        token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = client.post(
            "/sign-in",
            follow_redirects=False,
            data={
                "sign_in_token": token.group(1),
                "email": market.buyer.email,
                "password": password,
            },
        )
        return answer.status_code

    assert [attempt("wrong") for _ in range(5)] == [401] * 5
    assert attempt(PASSWORD) == 429


def test_a_form_field_with_nul_is_refused_and_nothing_is_stored(market: Market) -> None:
    """Issue 20, item 10: a NUL in a form field was stored on SQLite (and failed on
    PostgreSQL), while the JSON API refuses it."""
    order = market.shipped()
    market.advance(days=6)
    client = signed_in(market, market.buyer)
    token = csrf(client.get(f"/orders/{order.id}/dispute/new").text)
    before = snapshot(market.rt.engine)
    for name, value in (("description", "Nothing\x00 came."), ("requested_refund\x00", "5")):
        answer = client.post(f"/orders/{order.id}/dispute/new", data={
            "csrf_token": token, "reason": "not_received", "item_received": "no",
            "requested_refund": "5.00", "description": "Nothing came.", name: value})  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert "NUL character" in answer.text and answer.headers["content-type"].startswith(
            "text/html")  # fmt: skip
    signed_out = TestClient(create_app(market.deps), raise_server_exceptions=False)
    form = signed_out.get("/sign-in")
    sign_in_token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
    assert sign_in_token is not None
    fields = {"sign_in_token": sign_in_token.group(1), "email": "a\x00@t.io", "password": "x"}
    refused = signed_out.post("/sign-in", data=fields)
    assert refused.status_code == 422 and "NUL character" in refused.text
    assert snapshot(market.rt.engine) == before


def test_the_api_docs_load_nothing_from_another_site_and_carry_a_csp(market: Market) -> None:
    """Issue 20, item 11: /docs loaded swagger-ui-dist@5 from a CDN, unpinned, without
    integrity, on the session cookie's origin."""
    client = TestClient(create_app(market.deps))
    page = client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/", "data:")) for s in sources), sources
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    for source in sources:
        if source.startswith("/"):
            assert client.get(source).status_code == 200, source
    bundle = client.get("/static/swagger-ui/swagger-ui-bundle.js").content
    assert hashlib.sha256(bundle).hexdigest() == SWAGGER_UI_BUNDLE_SHA256  # npm's 5.35.0
    assert client.get("/docs/oauth2-redirect").status_code == 404  # no OAuth here


SWAGGER_UI_BUNDLE_SHA256 = "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"


def test_evidence_on_the_pages_is_never_cached_as_on_the_api(market: Market) -> None:
    """Issue 20, item 11: the pages sent evidence with ``private, max-age=3600`` while the
    API's download says ``no-store``."""
    key = "pk_test_docs_cache"
    transactions.run(market.deps, lambda uow: ensure_platform_key(market.deps, uow, key))
    api = TestClient(create_app(market.deps))
    made = api.post("/v1/users", headers={"Authorization": f"Bearer {key}"}, json={
        "role": "buyer", "name": "Ana", "email": "ana.cache@t.io", "country": "DE"})  # fmt: skip
    assert made.status_code == 201, made.text
    buyer_key = made.json()["api_key"]
    upload = api.post("/v1/files", headers={"Authorization": f"Bearer {buyer_key}"},
                      files={"file": ("note.txt", b"the parcel never came", "text/plain")},
                      data={"purpose": "dispute_evidence"})  # fmt: skip
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["id"]
    user = market.tx(lambda uow: uow.users.get(made.json()["id"]))
    assert user is not None
    page = signed_in(market, user).get(f"/files/{file_id}")
    download = api.get(f"/v1/files/{file_id}/content",
                       headers={"Authorization": f"Bearer {buyer_key}"})  # fmt: skip
    assert page.status_code == download.status_code == 200
    assert page.headers["cache-control"] == download.headers["cache-control"]
    assert "no-store" in page.headers["cache-control"]
    assert "max-age" not in page.headers["cache-control"]
