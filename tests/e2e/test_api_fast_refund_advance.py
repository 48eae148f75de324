"""Fast Refund from the seller's balance first (issue 19, item 2), over HTTP on SQLite and
PostgreSQL. The default policy: a restricted seller (2 % of defects over at least 5 orders)
has ``fast_refund_from_balance``; a Platinum buyer is refunded when the return ships (orders
up to 25 USD); commission 5 %.

A restricted seller with money released from earlier orders: the Fast Refund comes out of
that balance, the order's escrow stays whole; when the goods are back the balance is whole
again, and the order's release pays the seller and the platform exactly what a seller in
good standing gets. A balance smaller than the refund pays what it holds, escrow the rest;
a refund the provider refuses gives the advance back. The books prove every invariant."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture  # noqa: F401

from books import assert_ledger_invariants
from refundkit.adapters.db import tables
from refundkit.adapters.db.ledger_repository import invariant_violations

CHEAP = [{"sku": "s", "title": "Mug", "quantity": 1, "unit_price": "12.50"}]  # 17.50 in all
EARLIER_RELEASES = 4 * (1750 - 88)
"""Four earlier orders of 17.50 released, less 5 % commission (87.5, rounded half up)."""


def _do(api: Api, who: dict[str, Any], dispute_id: str, action: str, body: Any = None) -> Any:
    answer = api.post(f"/v1/disputes/{dispute_id}/{action}", body or {}, key=who["api_key"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def _minor(text: str) -> int:
    whole, _, cents = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(cents or 0))


def _payable(api: Api, seller: dict[str, Any]) -> int:
    answer = api.get(f"/v1/sellers/{seller['id']}/balance")
    assert answer.status_code == 200, answer.text
    return sum(_minor(p["amount"]) for p in answer.json()["payable"] if p["currency"] == "USD")


def _escrow(api: Api, order_id: str) -> int:
    answer = api.get(f"/v1/ledger/accounts/escrow:{order_id}/balance")
    assert answer.status_code == 200, answer.text
    return sum(_minor(p["amount"]) for p in answer.json()["balances"] if p["currency"] == "USD")


def _shipped(api: Api, buyer: dict[str, Any], seller: dict[str, Any],
             payment_reference: str = "psp-1") -> str:  # fmt: skip
    order = api.create_order(buyer, seller, items=CHEAP)
    paid = api.post(f"/v1/orders/{order['id']}/pay", {"payment_reference": payment_reference})
    assert paid.status_code == 200, paid.text
    answer = api.post(f"/v1/orders/{order['id']}/ship",
                      {"carrier": "DHL", "tracking_number": f"T-{order['id']}"},
                      key=seller["api_key"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(order["id"])


def _restricted_seller_with_balance(api: Api) -> dict[str, Any]:
    """Five orders, four received and released, one lost in a dispute an agent decided."""
    seller, agent = api.user("seller", "CN"), api.user("agent", "IE")
    buyers = [api.user("buyer") for _ in range(5)]
    orders = [_shipped(api, b, seller) for b in buyers]
    for buyer, order in zip(buyers[1:], orders[1:], strict=True):
        got = api.post(f"/v1/orders/{order}/confirm-receipt", {}, key=buyer["api_key"])
        assert got.status_code == 200, got.text
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    lost = api.post(f"/v1/orders/{orders[0]}/disputes",
                    {"reason": "not_received", "item_received": False,
                     "requested_refund": "17.50", "return_goods": False,
                     "description": "never came"}, key=buyers[0]["api_key"]).json()  # fmt: skip
    _do(api, seller, lost["id"], "reject", {"reason": "it was delivered"})
    _do(api, buyers[0], lost["id"], "escalate")
    _do(api, agent, lost["id"], "decision", {"outcome": "full_refund",
                                              "rationale": "no proof of delivery"})  # fmt: skip
    api.post("/v1/sandbox/clock/advance", {"days": 11})  # the four windows closed: released
    assert all(api.order(o)["status"] == "completed" for o in orders[1:])
    standing = api.get(f"/v1/sellers/{seller['id']}/standing").json()
    assert standing["standing"] == "restricted"
    assert standing["consequences"]["fast_refund_from_balance"] is True
    assert _payable(api, seller) == EARLIER_RELEASES
    return seller


def _fast_refunded(
    api: Api, seller: dict[str, Any], *, payment_reference: str = "psp-1", restricted: bool = True
) -> tuple[str, dict[str, Any]]:
    """A Platinum buyer's change of mind, the goods to go back; the return ships."""
    buyer = api.user("buyer", tier="platinum")
    order = _shipped(api, buyer, seller, payment_reference)
    got = api.post(f"/v1/orders/{order}/confirm-receipt", {}, key=buyer["api_key"])
    assert got.status_code == 200, got.text
    opened = api.post(f"/v1/orders/{order}/disputes",
                      {"reason": "changed_mind", "item_received": True,
                       "requested_refund": "12.50", "return_goods": True,
                       "description": "not for me"}, key=buyer["api_key"])  # fmt: skip
    assert opened.status_code == 201, opened.text
    d = opened.json()
    if restricted:
        assert (d["status"], d["decided_by"]) == ("awaiting_return", "policy")
    else:
        d = _do(api, seller, d["id"], "accept")
    shipped = _do(api, buyer, d["id"], "return-shipment",
                  {"carrier": "DHL", "tracking_number": f"R-{order}"})  # fmt: skip
    assert shipped["status"] == "return_in_transit"
    return order, shipped


