"""Standing over HTTP (issue 19), on SQLite and PostgreSQL: a seller past the threshold gets
the consequence on the next dispute; an exclusion an agent accepts lowers the rate; a buyer
past the threshold loses Fast Refund, and an agent's clearance gives it back; a used
return's deduction stops at the policy's cap, and the refund shrinks by it to the cent.
The default policy: restricted from 2 % over at least 5 orders; Fast Refund off from two
buyer signals; deductions up to 50 %."""

from __future__ import annotations

from typing import Any

from api_client import Api, api_fixture, assert_problem  # noqa: F401

CHEAP = [{"sku": "s", "title": "Mug", "quantity": 1, "unit_price": "12.50"}]  # 17.50 in all


def _shipped(api: Api, buyer: dict[str, Any], seller: dict[str, Any]) -> str:
    """A paid order shipped under its own tracking number (a shared one is a signal)."""
    order = api.create_order(buyer, seller, items=CHEAP)
    api.pay(order["id"])
    answer = api.post(f"/v1/orders/{order['id']}/ship",
                      {"carrier": "DHL", "tracking_number": f"T-{order['id']}"},
                      key=seller["api_key"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(order["id"])


def _dispute(api: Api, buyer: dict[str, Any], order_id: str, reason: str = "changed_mind",
             **extra: Any) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"reason": reason, "item_received": reason != "not_received",
                            "requested_refund": "12.50", "return_goods": reason != "not_received",
                            "description": "see above", **extra}  # fmt: skip
    answer = api.post(f"/v1/orders/{order_id}/disputes", body, key=buyer["api_key"])
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def _do(api: Api, who: dict[str, Any], dispute_id: str, action: str, body: Any = None) -> Any:
    answer = api.post(f"/v1/disputes/{dispute_id}/{action}", body or {}, key=who["api_key"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def _seller_standing(api: Api, seller: dict[str, Any]) -> dict[str, Any]:
    answer = api.get(f"/v1/sellers/{seller['id']}/standing", key=seller["api_key"])
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _restricted_seller(api: Api) -> tuple[dict[str, Any], dict[str, Any], list[str], str]:
    """A seller with five paid orders, one of them lost in a dispute an agent decided."""
    seller, agent = api.user("seller", "CN"), api.user("agent", "IE")
    buyers = [api.user("buyer") for _ in range(5)]
    orders = [_shipped(api, b, seller) for b in buyers]
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    lost = _dispute(api, buyers[0], orders[0], "not_received")
    _do(api, seller, lost["id"], "reject", {"reason": "it was delivered"})
    _do(api, buyers[0], lost["id"], "escalate")
    _do(api, agent, lost["id"], "decision", {"outcome": "full_refund",
                                              "rationale": "no proof of delivery"})  # fmt: skip
    return seller, agent, orders, lost["id"]


def test_a_seller_past_the_threshold_has_the_next_return_approved_at_once(api: Api) -> None:
    seller, _, orders, lost = _restricted_seller(api)
    standing = _seller_standing(api, seller)
    assert (standing["standing"], standing["orders"], standing["defects_counted"]) == (
        "restricted", 5, 1)  # fmt: skip
    assert standing["defect_rate"] == "0.2000" and standing["defect_rate_basis_points"] == 2000
    assert standing["rule"] == "seller_standing.restricted_from_basis_points"
    assert standing["consequences"] == {"approve_returns_at_once": True,
                                        "extra_escrow_hold_days": 14,
                                        "fast_refund_from_balance": True}  # fmt: skip
    assert [(d["order_id"], d["kind"], d["source_id"]) for d in standing["defects"]] == [
        (orders[0], "dispute_lost", lost)]  # fmt: skip
    buyer = api.user("buyer")
    order = _shipped(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    d = _dispute(api, buyer, order)
    assert (d["status"], d["decided_by"], d["rule"], d["refund_amount"]) == (
        "awaiting_return", "policy", "seller_standing.restricted: approve_returns_at_once",
        "12.50")  # fmt: skip
    timeline = api.get(f"/v1/disputes/{d['id']}/timeline", key=buyer["api_key"]).json()["data"]
    applied = next(e for e in timeline if e["type"] == "dispute.standing_applied")
    assert applied["data"]["seller_standing"] == "restricted"
    assert applied["data"]["buyer_standing"] == "good"
    placed = api.get(f"/v1/orders/{order}/timeline").json()["data"]
    assert any(e["type"] == "order.standing_applied"
               and e["data"]["seller_standing"] == "restricted" for e in placed)  # fmt: skip


def test_a_restricted_seller_is_paid_for_a_new_order_only_after_the_longer_hold(api: Api) -> None:
    seller, _, _, _ = _restricted_seller(api)
    buyer = api.user("buyer")
    order = _shipped(api, buyer, seller)
    answer = api.post(f"/v1/orders/{order}/confirm-receipt", {}, key=buyer["api_key"])
    assert answer.status_code == 200, answer.text
    api.post("/v1/sandbox/clock/advance", {"days": 15, "minutes": 1})
    assert api.order(order)["status"] == "delivered"  # the window closed; 14 days of hold
    api.post("/v1/sandbox/clock/advance", {"days": 13, "hours": 23})
    assert api.order(order)["status"] == "delivered"
    api.post("/v1/sandbox/clock/advance", {"hours": 1})
    assert api.order(order)["status"] == "completed"
    released = next(e for e in api.get(f"/v1/orders/{order}/timeline").json()["data"]
                    if e["type"] == "order.funds_released")  # fmt: skip
    assert released["occurred_at"] >= api.order(order)["deadlines"]["dispute_closes_at"]


def test_a_seller_in_good_standing_answers_a_return_themself(api: Api) -> None:
    seller, buyer = api.user("seller", "CN"), api.user("buyer")
    order = _shipped(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    d = _dispute(api, buyer, order)
    assert (d["status"], d["decided_by"], d["rule"]) == ("awaiting_seller", None, None)
    standing = _seller_standing(api, seller)
    assert (standing["standing"], standing["below_minimum_orders"]) == ("good", True)


def test_a_defect_exclusion_accepted_by_an_agent_lowers_the_rate(api: Api) -> None:
    seller, agent, orders, _ = _restricted_seller(api)
    path = f"/v1/sellers/{seller['id']}/standing/exclusions"
    asked = api.post(path, {"order_id": orders[0], "reason": "the carrier lost it"},
                     key=seller["api_key"])  # fmt: skip
    assert asked.status_code == 201, asked.text
    exclusion = asked.json()["exclusions"][0]
    assert exclusion["status"] == "pending" and asked.json()["standing"] == "restricted"
    again = api.post(path, {"order_id": orders[0], "reason": "twice"}, key=seller["api_key"])
    assert_problem(again, 409, "defect_exclusion_exists")
    not_a_defect = api.post(path, {"order_id": orders[1], "reason": "x"}, key=seller["api_key"])
    assert_problem(not_a_defect, 404, "not_found")
    by_seller = api.post(f"{path}/{exclusion['id']}/decision", {"accept": True, "note": "mine"},
                         key=seller["api_key"])  # fmt: skip
    assert_problem(by_seller, 403, "forbidden")
    decided = api.post(f"{path}/{exclusion['id']}/decision",
                       {"accept": True, "note": "carrier's scan shows the loss"},
                       key=agent["api_key"])  # fmt: skip
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["standing"], body["defects_counted"], body["defect_rate"]) == (
        "good", 0, "0.0000")  # fmt: skip
    assert body["defects"][0]["excluded"] is True
    assert body["exclusions"][0]["status"] == "accepted"
    buyer = api.user("buyer")
    order = _shipped(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    assert _dispute(api, buyer, order)["status"] == "awaiting_seller"


def _flagged_buyer(api: Api) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A platinum buyer with five orders: two not-received claims after delivery (a signal)
    and three claims in all (the claim rate, a second signal); the third claim asks for a
    return the seller agrees to."""
    buyer, seller = api.user("buyer", tier="platinum"), api.user("seller", "CN")
    orders = [_shipped(api, buyer, seller) for _ in range(5)]
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    for order in orders[:2]:
        answer = api.post(f"/v1/orders/{order}/confirm-receipt", {}, key=buyer["api_key"])
        assert answer.status_code == 200, answer.text
        _dispute(api, buyer, order, "not_received")
    d = _dispute(api, buyer, orders[2])
    _do(api, seller, d["id"], "accept")
    return buyer, seller, d["id"]


def test_a_buyer_past_the_threshold_loses_fast_refund_until_an_agent_clears_a_signal(
    api: Api,
) -> None:
    buyer, _, dispute_id = _flagged_buyer(api)
    standing = api.get(f"/v1/buyers/{buyer['id']}/standing", key=buyer["api_key"]).json()
    assert (standing["standing"], standing["fast_refund_allowed"]) == ("no_fast_refund", False)
    assert standing["rule"] == "buyer_signals.no_fast_refund_from_signals"
    raised = {s["signal"]: s["rule"] for s in standing["signals"] if s["raised"]}
    assert raised == {"claim_rate": "buyer_signals.claim_rate_from_basis_points",
                      "not_received_after_delivery":
                          "buyer_signals.not_received_after_delivery_from"}  # fmt: skip
    shipped = _do(api, buyer, dispute_id, "return-shipment",
                  {"carrier": "DHL", "tracking_number": "R-1"})  # fmt: skip
    assert shipped["status"] == "return_in_transit"
    order_id = shipped["order_id"]
    assert api.get(f"/v1/orders/{order_id}/refunds").json()["data"] == []
    agent = api.user("agent", "IE")
    cleared = api.post(f"/v1/buyers/{buyer['id']}/standing/clearances",
                       {"signal": "claim_rate", "note": "claims were the carrier's fault"},
                       key=agent["api_key"])  # fmt: skip
    assert cleared.status_code == 201, cleared.text
    assert (cleared.json()["standing"], cleared.json()["fast_refund_allowed"]) == ("warned", True)
    refused = api.post(f"/v1/buyers/{buyer['id']}/standing/clearances",
                       {"signal": "claim_rate", "note": "mine"}, key=buyer["api_key"])  # fmt: skip
    assert_problem(refused, 403, "forbidden")


def test_a_platinum_buyer_in_good_standing_keeps_fast_refund(api: Api) -> None:
    buyer, seller = api.user("buyer", tier="platinum"), api.user("seller", "CN")
    order = _shipped(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    d = _dispute(api, buyer, order)
    _do(api, seller, d["id"], "accept")
    _do(api, buyer, d["id"], "return-shipment", {"carrier": "DHL", "tracking_number": "R-2"})
    assert [r["amount"] for r in api.get(f"/v1/orders/{order}/refunds").json()["data"]] == [
        "12.50"]  # fmt: skip


def _returned(api: Api, refund: str) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = _shipped(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    d = _dispute(api, buyer, order, requested_refund=refund)
    _do(api, seller, d["id"], "accept")
    _do(api, buyer, d["id"], "return-shipment", {"carrier": "UPS", "tracking_number": "RT-9"})
    now = api.get("/v1/sandbox/clock").json()["now"]
    scan = {"carrier": "UPS", "tracking_number": "RT-9", "status": "delivered", "country": "CN",
            "city": "Shenzhen", "occurred_at": now}  # fmt: skip
    answer = api.post("/v1/tracking-events", {"events": [scan]})
    assert answer.status_code in (200, 201, 202), answer.text
    return buyer, seller, order, d["id"]


def test_a_used_return_deduction_stops_at_the_policy_cap_exact_to_the_cent(api: Api) -> None:
    buyer, seller, order, d = _returned(api, "17.49")
    agent = api.user("agent", "IE")
    reported = _do(api, seller, d, "used-return-report", {"condition": "used",
                                                            "note": "worn, tags off"})  # fmt: skip
    assert reported["status"] == "escalated"
    before = api.snapshot()
    over = api.post(f"/v1/disputes/{d}/used-return-report/decision",
                    {"deduction": "8.75", "note": "half and a cent"},
                    key=agent["api_key"])  # fmt: skip
    assert_problem(over, 422, "deduction_exceeds_cap")
    assert api.snapshot() == before
    decided = _do(api, agent, d, "used-return-report/decision",
                  {"deduction": "8.74", "note": "worn: half of the refund"})  # fmt: skip
    assert (decided["status"], decided["outcome"], decided["refund_amount"], decided["rule"]) == (
        "resolved", "partial_refund", "8.75",
        "buyer_signals.used_return_max_deduction_basis_points")  # fmt: skip
    refunds = api.get(f"/v1/orders/{order}/refunds").json()["data"]
    assert [r["amount"] for r in refunds] == ["8.75"]
    signals = api.get(f"/v1/buyers/{buyer['id']}/standing").json()["signals"]
    used = next(s for s in signals if s["signal"] == "returns_reported_used")
    assert (used["count"], used["raised"]) == (1, False)


def test_a_used_return_is_reported_only_within_the_policys_days(api: Api) -> None:
    _, seller, _, d = _returned(api, "10.00")
    api.post("/v1/sandbox/clock/advance", {"days": 8})
    late = api.post(f"/v1/disputes/{d}/used-return-report", {"condition": "incomplete",
                                                              "note": "no charger"},
                    key=seller["api_key"])  # fmt: skip
    assert_problem(late, 409, "window_closed")
