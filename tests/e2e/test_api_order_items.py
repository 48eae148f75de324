"""Items of an order over HTTP (issue 18, item 1): each has an id and shows how many of its
units were shipped, delivered, are under an open dispute and were refunded, and their money."""

from __future__ import annotations

from typing import Any

from api_client import Api, api_fixture  # noqa: F401

ITEMS = [
    {"sku": "cup", "title": "Cup", "quantity": 3, "unit_price": "3.33"},
    {"sku": "plate", "title": "Plate", "quantity": 1, "unit_price": "10.01"},
]


def _units(order: dict[str, Any]) -> list[dict[str, int]]:
    return [item["units"] for item in order["items"]]


def _amounts(order: dict[str, Any], name: str) -> list[str]:
    return [item["amounts"][name] for item in order["items"]]


def test_items_have_ids_and_show_their_units_and_money(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    placed = api.create_order(buyer, seller, items=ITEMS, shipping_fee="5.00")
    ids = [item["id"] for item in placed["items"]]
    assert all(i.startswith("li_") for i in ids) and len(set(ids)) == 2
    nothing = {"shipped": 0, "delivered": 0, "disputed": 0, "refunded": 0, "cancelled": 0}
    assert _units(placed) == [nothing, nothing]
    assert _amounts(placed, "total") == ["9.99", "10.01"]
    order_id = placed["id"]
    api.pay(order_id)
    shipped = api.ship(order_id, seller)
    assert [u["shipped"] for u in _units(shipped)] == [3, 1]
    assert _amounts(shipped, "shipped") == ["9.99", "10.01"]
    assert [u["delivered"] for u in _units(shipped)] == [0, 0]
    now = api.get("/v1/sandbox/clock").json()["now"]
    scan = {"carrier": "DHL", "tracking_number": "T-1", "status": "delivered",
            "country": "DE", "city": "Berlin", "occurred_at": now}  # fmt: skip
    assert api.post("/v1/tracking-events", {"events": [scan]}).status_code == 200
    delivered = api.order(order_id)
    assert [u["delivered"] for u in _units(delivered)] == [3, 1]
    assert _amounts(delivered, "delivered") == ["9.99", "10.01"]
    body = {"reason": "not_received", "item_received": False, "requested_refund": "10.00",
            "description": "Only a box."}  # fmt: skip
    answer = api.post(f"/v1/orders/{order_id}/disputes", body, key=buyer["api_key"])
    assert answer.status_code == 201, answer.text
    disputed = api.order(order_id)
    assert [u["disputed"] for u in _units(disputed)] == [3, 1]
    [listed] = disputed["disputes"]
    assert disputed["dispute_id"] == listed["id"] == answer.json()["id"]
    assert (listed["status"], listed["reason"], listed["requested_refund"]) == (
        "awaiting_seller", "not_received", "10.00")  # fmt: skip
    assert _amounts(disputed, "disputed") == ["9.99", "10.01"]
    accepted = api.post(f"/v1/disputes/{answer.json()['id']}/accept", {},
                        key=seller["api_key"])  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    after = api.order(order_id)
    # 10.00 split by largest remainder over 9.99, 10.01 and 5.00: 4.00, 4.00, 2.00; a unit
    # counts as refunded once its whole price came back.
    assert _amounts(after, "refunded") == ["4.00", "4.00"]
    assert [u["refunded"] for u in _units(after)] == [1, 0]
    assert [u["disputed"] for u in _units(after)] == [0, 0]
    assert after["dispute_id"] is None
    assert [(d["status"], d["outcome"], d["refund_amount"]) for d in after["disputes"]] == [
        ("resolved", "partial_refund", "10.00")]  # fmt: skip
    assert _amounts(after, "refundable") == ["5.99", "6.01"]
    assert [item["id"] for item in after["items"]] == ids


def test_an_order_lists_every_dispute_beside_the_open_one(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order_id = api.create_order(buyer, seller)["id"]
    api.pay(order_id)
    assert api.order(order_id)["disputes"] == []
    api.ship(order_id, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    body = {"reason": "not_received", "item_received": False, "requested_refund": "5.00",
            "description": "Late."}  # fmt: skip
    path = f"/v1/orders/{order_id}/disputes"
    first = api.post(path, body, key=buyer["api_key"]).json()["id"]
    withdrawn = api.post(f"/v1/disputes/{first}/withdraw", {}, key=buyer["api_key"])
    assert withdrawn.status_code == 200, withdrawn.text
    second = api.post(path, body, key=buyer["api_key"]).json()["id"]
    order = api.order(order_id)
    assert [(d["id"], d["status"]) for d in order["disputes"]] == [
        (first, "withdrawn"), (second, "awaiting_seller")]  # fmt: skip
    assert order["dispute_id"] == second