def _goods_back(api: Api, seller: dict[str, Any], order: str, dispute_id: str) -> None:
    scan = {"carrier": "DHL", "tracking_number": f"R-{order}", "status": "delivered",
            "country": "CN", "city": "Shenzhen",
            "occurred_at": api.get("/v1/sandbox/clock").json()["now"]}  # fmt: skip
    assert api.post("/v1/tracking-events", {"events": [scan]}).status_code == 200
    done = _do(api, seller, dispute_id, "return-received", {"condition": "as_sent"})
    assert (done["status"], done["outcome"]) == ("resolved", "partial_refund")


def _refund(api: Api, order: str) -> dict[str, Any]:
    [refund] = api.get(f"/v1/orders/{order}/refunds").json()["data"]
    found: dict[str, Any] = refund
    return found


def _kinds(api: Api, order: str) -> list[str]:
    entries = api.get(f"/v1/orders/{order}/ledger-entries", params={"limit": 100}).json()
    return [e["kind"] for e in entries["data"]]


def _released(api: Api, order: str) -> tuple[int, int]:
    """The order's release once its hold is over: (to the seller, commission)."""
    api.post("/v1/sandbox/clock/advance", {"days": 40})
    assert api.order(order)["status"] == "completed"
    timeline = api.get(f"/v1/orders/{order}/timeline", params={"limit": 100}).json()["data"]
    [event] = [e for e in timeline if e["type"] == "order.funds_released"]
    amount, commission = int(event["data"]["amount"]), int(event["data"]["commission"])
    return amount - commission, commission


def test_a_restricted_seller_advances_the_fast_refund_and_is_paid_as_in_good_standing(
    api: Api,
) -> None:
    seller = _restricted_seller_with_balance(api)
    order, d = _fast_refunded(api, seller)
    assert _payable(api, seller) == EARLIER_RELEASES - 1250  # the balance paid it
    assert _escrow(api, order) == 1750  # the order's escrow is whole
    refund = _refund(api, order)
    assert (refund["amount"], refund["advanced"], refund["clawed_back"]) == (
        "12.50", "12.50", "0.00")  # fmt: skip
    timeline = api.get(f"/v1/orders/{order}/timeline", params={"limit": 100}).json()["data"]
    [fast] = [e for e in timeline if e["type"] == "dispute.fast_refunded"]
    assert fast["data"]["advanced"] == 1250
    applied = next(e for e in timeline if e["type"] == "dispute.standing_applied")
    assert applied["data"]["seller_consequences"]["fast_refund_from_balance"] is True
    assert_ledger_invariants(api.rt.engine)

    _goods_back(api, seller, order, d["id"])
    assert _payable(api, seller) == EARLIER_RELEASES  # whole again
    assert _escrow(api, order) == 500
    assert _kinds(api, order)[-1] == "advance_repaid"
    assert_ledger_invariants(api.rt.engine)
    restricted = _released(api, order)
    assert _payable(api, seller) == EARLIER_RELEASES + restricted[0]

    good = api.user("seller", "CN")
    other, d2 = _fast_refunded(api, good, restricted=False)
    assert _refund(api, other)["advanced"] == "0.00"
    assert _escrow(api, other) == 500  # from escrow, as always
    _goods_back(api, good, other, d2["id"])
    assert "advance_repaid" not in _kinds(api, other)
    assert _released(api, other) == restricted == (475, 25)
    assert _escrow(api, order) == _escrow(api, other) == 0
    assert_ledger_invariants(api.rt.engine)


