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
    assert _amounts(after, "refundable") == ["5.99", "6.01"]
    assert [item["id"] for item in after["items"]] == ids
