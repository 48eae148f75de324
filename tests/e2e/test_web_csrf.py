"""Forged forms (issue 8: "CSRF without a token, with another session's token, from another
origin"), over HTTP on SQLite and PostgreSQL. Every kind of form the pages post is sent
with no token, with the token of another signed-in session (another person's, and the same
person's other session), and with its own token from another site (a foreign ``Origin``,
``Origin: null``, a foreign ``Referer``, ``Sec-Fetch-Site: cross-site``). Each is refused
with a readable 403 page and leaves every row of the database as it was; the same form with
its own token from this site then passes the check (it is not refused as forged)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_client import snapshot
from fastapi.testclient import TestClient
from web_client import PASSWORD, csrf, signed_in

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.roles import Role
from refundkit.entrypoints.web.actions import ORDER_FORMS
from refundkit.service import disputes
from refundkit.service.records import User

FOREIGN = "https://evil.example"
DISPUTE_ACTIONS = ("accept", "offer", "reject", "escalate", "withdraw", "return_shipment",
                   "return_received", "appeal", "message", "evidence", "decide",
                   "request_evidence", "appeal_decision")  # fmt: skip


class Person:
    """One signed-in session of a user, and the CSRF token of another of their sessions."""

    def __init__(self, market: Market, user: User) -> None:
        self.client = signed_in(market, user)
        self.token = csrf(self.client.get("/messages").text)
        self.other_own_session = csrf(signed_in(market, user).get("/messages").text)


@pytest.fixture
def people(market: Market) -> dict[str, Any]:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    dispute = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer,
                                                          order.id, form, [])).dispute  # fmt: skip
    return {
        "buyer": Person(market, market.buyer),
        "seller": Person(market, market.seller),
        "agent": Person(market, market.user(Role.AGENT, "IE")),
        "order": order.id,
        "paid": market.paid().id,
        "dispute": dispute.id,
    }


def _refused(answer: Any, what: str) -> None:
    assert answer.status_code == 403, (what, answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("text/html"), what
    assert "Form refused" in answer.text and "send it again" in answer.text, what


def _forged(market: Market, person: Person, stranger: Person, url: str,
            data: dict[str, str]) -> None:  # fmt: skip
    """Every forgery of one form is refused and changes nothing; the real one passes."""
    own = {**data, "csrf_token": person.token}
    variants: list[tuple[str, dict[str, str], dict[str, str]]] = [
        ("no token", data, {}),
        ("an empty token", {**data, "csrf_token": ""}, {}),
        ("another person's session token", {**data, "csrf_token": stranger.token}, {}),
        ("the same person's other session token",
         {**data, "csrf_token": person.other_own_session}, {}),
        ("a foreign Origin", own, {"Origin": FOREIGN}),
        ("Origin null", own, {"Origin": "null"}),
        ("a foreign Referer", own, {"Referer": f"{FOREIGN}/win-a-prize"}),
        ("a cross-site fetch", own, {"Sec-Fetch-Site": "cross-site"}),
    ]  # fmt: skip
    before = snapshot(market.rt.engine)
    for name, body, headers in variants:
        answer = person.client.post(url, data=body, headers=headers, follow_redirects=False)
        _refused(answer, f"{url} with {name}")
        assert snapshot(market.rt.engine) == before, f"{url} with {name} changed the database"
    real = person.client.post(url, data=own, headers={"Origin": "http://testserver",
                                                      "Referer": "http://testserver/orders"},
                              follow_redirects=False)  # fmt: skip
    assert real.status_code != 403 and "Form refused" not in real.text, (url, real.text[:300])


def test_every_order_action_refuses_a_forged_form(market: Market, people: dict[str, Any]) -> None:
    buyer, seller = people["buyer"], people["seller"]
    fields = {"reason": "x", "days": "3", "carrier": "DHL", "tracking_number": "T9"}
    posting = [a for a, f in ORDER_FORMS.items() if f.link is None]
    assert len(posting) == 8
    for action in posting:
        who = seller if action in ("ship", "approve_cancellation", "reject_cancellation",
                                   "approve_extension", "reject_extension") else buyer  # fmt: skip
        stranger = buyer if who is seller else seller
        _forged(market, who, stranger, f"/orders/{people['paid']}/actions/{action}", fields)


def test_every_dispute_action_refuses_a_forged_form(market: Market, people: dict[str, Any]) -> None:
    buyer, seller, agent = people["buyer"], people["seller"], people["agent"]
    by = {"accept": seller, "offer": seller, "reject": seller, "return_received": seller,
          "decide": agent, "request_evidence": agent, "appeal_decision": agent}  # fmt: skip
    for action in DISPUTE_ACTIONS:
        who = by.get(action, buyer)
        _forged(market, who, seller if who is buyer else buyer,
                f"/disputes/{people['dispute']}/actions/{action}",
                {"body": "Hello", "reason": "x", "refund_amount": "5.00", "note": "n",
                 "outcome": "no_refund", "party": "seller"})  # fmt: skip


def test_opening_a_dispute_the_calendar_and_signing_out_refuse_a_forged_form(
    market: Market, people: dict[str, Any]
) -> None:
    buyer, seller = people["buyer"], people["seller"]
    _forged(market, buyer, seller, f"/orders/{people['paid']}/dispute/new",
            {"reason": "not_received", "item_received": "no", "requested_refund": "5.00",
             "description": "Nothing came."})  # fmt: skip
    _forged(market, buyer, seller, "/calendar", {})
    _forged(market, buyer, seller, "/sign-out", {})  # last: the real one signs out
    assert buyer.client.get("/orders", follow_redirects=False).status_code == 303


def test_the_sign_in_form_refuses_a_forged_form(market: Market, people: dict[str, Any]) -> None:
    client = TestClient(market_app(market), raise_server_exceptions=False)
    other = TestClient(market_app(market), raise_server_exceptions=False)
    token = _sign_in_token(client)
    foreign = _sign_in_token(other)
    data = {"email": market.buyer.email, "password": PASSWORD}
    before = snapshot(market.rt.engine)
    for name, body, headers in [
        ("no token", data, {}),
        ("another browser's token", {**data, "sign_in_token": foreign}, {}),
        ("a foreign Origin", {**data, "sign_in_token": token}, {"Origin": FOREIGN}),
        ("a foreign Referer", {**data, "sign_in_token": token},
         {"Referer": f"{FOREIGN}/login"}),
    ]:  # fmt: skip
        _refused(client.post("/sign-in", data=body, headers=headers, follow_redirects=False),
                 f"sign-in with {name}")  # fmt: skip
        assert snapshot(market.rt.engine) == before, name
    real = client.post("/sign-in", data={**data, "sign_in_token": token}, follow_redirects=False)
    assert real.status_code == 303


def market_app(market: Market) -> Any:
    from refundkit.entrypoints.api.app import create_app

    return create_app(market.deps)


def _sign_in_token(client: TestClient) -> str:
    found = re.search(r'name="sign_in_token" value="([^"]+)"', client.get("/sign-in").text)
    assert found is not None
    return found.group(1)
