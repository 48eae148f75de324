"""Refunds of one order under concurrency, over real HTTP (DESIGN §4, issue 4): the cap holds
whatever arrives at once, and one Idempotency-Key never refunds twice."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from api_client import Api, api_fixture  # noqa: F401
from live_server import live_server


def _paid_order(api: Api) -> dict[str, Any]:
    buyer, seller = api.user("buyer"), api.user("seller")
    # 100.00 USD in all: 30 % is 30.00, so three refunds fit and a fourth does not.
    order = api.create_order(
        buyer, seller,
        items=[{"sku": "s", "title": "Kettle", "quantity": 1, "unit_price": "90.00"}],
        shipping_fee="10.00",
    )  # fmt: skip
    api.pay(order["id"])
    return order


def _refund_all(base: str, requests: list[tuple[str, dict[str, Any]]], order_id: str,
                workers: int) -> list[httpx.Response]:  # fmt: skip
    with httpx.Client(base_url=base, timeout=120) as client:

        def send(request: tuple[str, dict[str, Any]]) -> httpx.Response:
            key, body = request
            return client.post(
                f"/v1/orders/{order_id}/refunds", json=body,
                headers={"Authorization": "Bearer pk_test", "Idempotency-Key": key},
            )  # fmt: skip

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(send, requests))


def test_50_concurrent_refunds_of_30_percent_exactly_3_succeed(api: Api) -> None:
    order = _paid_order(api)
    body = {"amount": "30.00", "reason": "goodwill"}
    with live_server(api.rt) as base:
        answers = _refund_all(base, [(f"k{i}", body) for i in range(50)], order["id"], 50)
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 3, 422: 47}, statuses
    refused = {a.json()["code"] for a in answers if a.status_code == 422}
    assert refused == {"amount_exceeds_refundable"}
    refunds = api.get(f"/v1/orders/{order['id']}/refunds").json()["data"]
    assert sorted(r["amount"] for r in refunds) == ["30.00"] * 3
    assert api.order(order["id"])["amounts"]["refunded"] == "90.00"
    # The ledger's invariants are checked after every database test (conftest).


def test_100_identical_posts_with_one_key_make_one_refund(api: Api) -> None:
    order = _paid_order(api)
    body = {"amount": "12.34", "reason": "goodwill"}
    with live_server(api.rt) as base:
        answers = _refund_all(base, [("same-key", body)] * 100, order["id"], 100)
    done = [a for a in answers if a.status_code == 201]
    in_flight = [a for a in answers if a.status_code == 409]
    assert len(done) + len(in_flight) == 100, Counter(a.status_code for a in answers)
    assert len({a.text for a in done}) == 1, "every answer is the first one, byte for byte"
    assert all(a.json()["code"] == "conflict" for a in in_flight)
    refunds = api.get(f"/v1/orders/{order['id']}/refunds").json()["data"]
    assert [r["amount"] for r in refunds] == ["12.34"]
    assert refunds[0]["id"] == done[0].json()["id"]


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    order = _paid_order(api)
    path = f"/v1/orders/{order['id']}/refunds"
    first = api.post(path, {"amount": "10.00", "reason": "goodwill"}, idem="k1")
    assert first.status_code == 201, first.text
    before = api.snapshot()
    other = api.post(path, {"amount": "20.00", "reason": "goodwill"}, idem="k1")
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    assert api.snapshot() == before


def test_a_refund_without_an_idempotency_key_is_refused(api: Api) -> None:
    order = _paid_order(api)
    before = api.snapshot()
    answer = api.post(f"/v1/orders/{order['id']}/refunds", {"amount": "10.00", "reason": "x"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "validation_error"
    assert api.snapshot() == before
