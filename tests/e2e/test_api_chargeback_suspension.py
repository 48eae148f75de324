"""A chargeback suspends the order's dispute, and the dispute table says so (issue 13): the
rows a person takes hold the guard ``no chargeback open on the order``, so while the buyer's
bank decides, the dispute's ``next_actions`` (API and pages) list no step of a party, and
each step they listed before is refused with 409 ``chargeback_open``. Over HTTP, on SQLite
and PostgreSQL, in every state where a party has a step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from web_client import signed_in

from chargeback_world import bank
from market import Market
from refundkit.domain.chargebacks.model import ChargebackStatus
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import ChargebackOpen
from refundkit.domain.roles import Role
from refundkit.entrypoints.web.actions import DISPUTE_FORMS
from refundkit.service import disputes, orders

# What each step of the table is over HTTP: its path under the dispute and a body.
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "accept": ("accept", {}),
    "counter_offer": ("offers", {"refund_amount": "1.00", "note": "a little"}),
    "offer": ("offers", {"refund_amount": "1.00", "note": "a little"}),
    "reject": ("reject", {"reason": "it was delivered"}),
    "escalate": ("escalate", {}),
    "withdraw": ("withdraw", {}),
    "decide": ("decision", {"outcome": "no_refund", "rationale": "the tracking is clear"}),
    "ship_return": ("return-shipment", {"carrier": "DHL", "tracking_number": "R-2"}),
    "confirm_return": ("return-received", {"condition": "as_sent"}),
    "appeal": ("appeal", {"reason": "the outcome is wrong", "evidence_ids": []}),
}
MOVES_NOTHING = {"request_evidence"}
"""The agent's evidence request moves no dispute: it stays open while the bank decides."""


class Case:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.keys = {"buyer": api.user("buyer"), "seller": api.user("seller", "CN"),
                     "agent": api.user("agent", "IE")}  # fmt: skip
        order = api.create_order(self.keys["buyer"], self.keys["seller"])
        api.pay(order["id"])
        api.ship(order["id"], self.keys["seller"])
        self.order_id = order["id"]
        api.post("/v1/sandbox/clock/advance", {"days": 5})
        body = {"reason": "not_received", "item_received": False, "requested_refund": "30.00",
                "description": "Never arrived."}  # fmt: skip
        opened = api.post(f"/v1/orders/{self.order_id}/disputes", body, key=self.key("buyer"))
        assert opened.status_code == 201, opened.text
        self.id: str = opened.json()["id"]

    def key(self, role: str) -> str:
        found: str = self.keys[role]["api_key"]
        return found

    def do(self, role: str, path: str, body: dict[str, Any]) -> Any:
        return self.api.post(f"/v1/disputes/{self.id}/{path}", body, key=self.key(role))

    def step(self, role: str, path: str, body: dict[str, Any]) -> None:
        answer = self.do(role, path, body)
        assert answer.status_code in (200, 201), answer.text

    def next_actions(self) -> list[tuple[str, str]]:
        answer = self.api.get(f"/v1/disputes/{self.id}")
        assert answer.status_code == 200, answer.text
        return [(a["actor"], a["action"]) for a in answer.json()["next_actions"]]

    def status(self) -> str:
        found: str = self.api.get(f"/v1/disputes/{self.id}").json()["status"]
        return found


def _negotiating(c: Case) -> None:
    c.step("seller", "offers", {"refund_amount": "10.00", "note": "half"})


def _escalated(c: Case) -> None:
    c.step("seller", "reject", {"reason": "it was delivered"})
    c.step("buyer", "escalate", {})


def _awaiting_return(c: Case) -> None:
    c.step("seller", "offers", {"refund_amount": "10.00", "return_goods": True, "note": ""})
    c.step("buyer", "accept", {})


def _return_in_transit(c: Case) -> None:
    _awaiting_return(c)
    c.step("buyer", "return-shipment", {"carrier": "DHL", "tracking_number": "R-1"})


def _resolved(c: Case) -> None:
    c.step("seller", "offers", {"refund_amount": "10.00", "note": "half"})
    c.step("buyer", "accept", {})


STATES: dict[str, Callable[[Case], None]] = {
    "awaiting_seller": lambda c: None,
    "negotiating": _negotiating,
    "escalated": _escalated,
    "awaiting_return": _awaiting_return,
    "return_in_transit": _return_in_transit,
    "resolved": _resolved,
}