def test_a_balance_smaller_than_the_refund_pays_what_it_holds_and_escrow_the_rest(
    api: Api,
) -> None:
    seller = _restricted_seller_with_balance(api)
    paid_out = api.post(f"/v1/sellers/{seller['id']}/payouts",
                        {"amount": f"{(EARLIER_RELEASES - 500) / 100:.2f}", "currency": "USD",
                         "reference": "bank transfer"}, idem="payout-1")  # fmt: skip
    assert paid_out.status_code == 201, paid_out.text
    assert _payable(api, seller) == 500
    order, d = _fast_refunded(api, seller)
    assert _refund(api, order)["advanced"] == "5.00"
    assert _payable(api, seller) == 0  # never below zero
    assert _escrow(api, order) == 1750 - 750
    owed = api.get(f"/v1/sellers/{seller['id']}/balance").json()["owed"]
    assert all(_minor(p["amount"]) == 0 for p in owed)  # no debt
    assert_ledger_invariants(api.rt.engine)
    _goods_back(api, seller, order, d["id"])
    assert _payable(api, seller) == 500
    assert _escrow(api, order) == 500
    assert _released(api, order) == (475, 25)
    assert_ledger_invariants(api.rt.engine)


def test_a_refund_the_provider_refuses_gives_the_advance_back(api: Api) -> None:
    seller = _restricted_seller_with_balance(api)
    order, d = _fast_refunded(api, seller, payment_reference="sandbox_declined")
    assert _payable(api, seller) == EARLIER_RELEASES - 1250
    api.post("/v1/sandbox/clock/advance", {"hours": 25})  # settled: sent to the provider
    refund = _refund(api, order)
    assert (refund["status"], refund["advanced"]) == ("failed", "12.50")
    assert _payable(api, seller) == EARLIER_RELEASES  # the advance is back
    assert _escrow(api, order) == 1750
    assert _kinds(api, order)[-1] == "refund_reversed"
    assert_ledger_invariants(api.rt.engine)
    _goods_back(api, seller, order, d["id"])
    assert "advance_repaid" not in _kinds(api, order)  # void: nothing to repay
    assert _payable(api, seller) == EARLIER_RELEASES
    assert_ledger_invariants(api.rt.engine)


@pytest.mark.parametrize("refund_sent", [False, True])
def test_a_lost_chargeback_leaves_the_advance_to_the_seller(api: Api, refund_sent: bool) -> None:
    """Sent: the refund stands, the bank takes the rest of escrow but not the advance, which
    goes back to the balance when the suspended dispute closes. Not sent yet: the bank's
    loss cancels the refund, and with it the advance. Either way the seller bears the fee
    and nothing else, as in good standing."""
    seller = _restricted_seller_with_balance(api)
    order, d = _fast_refunded(api, seller)
    if refund_sent:
        api.post("/v1/sandbox/clock/advance", {"hours": 25})
        assert _refund(api, order)["status"] == "pending" and _refund(api, order)["psp"]
    opened = api.post(f"/v1/sandbox/orders/{order}/chargeback", {"reason": "fraudulent"})
    assert opened.status_code == 201, opened.text
    cb = opened.json()
    closed = api.post(f"/v1/sandbox/chargebacks/{cb['id']}/close", {"outcome": "lost"})
    assert closed.status_code == 200, closed.text
    fee = _minor(cb["fee"])
    assert api.get(f"/v1/disputes/{d['id']}").json()["status"] == "closed"
    assert _refund(api, order)["status"] == ("pending" if refund_sent else "canceled")
    assert _payable(api, seller) == EARLIER_RELEASES - fee
    assert _escrow(api, order) == 0
    kinds = _kinds(api, order)
    assert ("advance_repaid" in kinds) is refund_sent
    assert_ledger_invariants(api.rt.engine)


def test_ledger_verify_names_an_advance_the_books_lost_track_of(api: Api) -> None:
    seller = _restricted_seller_with_balance(api)
    order, d = _fast_refunded(api, seller)
    with api.rt.engine.begin() as conn:
        conn.execute(sa.update(tables.orders).where(tables.orders.c.id == order)
                     .values(advanced_amount=0))  # fmt: skip
        conn.execute(sa.update(tables.disputes).where(tables.disputes.c.id == d["id"])
                     .values(status="closed"))  # fmt: skip
    with api.rt.engine.connect() as conn:
        problems = invariant_violations(conn)
    assert f"order {order}: escrow holds 1750 but the order says 500" in problems
    assert f"order {order} keeps 0 of advances, its disputes owe 1250" in problems
    assert f"dispute {d['id']} (closed) owes 1250 of an advance back" in problems
    with api.rt.engine.begin() as conn:  # put the rows back: the books are whole again
        conn.execute(sa.update(tables.orders).where(tables.orders.c.id == order)
                     .values(advanced_amount=1250))  # fmt: skip
        conn.execute(sa.update(tables.disputes).where(tables.disputes.c.id == d["id"])
                     .values(status="return_in_transit"))  # fmt: skip
