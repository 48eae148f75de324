"""POST /v1/orders/{id}/shipments over HTTP (issue 18, item 2): the seller ships part of an
order as a parcel with its own tracking; /ship sends the rest; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401

ITEMS = [
    {"sku": "cup", "title": "Cup", "quantity": 3, "unit_price": "3.33"},
    {"sku": "plate", "title": "Plate", "quantity": 1, "unit_price": "10.01"},
]


class Shop:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        order = api.create_order(self.buyer, self.seller, items=ITEMS, shipping_fee="5.00")
        api.pay(order["id"])
        self.order_id = order["id"]
        self.items = [item["id"] for item in order["items"]]

    def ship(self, number: str, lines: list[dict[str, Any]], key: str | None = None) -> Any:
        body = {"carrier": "DHL", "tracking_number": number, "lines": lines}
        return self.api.post(f"/v1/orders/{self.order_id}/shipments", body,
                             key=key or self.seller["api_key"])  # fmt: skip


@pytest.fixture
def shop(api: Api) -> Shop:
    return Shop(api)


def test_a_seller_ships_part_then_the_rest(shop: Shop) -> None:
    answer = shop.ship("P-1", [{"item_id": shop.items[0], "quantity": 2}])
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert order["status"] == "shipped"
    [parcel] = order["parcels"]
    assert parcel["lines"] == [{"item_id": shop.items[0], "quantity": 2}]
    assert (parcel["carrier"], parcel["tracking_number"], parcel["status"]) == (
        "DHL", "P-1", "in_transit")  # fmt: skip
    assert parcel["delivery_deadline"] == order["deadlines"]["delivery_deadline"]
    assert [i["units"]["shipped"] for i in order["items"]] == [2, 0]
    assert order["late"] is False and parcel["late"] is False
    rest = shop.api.post(f"/v1/orders/{shop.order_id}/ship",
                         {"carrier": "UPS", "tracking_number": "P-2"},
                         key=shop.seller["api_key"])  # fmt: skip
    assert rest.status_code == 200, rest.text
    second = rest.json()["parcels"][1]
    assert second["lines"] == [{"item_id": shop.items[0], "quantity": 1},
                               {"item_id": shop.items[1], "quantity": 1}]  # fmt: skip
    assert rest.json()["tracking_number"] == "P-1"
    again = shop.ship("P-3", [{"item_id": shop.items[1], "quantity": 1}])
    assert_problem(again, 409, "invalid_transition")


@pytest.mark.parametrize(
    "lines",
    [
        [{"item_id": "li_nope", "quantity": 1}],
        [{"item_id": 0, "quantity": 4}],
        [{"item_id": 0, "quantity": 0}],
        [{"item_id": 0, "quantity": 1}, {"item_id": 0, "quantity": 1}],
        [],
        [{"item_id": 0}],
    ],
)
def test_a_parcel_naming_units_not_left_to_ship_is_refused(
    shop: Shop, lines: list[dict[str, Any]]
) -> None:
    named = [{**li, "item_id": shop.items[li["item_id"]]} if isinstance(li.get("item_id"), int)
             else li for li in lines]  # fmt: skip
    before = shop.api.snapshot()
    assert_problem(shop.ship("P-1", named), 422, "validation_error")
    assert shop.api.snapshot() == before


def test_only_the_orders_seller_ships_parcels(shop: Shop) -> None:
    lines = [{"item_id": shop.items[0], "quantity": 1}]
    stranger = shop.api.user("seller", "CN")
    before = shop.api.snapshot()
    assert shop.ship("P-1", lines, key=shop.buyer["api_key"]).status_code == 403
    assert_problem(shop.ship("P-1", lines, key=stranger["api_key"]), 404, "not_found")
    assert shop.api.snapshot() == before