@pytest.mark.parametrize("state", list(STATES))
def test_while_a_chargeback_is_open_no_party_step_is_listed_and_each_is_refused_409(
    api: Api, state: str
) -> None:
    c = Case(api)
    STATES[state](c)
    assert c.status() == state
    before = [(actor, action) for actor, action in c.next_actions()
              if actor in c.keys and action not in MOVES_NOTHING]  # fmt: skip
    assert before, "the state must give a party a step, or the test says nothing"
    opened = api.post(f"/v1/sandbox/orders/{c.order_id}/chargeback",
                      {"amount": "5.00", "reason": "fraudulent"})  # fmt: skip
    assert opened.status_code == 201, opened.text
    chargeback = opened.json()["id"]

    during = c.next_actions()
    assert [a for a in during if a[1] not in MOVES_NOTHING] == [], during
    for actor, action in before:
        path, body = STEPS[action]
        refused = assert_problem(c.do(actor, path, body), 409, "chargeback_open")
        assert refused["chargeback_id"] == chargeback, refused
    assert c.status() == state, "a refused step changed nothing"
    # The agent may still ask a party for evidence: that moves nothing.
    assert ("agent", "request_evidence") in during or state != "escalated"


def _step_forms(html: str, dispute_id: str) -> list[str]:
    """The step buttons of the page: forms posting to a step of the dispute table (the
    message and evidence forms are not steps)."""
    steps = {f.action for f in DISPUTE_FORMS.values()} | {"decide"}
    return [s for s in sorted(steps) if f'action="/disputes/{dispute_id}/actions/{s}"' in html]


def test_the_dispute_page_shows_no_step_buttons_while_a_chargeback_is_open(
    market: Market,
) -> None:
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 1200, False, "Nothing arrived.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute.id  # fmt: skip
    other = market.shipped()
    market.advance(days=5)
    escalated = market.tx(lambda uow: disputes.open_dispute(
        market.deps, uow, market.buyer, other.id, form, [])).dispute.id  # fmt: skip
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, escalated, "Sent."))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, market.buyer, escalated))
    agent = market.user(Role.AGENT, "IE")
    pages = {
        "seller": (signed_in(market, market.seller), d),
        "buyer": (signed_in(market, market.buyer), d),
        "agent": (signed_in(market, agent), escalated),
    }
    for who, (client, dispute_id) in pages.items():
        page = client.get(f"/disputes/{dispute_id}")
        assert page.status_code == 200, page.text
        assert _step_forms(page.text, dispute_id), f"the {who} has steps before the chargeback"
    bank(market, order.id, ChargebackStatus.NEEDS_RESPONSE, ref="du_page1")
    bank(market, other.id, ChargebackStatus.NEEDS_RESPONSE, ref="du_page2")
    for who, (client, dispute_id) in pages.items():
        page = client.get(f"/disputes/{dispute_id}")
        assert page.status_code == 200, page.text
        assert "The buyer&#39;s bank is reversing this payment." in page.text or (
            "The buyer's bank is reversing this payment." in page.text
        )
        assert _step_forms(page.text, dispute_id) == [], who
        assert "Decide the case" not in page.text


def test_while_a_chargeback_is_open_no_dispute_opens_and_the_order_offers_none(
    market: Market,
) -> None:
    """Opening a dispute is a row of the order table with the same guard: the order's
    ``next_actions`` and its page stop offering it, and the use case refuses it 409."""
    order = market.shipped()
    market.advance(days=5)
    buyer_page = signed_in(market, market.buyer)

    def offered() -> tuple[bool, bool]:
        listed = market.tx(lambda uow: orders.get_order(market.deps, uow, market.buyer, order.id))
        page = buyer_page.get(f"/orders/{order.id}")
        assert page.status_code == 200, page.text
        in_json = any(str(a.action) == "open_dispute" for a in listed.next_actions)
        return in_json, f'href="/orders/{order.id}/dispute/new"' in page.text

    assert offered() == (True, True)
    chargeback = bank(market, order.id, ChargebackStatus.NEEDS_RESPONSE, ref="du_open1")
    assert offered() == (False, False)
    form = DisputeForm("not_received", None, False, 1200, False, "Nothing arrived.")
    with pytest.raises(ChargebackOpen) as refused:
        market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, []))  # fmt: skip
    assert refused.value.extra["chargeback_id"] == chargeback.id
    assert market.tx(lambda uow: uow.disputes.for_order(order.id)) == []
