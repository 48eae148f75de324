"""Defects the reliability suite found, each kept as a plain regression test beside the
probe that found it (docs/reliability.md lists them)."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from raw_asgi import MIB, call, chunks


def test_refunding_an_order_cancelled_before_payment_is_refused_not_a_500(api: Api) -> None:
    """Found by the model-based test: the refund reached the settlement date of a payment
    that never happened and failed with 500 internal_error."""
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)
    cancelled = api.post(f"/v1/orders/{order['id']}/cancel", {"reason": "changed my mind"},
                         key=buyer["api_key"])  # fmt: skip
    assert cancelled.json()["status"] == "cancelled", cancelled.text
    before = api.snapshot()
    for amount in ("0.01", "30.00", "31.00"):
        answer = api.post(f"/v1/orders/{order['id']}/refunds",
                          {"amount": amount, "reason": "goodwill"}, idem=f"r-{amount}")  # fmt: skip
        assert_problem(answer, 409, "invalid_transition")
    assert api.snapshot() == before


def test_text_with_a_nul_character_is_refused_not_a_500(api: Api) -> None:
    """Found by the fuzzer on PostgreSQL, which cannot store NUL in text: a tracking number
    with one failed with 500 internal_error (on SQLite it was stored)."""
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)["id"]
    before = api.snapshot()
    scan = {
        "carrier": "DHL",
        "tracking_number": "T\u00001",
        "status": "in_transit",
        "country": "DE",
        "city": "Berlin",
        "occurred_at": "2026-11-02T09:00:00+00:00",
    }
    refused = [
        api.post("/v1/tracking-events", {"events": [scan]}),
        api.post(f"/v1/orders/{order}/cancel", {"reason": "no\u0000"}, key=buyer["api_key"]),
        api.post("/v1/users", {"role": "buyer", "name": "\u0000", "email": "n@x.io",
                               "country": "DE"}),
        api.get(f"/v1/orders/{order}%00"),
        api.get("/v1/orders", params={"starting_after": "a\u0000"}),
        api.client.post("/v1/files", data={"purpose": "dispute_evidence\u0000"},
                        files={"file": ("a.txt", b"text", "text/plain")},
                        headers={"Authorization": f"Bearer {buyer['api_key']}"}),
    ]  # fmt: skip
    for answer in refused:
        assert_problem(answer, 422, "validation_error")
    assert api.snapshot() == before


def _back_dated_delivery(api: Api, door: str) -> dict[str, Any]:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)
    if door == "native":
        scan = {"carrier": "DHL", "tracking_number": "T-1", "status": "delivered",
                "country": "DE", "city": "Berlin", "postcode": "10115",
                "occurred_at": "2020-01-01T12:00:00Z"}  # fmt: skip
        answer = api.post("/v1/tracking-events", {"events": [scan]})
    else:
        point = {"slug": "dhl", "checkpoint_time": "2020-01-01T12:00:00Z", "tag": "Delivered",
                 "subtag": "Delivered_001", "country_iso3": "DEU", "city": "Berlin",
                 "zip": "10115", "message": "Delivered"}  # fmt: skip
        body = {
            "event": "tracking_update",
            "msg": {"tracking_number": "T-1", "slug": "dhl", "checkpoints": [point]},
        }
        answer = api.post("/v1/tracking-events/aftership", body)
    assert answer.status_code == 200, answer.text
    return order


@pytest.mark.parametrize("door", ["native", "aftership"])
def test_a_back_dated_delivered_scan_does_not_end_protection(api: Api, door: str) -> None:
    """Found by the security probe (issue 20, item 1): a delivered scan dated 2020-01-01 on an
    order shipped today set delivered_at and dispute_closes_at in the past, and the order
    completed and released the seller's money 15 s later."""
    order = _back_dated_delivery(api, door)
    found = api.order(order["id"])
    assert (found["status"], found["delivered_at"]) == ("shipped", None)
    assert found["deadlines"]["dispute_closes_at"] == order["deadlines"]["delivery_deadline"]
    assert [f["signal"] for f in found["tracking_flags"]] == ["delivered_before_shipment"]
    api.post("/v1/sandbox/clock/advance", {"days": 1})
    assert api.order(order["id"])["status"] == "shipped"


def test_an_unauthenticated_64_mib_order_is_answered_401_without_being_read(api: Api) -> None:
    """Found by the security probe (issue 20, item 3): the 64 MiB body was read for 2.5 s
    (the server grew from 139 to 323 MiB) before the answer was 401."""
    headers = {"Content-Type": "application/json", "Content-Length": str(64 * MIB)}
    answer = call(api.client.app, "POST", "/v1/orders", chunks(64 * MIB), headers)
    assert (answer.status, answer.pulled) == (401, 0)
    assert answer.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("depth", [450, 600])
def test_deep_json_is_a_422_not_a_500_or_a_dropped_connection(api: Api, depth: int) -> None:
    """Found by the security probe (issue 20, item 4): ``[`` x 450 answered 500
    (RecursionError in the NUL check), x 600 reset the connection."""
    before = api.snapshot()
    answer = api.request("POST", "/v1/orders", content="[" * depth + "]" * depth)
    body = assert_problem(answer, 422, "validation_error")
    assert body["field"] == "body" and body["limit"] == 32
    assert api.snapshot() == before
