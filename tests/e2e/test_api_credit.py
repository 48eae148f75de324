"""Returnless refunds and store credit over HTTP (issue 19, items 1 and 4), on both
databases: a cheap dispute the seller agrees to (or is silent on) is refunded without a
return, naming its rule, unless it is a change of mind or the seller's own stricter limits
say otherwise; a refund goes to store credit only when the buyer chose it, and then never
to the payment provider; a counterfeit outcome pays a multiple of the price as credit,
recovered from the seller; a late delivery pays the policy's credit; the ledger proves
credit never goes negative and is always funded."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from api_client import Api, api_fixture, assert_problem  # noqa: F401

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.adapters.policy_files import default_policy_text

CHEAP = [{"sku": "mug", "title": "Mug", "quantity": 1, "unit_price": "8.00"}]
LOW_VALUE = "returnless.rules: low_value"


class Shop:
    def __init__(self, api: Api, items: list[dict[str, Any]] | None = None) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        self.order_id = self.new_order(items)

    def new_order(self, items: list[dict[str, Any]] | None = None, *, advance: bool = True) -> str:
        order = self.api.create_order(self.buyer, self.seller, items=items or CHEAP,
                                      shipping_fee="2.00")  # fmt: skip
        self.api.pay(order["id"])
        self.api.ship(order["id"], self.seller)
        if advance:
            self.api.post("/v1/sandbox/clock/advance", {"days": 5})
        return str(order["id"])

    def photo(self) -> str:
        from test_files import png

        answer = self.api.client.post(
            "/v1/files", files={"file": ("photo.png", png(), "image/png")},
            data={"purpose": "dispute_evidence"},
            headers={"Authorization": f"Bearer {self.buyer['api_key']}"},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def open(self, reason: str, amount: str = "10.00", *, order_id: str | None = None,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {
            "reason": reason, "item_received": reason != "not_received",
            "requested_refund": amount, "description": "Not right.", **extra}  # fmt: skip
        if reason not in ("not_received", "changed_mind"):
            body["evidence_ids"] = [self.photo()]
        answer = self.api.post(f"/v1/orders/{order_id or self.order_id}/disputes", body,
                               key=self.buyer["api_key"])  # fmt: skip
        assert answer.status_code == 201, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def do(self, who: dict[str, Any], dispute_id: str, action: str, body: Any = None) -> Any:
        return self.api.post(f"/v1/disputes/{dispute_id}/{action}", body or {},
                             key=who["api_key"])  # fmt: skip

    def refunds(self, order_id: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.api.get(
            f"/v1/orders/{order_id or self.order_id}/refunds").json()["data"]  # fmt: skip
        return found

    def credit(self, key: str | None = None) -> dict[str, Any]:
        answer = self.api.get(f"/v1/buyers/{self.buyer['id']}/credit",
                              key=key or self.buyer["api_key"])  # fmt: skip
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


def _events(api: Api, order_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/v1/orders/{order_id}/timeline?limit=100").json()[
        "data"
    ]
    return found


def _timeline(api: Api, order_id: str) -> list[str]:
    return [e["type"] for e in _events(api, order_id)]


def test_a_silent_seller_on_a_cheap_not_as_described_dispute_refunds_without_return(
    api: Api,
) -> None:
    shop = Shop(api)
    opened = shop.open("not_as_described", return_goods=True)
    assert opened["refund_destination"] == "original"
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    d = api.get(f"/v1/disputes/{opened['id']}").json()
    assert (d["status"], d["outcome"], d["decided_by"], d["rule"]) == (
        "resolved", "full_refund", "policy", LOW_VALUE)  # fmt: skip
    assert d["return_ship_by"] is None and "seller did not answer" in d["rationale"]
    assert [r["amount"] for r in shop.refunds()] == ["10.00"]
    assert "dispute.return_waived" in [
        e["type"] for e in api.get(f"/v1/disputes/{d['id']}/timeline").json()["data"]]  # fmt: skip


def test_a_cheap_change_of_mind_still_needs_the_goods_back(api: Api) -> None:
    shop = Shop(api)
    opened = shop.open("changed_mind", return_goods=True)
    accepted = shop.do(shop.seller, opened["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    d = accepted.json()
    assert (d["status"], d["rule"], d["return_ship_by"] is not None) == (
        "awaiting_return", None, True)  # fmt: skip
    assert shop.refunds() == []


def test_a_dispute_above_the_band_needs_the_goods_back(api: Api) -> None:
    shop = Shop(api, [{"sku": "lamp", "title": "Lamp", "quantity": 1, "unit_price": "10.01"}])
    opened = shop.open("damaged", "12.01", return_goods=True)
    d = shop.do(shop.seller, opened["id"], "accept").json()
    assert (d["status"], d["rule"]) == ("awaiting_return", None)


def test_a_sellers_stricter_rules_apply_and_may_never_be_looser(api: Api) -> None:
    shop = Shop(api)
    path = f"/v1/sellers/{shop.seller['id']}/returnless-rules"
    tighter = {"max_price": {"USD": "5.00"}}
    assert_problem(
        api.request("PUT", path, json_body=tighter, key=shop.seller["api_key"]), 403, "forbidden"
    )
    looser = api.request("PUT", path, json_body={"max_price": {"USD": "20.00"}})
    assert_problem(looser, 422, "looser_than_policy")
    assert_problem(api.request("PUT", path, json_body={"reasons": ["changed_mind"]}), 422,
                   "looser_than_policy")  # fmt: skip
    assert_problem(api.request("PUT", path, json_body={"max_price": {"JPY": "1"}}), 422,
                   "looser_than_policy")  # fmt: skip
    assert api.get(path, key=shop.seller["api_key"]).json()["max_price"] == {}
    stranger = api.user("seller")
    assert_problem(api.get(path, key=stranger["api_key"]), 404, "not_found")
    assert api.request("PUT", path, json_body=tighter).status_code == 200
    seen = api.get(path, key=shop.seller["api_key"]).json()
    assert (seen["max_price"], seen["policy_rules"][0]["name"]) == ({"USD": "5.00"}, "low_value")
    opened = shop.open("not_as_described", return_goods=True)
    d = shop.do(shop.seller, opened["id"], "accept").json()
    assert (d["status"], d["rule"]) == ("awaiting_return", None)
    # Only books go back without a return for this seller: the order's category decides.
    assert api.request("PUT", path, json_body={"categories": ["books"]}).status_code == 200
    book = shop.new_order([{**CHEAP[0], "category": "books"}])
    assert api.order(book)["items"][0]["category"] == "books"
    d = shop.do(shop.seller, shop.open("damaged", order_id=book, return_goods=True)["id"],
                "accept").json()  # fmt: skip
    assert (d["status"], d["rule"]) == ("resolved", LOW_VALUE)
    toy = shop.new_order([{**CHEAP[0], "category": "toys"}])
    d = shop.do(shop.seller, shop.open("damaged", order_id=toy, return_goods=True)["id"],
                "accept").json()  # fmt: skip
    assert d["status"] == "awaiting_return"


def test_a_counterfeit_outcome_pays_the_multiple_as_credit_recovered_from_the_seller(
    api: Api,
) -> None:
    shop = Shop(api)
    opened = shop.open("counterfeit")
    d = shop.do(shop.seller, opened["id"], "accept").json()
    assert (d["outcome"], d["compensation_credit"]) == ("full_refund", "16.00")
    credit = shop.credit()
    assert credit["balances"] == [{"currency": "USD", "amount": "16.00"}]
    assert [(e["kind"], e["amount"]) for e in credit["data"]] == [("credit_compensation", "16.00")]
    # The card gets the refund; the credit is on top, never cashed out.
    assert [(r["amount"], r["destination"]) for r in shop.refunds()] == [("10.00", "original")]
    owed = api.get(f"/v1/sellers/{shop.seller['id']}/balance").json()["owed"]
    assert [(p["currency"], p["amount"]) for p in owed] == [("USD", "16.00")]
    assert "credit.granted" in _timeline(api, shop.order_id)
    [told] = _credit_messages(api, shop)
    assert (told["subject"], told["dispute_id"]) == (
        f"16.00 USD of store credit on order {shop.order_id}", opened["id"])  # fmt: skip
    assert "counterfeit" in told["body"] and "/credit" in told["body"]
    # The seller's next earnings pay the platform back first.
    later = shop.new_order([{"sku": "vase", "title": "Vase", "quantity": 1,
                             "unit_price": "40.00"}], advance=False)  # fmt: skip
    api.post(f"/v1/orders/{later}/confirm-receipt", {}, key=shop.buyer["api_key"])
    api.post("/v1/sandbox/clock/advance", {"days": 16})
    assert api.order(later)["status"] == "completed"
    after = api.get(f"/v1/sellers/{shop.seller['id']}/balance").json()
    assert after["owed"] in ([], [{"currency": "USD", "amount": "0.00"}])
    with api.rt.engine.connect() as conn:
        assert invariant_violations(conn) == []


def test_a_counterfeit_compensation_the_seller_still_owes_when_due_is_overdue(
    api: Api,
) -> None:
    shop = Shop(api)  # the seller has no balance: the platform covers the 16.00
    opened = shop.open("counterfeit")
    shop.do(shop.seller, opened["id"], "accept")
    [granted] = [e for e in _events(api, shop.order_id) if e["type"] == "credit.granted"
                 and e["data"]["kind"] == "counterfeit_compensation"]  # fmt: skip
    due = datetime.fromisoformat(granted["data"]["due_at"])
    now = datetime.fromisoformat(api.get("/v1/sandbox/clock").json()["now"])
    assert (due - now).days == 15  # refunds.seller_funds_within_days
    api.post("/v1/sandbox/clock/advance", {"days": 14})
    assert "seller.debt_overdue" not in _timeline(api, shop.order_id)
    api.post("/v1/sandbox/clock/advance", {"days": 1, "hours": 1})
    [overdue] = [e for e in _events(api, shop.order_id) if e["type"] == "seller.debt_overdue"]
    assert (overdue["data"]["owed"], overdue["data"]["dispute_id"], overdue["data"]["reason"]) == (
        1600, opened["id"], "counterfeit_compensation")  # fmt: skip


def test_a_counterfeit_compensation_paid_back_in_time_is_not_overdue(api: Api) -> None:
    shop = Shop(api)
    later = shop.new_order([{"sku": "vase", "title": "Vase", "quantity": 1,
                             "unit_price": "40.00"}], advance=False)  # fmt: skip
    api.post(f"/v1/orders/{later}/confirm-receipt", {}, key=shop.buyer["api_key"])
    api.post("/v1/sandbox/clock/advance", {"days": 8})
    opened = shop.open("counterfeit")
    shop.do(shop.seller, opened["id"], "accept")  # owed 16.00, due in 15 days
    api.post("/v1/sandbox/clock/advance", {"days": 10})
    assert api.order(later)["status"] == "completed"  # its earnings paid the 16.00 back
    owed = api.get(f"/v1/sellers/{shop.seller['id']}/balance").json()["owed"]
    assert owed in ([], [{"currency": "USD", "amount": "0.00"}])
    api.post("/v1/sandbox/clock/advance", {"days": 10})
    assert "seller.debt_overdue" not in _timeline(api, shop.order_id)


def test_store_credit_only_when_chosen_and_then_no_provider_refund(api: Api) -> None:
    shop = Shop(api)
    chosen = shop.open("not_received", refund_destination="store_credit")
    d = shop.do(shop.seller, chosen["id"], "accept").json()
    assert (d["refund_destination"], d["outcome"]) == ("store_credit", "full_refund")
    card_order = shop.new_order()
    plain = shop.open("not_received", order_id=card_order)
    shop.do(shop.seller, plain["id"], "accept")
    api.post("/v1/sandbox/clock/advance", {"days": 2})
    [credited] = shop.refunds()
    assert (credited["destination"], credited["status"], credited["psp"]) == (
        "store_credit", "succeeded", None)  # fmt: skip
    [card] = shop.refunds(card_order)
    assert (card["destination"], card["psp"]) == ("original", "sandbox")  # sent to the provider
    credit = shop.credit(key=api.platform_key)
    assert credit["balances"] == [{"currency": "USD", "amount": "10.00"}]
    assert [e["kind"] for e in credit["data"]] == ["refund_to_credit"]
    assert _credit_messages(api, shop) == []  # told as the refund it is
    summary = api.get("/v1/ledger/summary").json()
    assert [(p["currency"], p["amount"]) for p in summary["store_credit"]] == [("USD", "10.00")]
    assert api.order(shop.order_id)["amounts"]["refunded"] == "10.00"
    other = api.user("buyer")
    assert_problem(api.get(f"/v1/buyers/{shop.buyer['id']}/credit", key=other["api_key"]), 404,
                   "not_found")  # fmt: skip


def test_the_buyer_may_choose_credit_when_accepting_an_offer_and_only_the_buyer(
    api: Api,
) -> None:
    shop = Shop(api)
    opened = shop.open("not_received")
    assert (
        shop.do(shop.seller, opened["id"], "offers", {"refund_amount": "6.00"}).status_code == 200
    )
    by_seller = shop.do(shop.seller, opened["id"], "accept", {"refund_destination": "store_credit"})
    assert_problem(by_seller, (409, 422), ("invalid_transition", "validation_error"))
    bad = shop.do(shop.buyer, opened["id"], "accept", {"refund_destination": "cash"})
    assert_problem(bad, 422, "validation_error")
    done = shop.do(shop.buyer, opened["id"], "accept", {"refund_destination": "store_credit"})
    assert done.status_code == 200, done.text
    assert [(r["amount"], r["destination"]) for r in shop.refunds()] == [("6.00", "store_credit")]
    assert shop.credit()["balances"] == [{"currency": "USD", "amount": "6.00"}]


def test_a_late_delivery_pays_the_policys_credit_once(api: Api) -> None:
    shop = Shop(api)  # promised in 20 days; 5 have passed
    api.post("/v1/sandbox/clock/advance", {"days": 15, "hours": 47})
    assert shop.credit()["data"] == []
    api.post("/v1/sandbox/clock/advance", {"hours": 2})
    credit = shop.credit()
    assert [(e["kind"], e["amount"]) for e in credit["data"]] == [("credit_late_delivery", "5.00")]
    summary = api.get("/v1/ledger/summary").json()
    assert [p["amount"] for p in summary["platform_compensation"]] == ["5.00"]
    api.post("/v1/sandbox/clock/advance", {"days": 3})
    assert len(shop.credit()["data"]) == 1
    [told] = _credit_messages(api, shop)
    assert told["subject"] == f"5.00 USD of store credit on order {shop.order_id}"
    assert "later than the latest date promised" in told["body"]
    on_time = Shop(api)
    scan = {
        "carrier": "DHL",
        "tracking_number": "T-1",
        "status": "delivered",
        "country": "DE",
        "city": "Berlin",
        "occurred_at": api.get("/v1/sandbox/clock").json()["now"],
    }
    assert api.post("/v1/tracking-events", {"events": [scan]}).status_code == 200
    api.post("/v1/sandbox/clock/advance", {"days": 20})
    assert on_time.credit()["data"] == []


def _credit_messages(api: Api, shop: Shop) -> list[dict[str, Any]]:
    """The buyer's messages of compensation credit (a refund taken as credit has none)."""
    answer = api.get("/v1/notifications?kind=credit_granted", key=shop.buyer["api_key"])
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["data"]
    assert {m["recipient_id"] for m in found} <= {shop.buyer["id"]}
    return found


