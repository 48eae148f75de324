"""Who sees what (DESIGN §1, §6): a foreign order answers exactly like an unknown one; only the
platform creates users and moves the sandbox clock; lists are cursor-paginated and show a
buyer only their own orders; the OpenAPI document is published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401

UNKNOWN_ORDER = "ord_00000000000000000000000000"


@dataclass
class Pair:
    api: Api
    buyer: dict[str, Any]
    seller: dict[str, Any]
    other_buyer: dict[str, Any]
    other_seller: dict[str, Any]
    order: str  # buyer's and seller's, shipped, an extension pending
    extension_id: str


@pytest.fixture
def pair(api: Api) -> Pair:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    other_buyer, other_seller = api.user("buyer", "FR"), api.user("seller", "US")
    order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    asked = api.post(f"/v1/orders/{order}/protection-extensions", {"days": 3},
                     key=buyer["api_key"])  # fmt: skip
    assert asked.status_code == 201, asked.text
    ext = asked.json()["id"]
    # The other pair has an order of its own, so they are not just people without orders.
    api.create_order(other_buyer, other_seller)
    return Pair(api, buyer, seller, other_buyer, other_seller, order, ext)


def _reads(order_id: str) -> list[str]:
    o = f"/v1/orders/{order_id}"
    return [o, f"{o}/timeline", f"{o}/refunds", f"{o}/ledger-entries"]


def _actions(order_id: str, ext: str) -> list[tuple[str, dict[str, Any]]]:
    o = f"/v1/orders/{order_id}"
    return [
        (f"{o}/pay", {}),
        (f"{o}/cancel", {"reason": "r"}),
        (f"{o}/cancellation/approve", {}),
        (f"{o}/cancellation/reject", {"reason": "r"}),
        (f"{o}/ship", {"carrier": "DHL", "tracking_number": "T-2"}),
        (f"{o}/confirm-receipt", {}),
        (f"{o}/protection-extensions", {"days": 2}),
        (f"{o}/protection-extensions/{ext}/approve", {}),
        (f"{o}/protection-extensions/{ext}/reject", {"reason": "r"}),
    ]


def _same_as_unknown(foreign: dict[str, Any], unknown: dict[str, Any], order_id: str) -> None:
    """The problem for a foreign id is the problem for an unknown id, id aside (and the
    ``instance``, which names each request)."""
    assert foreign["code"] == unknown["code"] == "not_found"
    assert sorted(foreign) == sorted(unknown)
    assert foreign["instance"] != unknown["instance"]
    masked = {**foreign, "detail": foreign["detail"].replace(order_id, UNKNOWN_ORDER),
              "instance": unknown["instance"]}  # fmt: skip
    assert masked == unknown


@pytest.mark.parametrize("who", ["other_buyer", "other_seller"])
def test_a_foreign_order_reads_as_unknown(pair: Pair, who: str) -> None:
    key = getattr(pair, who)["api_key"]
    for mine, unknown in zip(_reads(pair.order), _reads(UNKNOWN_ORDER), strict=True):
        foreign_body = assert_problem(pair.api.get(mine, key=key), 404, "not_found")
        unknown_body = assert_problem(pair.api.get(unknown, key=key), 404, "not_found")
        _same_as_unknown(foreign_body, unknown_body, pair.order)
        # The owners do see it.
        for owner in (pair.buyer, pair.seller):
            assert pair.api.get(mine, key=owner["api_key"]).status_code == 200


@pytest.mark.parametrize("who", ["other_buyer", "other_seller"])
def test_every_action_on_a_foreign_order_answers_as_unknown(pair: Pair, who: str) -> None:
    key = getattr(pair, who)["api_key"]
    snapshot = pair.api.snapshot()
    mine = _actions(pair.order, pair.extension_id)
    unknown = _actions(UNKNOWN_ORDER, pair.extension_id)
    for (path, body), (unknown_path, _) in zip(mine, unknown, strict=True):
        foreign_body = assert_problem(pair.api.post(path, body, key=key), 404, "not_found")
        unknown_body = assert_problem(pair.api.post(unknown_path, body, key=key), 404,
                                      "not_found")  # fmt: skip
        _same_as_unknown(foreign_body, unknown_body, pair.order)
    assert pair.api.snapshot() == snapshot


@pytest.mark.parametrize("who", ["other_buyer", "other_seller"])
def test_another_user_reads_as_unknown(pair: Pair, who: str) -> None:
    key = getattr(pair, who)["api_key"]
    target = pair.buyer["id"]
    foreign = assert_problem(pair.api.get(f"/v1/users/{target}", key=key), 404, "not_found")
    unknown = assert_problem(pair.api.get("/v1/users/usr_nobody", key=key), 404, "not_found")
    assert foreign["detail"].replace(target, "usr_nobody") == unknown["detail"]
    assert pair.api.get(f"/v1/users/{target}", key=pair.buyer["api_key"]).status_code == 200


@pytest.mark.parametrize("who", ["buyer", "seller"])
def test_only_the_platform_creates_users_and_moves_the_clock(pair: Pair, who: str) -> None:
    key = getattr(pair, who)["api_key"]
    snapshot = pair.api.snapshot()
    body = {"role": "buyer", "name": "Mallory", "email": "mallory@e2e.test", "country": "DE"}
    assert_problem(pair.api.post("/v1/users", body, key=key), 403, "forbidden")
    assert_problem(pair.api.post("/v1/sandbox/clock/advance", {"days": 90}, key=key), 403,
                   "forbidden")  # fmt: skip
    assert pair.api.snapshot() == snapshot
    assert pair.api.get("/v1/sandbox/clock").json()["now"] == "2026-11-02T09:00:00Z"
    assert pair.api.order(pair.order)["status"] == "shipped"


def test_the_platform_moves_the_clock(pair: Pair) -> None:
    moved = pair.api.post("/v1/sandbox/clock/advance", {"days": 1, "hours": 2, "minutes": 3})
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"now": "2026-11-03T11:03:00Z"}
    assert pair.api.get("/v1/sandbox/clock").json() == moved.json()


def _walk(api: Api, key: str, limit: int) -> tuple[list[str], list[int]]:
    """All order ids through ``limit``-sized pages; also the sizes of the pages."""
    seen: list[str] = []
    sizes: list[int] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(50):
        answer = api.get("/v1/orders", key=key, params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["object"] == "list"
        ids = [o["id"] for o in page["data"]]
        seen += ids
        sizes.append(len(ids))
        if not page["has_more"]:
            return seen, sizes
        assert ids, "has_more with an empty page"
        params = {"limit": limit, "starting_after": ids[-1]}
    raise AssertionError("pagination never ended")


def test_pagination_walks_every_order_once(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    made = {api.create_order(buyer, seller)["id"] for _ in range(5)}

    seen, sizes = _walk(api, api.platform_key, 2)
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == made
    assert sizes == [2, 2, 1]

    whole, _ = _walk(api, api.platform_key, 100)
    assert whole == seen  # one stable order, whatever the page size
    _, sizes = _walk(api, api.platform_key, 5)
    assert sizes == [5]  # has_more is false when the last page is exactly full


def test_a_buyer_and_a_seller_list_only_their_own_orders(api: Api) -> None:
    ann, bob = api.user("buyer"), api.user("buyer")
    shop, other_shop = api.user("seller", "CN"), api.user("seller", "US")
    ann_at_shop = {api.create_order(ann, shop)["id"] for _ in range(3)}
    ann_elsewhere = api.create_order(ann, other_shop)["id"]
    anns = ann_at_shop | {ann_elsewhere}
    bobs = {api.create_order(bob, shop)["id"] for _ in range(2)}

    seen, _ = _walk(api, ann["api_key"], 2)
    assert sorted(seen) == sorted(anns)
    seen, _ = _walk(api, bob["api_key"], 2)
    assert sorted(seen) == sorted(bobs)
    seen, _ = _walk(api, shop["api_key"], 2)
    assert sorted(seen) == sorted(ann_at_shop | bobs)
    seen, _ = _walk(api, other_shop["api_key"], 2)
    assert seen == [ann_elsewhere]
    # A cursor that is no order of Bob's list is refused like an unknown one (Stripe's 404).
    for cursor in ("ord_zzzzzzzzzzzzzzzzzzzzzzzzzz", sorted(anns)[0]):
        answer = api.get("/v1/orders", key=bob["api_key"], params={"starting_after": cursor})
        assert_problem(answer, 404, "not_found")
        assert answer.json()["detail"] == f"no item {cursor!r} in this list"


def test_openapi_is_published(api: Api) -> None:
    answer = api.client.get("/openapi.json")
    assert answer.status_code == 200
    doc = answer.json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    assert "post" in paths["/v1/orders/{order_id}/pay"]
    for path in ("/v1/orders", "/v1/users", "/v1/tracking-events", "/v1/sandbox/clock/advance",
                 "/v1/orders/{order_id}/protection-extensions"):  # fmt: skip
        assert path in paths
