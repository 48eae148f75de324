"""Disputes per line over HTTP (issue 18, item 3): a dispute names the units it is about;
its cap is their price and their share of shipping, to the cent; its refund comes from
those lines only; a unit is never under two disputes; not_received covers units of parcels
not delivered unless the sub-reason is missing_items."""

from __future__ import annotations

from typing import Any

from api_client import Api, api_fixture, assert_problem  # noqa: F401

# Shipping 5.00 over 9.99, 10.01 and 10.00 by largest remainder: 1.66, 1.67, 1.67.
ITEMS = [
    {"sku": "cup", "title": "Cup", "quantity": 3, "unit_price": "3.33"},
    {"sku": "plate", "title": "Plate", "quantity": 1, "unit_price": "10.01"},
    {"sku": "bowl", "title": "Bowl", "quantity": 2, "unit_price": "5.00"},
]


def _dispute(api: Api, order_id: str, buyer: dict[str, Any], amount: str,
             lines: list[dict[str, Any]], **extra: Any) -> Any:  # fmt: skip
    body = {"reason": "not_received", "item_received": False, "requested_refund": amount,
            "description": "Missing.", "lines": lines, **extra}  # fmt: skip
    return api.post(f"/v1/orders/{order_id}/disputes", body, key=buyer["api_key"])


def test_disputes_per_line_and_quantity(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller, items=ITEMS, shipping_fee="5.00")
    order_id = order["id"]
    cup, plate, bowl = (item["id"] for item in order["items"])
    api.pay(order_id)
    ship = f"/v1/orders/{order_id}/shipments"
    first = {
        "carrier": "DHL",
        "tracking_number": "D-1",
        "lines": [{"item_id": cup, "quantity": 3}, {"item_id": plate, "quantity": 1}],
    }
    assert api.post(ship, first, key=seller["api_key"]).status_code == 201
    lost = {"carrier": "DHL", "tracking_number": "D-2", "lines": [{"item_id": bowl, "quantity": 2}]}
    assert api.post(ship, lost, key=seller["api_key"]).status_code == 201
    now = api.get("/v1/sandbox/clock").json()["now"]
    scan = {"carrier": "DHL", "tracking_number": "D-1", "status": "delivered",
            "country": "DE", "city": "Berlin", "occurred_at": now}  # fmt: skip
    assert api.post("/v1/tracking-events", {"events": [scan]}).status_code == 200
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    both_bowls = [{"item_id": bowl, "quantity": 2}]
    # The bowls' cap: 10.00 and their 1.67 of shipping.
    too_much = _dispute(api, order_id, buyer, "11.68", both_bowls)
    assert_problem(too_much, 422, "amount_exceeds_refundable")
    # A not_received dispute on delivered units needs the missing_items sub-reason.
    delivered_cup = [{"item_id": cup, "quantity": 1}]
    assert_problem(_dispute(api, order_id, buyer, "1.00", delivered_cup), 422, "validation_error")
    opened = _dispute(api, order_id, buyer, "11.67", both_bowls)
    assert opened.status_code == 201, opened.text
    assert opened.json()["lines"] == both_bowls
    assert [i["units"]["disputed"] for i in api.order(order_id)["items"]] == [0, 0, 2]
    accepted = api.post(f"/v1/disputes/{opened.json()['id']}/accept", {}, key=seller["api_key"])
    assert accepted.status_code == 200, accepted.text
    [refund] = api.get(f"/v1/orders/{order_id}/refunds").json()["data"]
    assert (refund["amount"], refund["line_amounts"]) == (
        "11.67", ["0.00", "0.00", "10.00", "1.67"])  # fmt: skip
    # A unit already disputed is never disputed again.
    again = _dispute(api, order_id, buyer, "1.00", [{"item_id": bowl, "quantity": 1}])
    assert_problem(again, 409, "units_already_disputed")
    # One cup missing from the delivered parcel: 3.33 and its 0.55 of the cups' 1.66.
    missing = _dispute(api, order_id, buyer, "3.89", delivered_cup, sub_reason="missing_items")
    assert_problem(missing, 422, "amount_exceeds_refundable")
    missing = _dispute(api, order_id, buyer, "3.88", delivered_cup, sub_reason="missing_items")
    assert missing.status_code == 201, missing.text
    listed = api.order(order_id)
    assert [d["status"] for d in listed["disputes"]] == ["resolved", "awaiting_seller"]
    assert listed["dispute_id"] == missing.json()["id"]
    decided = api.post(f"/v1/disputes/{missing.json()['id']}/accept", {}, key=seller["api_key"])
    assert decided.status_code == 200, decided.text
    refunds = api.get(f"/v1/orders/{order_id}/refunds").json()["data"]
    assert sorted(r["amount"] for r in refunds) == ["11.67", "3.88"]
    after = api.order(order_id)
    assert [i["amounts"]["refunded"] for i in after["items"]] == ["3.33", "0.00", "10.00"]
    assert after["amounts"]["refunded"] == "15.55"
    # A dispute without lines now covers every unit the others leave: two cups, the plate.
    whole = api.post(f"/v1/orders/{order_id}/disputes", {
        "reason": "not_received", "item_received": False, "requested_refund": "1.00",
        "description": "All of it.", "sub_reason": "missing_items",
    }, key=buyer["api_key"])  # fmt: skip
    assert whole.status_code == 201, whole.text
    assert whole.json()["lines"] == [{"item_id": cup, "quantity": 2},
                                     {"item_id": plate, "quantity": 1}]  # fmt: skip
    none_left = _dispute(api, order_id, buyer, "1.00", [{"item_id": plate, "quantity": 1}],
                         sub_reason="missing_items")  # fmt: skip
    assert_problem(none_left, 409, "units_already_disputed")