def _statements(api: Api, call: Any) -> int:
    seen: list[str] = []

    def count(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    sa.event.listen(api.rt.engine, "before_cursor_execute", count)
    try:
        assert call().status_code == 200
    finally:
        sa.event.remove(api.rt.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_credit_reads_as_many_statements_for_one_entry_as_for_three(api: Api) -> None:
    shop = Shop(api)
    counts = []
    for order_id in (shop.order_id, shop.new_order(), shop.new_order()):
        chosen = shop.open("not_received", order_id=order_id, refund_destination="store_credit")
        assert shop.do(shop.seller, chosen["id"], "accept").status_code == 200
        counts.append(_statements(api, lambda: api.get(f"/v1/buyers/{shop.buyer['id']}/credit",
                                                       key=shop.buyer["api_key"])))  # fmt: skip
    assert len(shop.credit()["data"]) == 3
    # The key, the buyer, the entries, the balance (and BEGIN/COMMIT): never one per entry.
    assert counts[0] == counts[1] == counts[2], counts
    print(f"\nGET /v1/buyers/{{id}}/credit: {counts[0]} statements")


def _pinned_to_an_earlier_release(api: Api, order_id: str) -> None:
    """The order's policy is a version stored before [returnless] and [compensation]."""
    text = default_policy_text()
    text = re.sub(r'^version = ".*"$', 'version = "2026-11.9"', text, flags=re.M)
    for table in ("returnless", "compensation"):
        text = re.sub(rf"^\[{table}\]\n(?:(?!\[).*\n?)*", "", text, flags=re.M)
    assert "[returnless]" not in text and "[compensation]" not in text
    with api.rt.engine.begin() as conn:
        conn.execute(t.policies.insert(), {"version": "2026-11.9", "text": text,
                                           "registered_at": datetime.now(UTC)})  # fmt: skip
        conn.execute(sa.update(t.orders).where(t.orders.c.id == order_id)
                     .values(policy_version="2026-11.9"))  # fmt: skip


def test_an_order_of_an_earlier_policy_version_keeps_its_returns_and_pays_no_credit(
    api: Api,
) -> None:
    shop = Shop(api)
    _pinned_to_an_earlier_release(api, shop.order_id)
    d = shop.do(shop.seller, shop.open("damaged", return_goods=True)["id"], "accept").json()
    assert (d["status"], d["rule"]) == ("awaiting_return", None)
    fake = shop.new_order()
    _pinned_to_an_earlier_release_again(api, fake)
    d = shop.do(shop.seller, shop.open("counterfeit", order_id=fake)["id"], "accept").json()
    assert (d["outcome"], d["compensation_credit"]) == ("full_refund", "0.00")
    assert shop.credit()["data"] == []


def _pinned_to_an_earlier_release_again(api: Api, order_id: str) -> None:
    with api.rt.engine.begin() as conn:
        conn.execute(sa.update(t.orders).where(t.orders.c.id == order_id)
                     .values(policy_version="2026-11.9"))  # fmt: skip
