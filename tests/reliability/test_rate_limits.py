"""Per-account rate limits (issue 8, policy ``[limits]``): past the limit on disputes opened,
offers made or refunds made in an hour, 429 ``rate_limited`` with ``Retry-After``, and
nothing changed; the count lives in the database, so two API processes share it and
concurrent requests cannot slip past it; the next hour starts afresh."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from api_client import Api, assert_problem
from limits_world import LIMITS, disputable_order, limited_fixture, second_process  # noqa: F401
from live_server import live_server

from long_runs import record


def _refused_for_rate(answer: httpx.Response, api: Api, before: dict[str, list[str]]) -> None:
    body = assert_problem(answer, 429, "rate_limited")
    retry_after = int(answer.headers["Retry-After"])
    assert 0 < retry_after <= 3600 and body["retry_after"] == retry_after, answer.headers
    assert api.snapshot() == before, "a rate-limited request changed something"
    record("rate_limited", database=api.rt.engine.dialect.name, requests=1)


def _dispute_body() -> dict[str, Any]:
    return {"reason": "not_received", "item_received": False, "requested_refund": "5.00",
            "description": "Never came."}  # fmt: skip


def test_a_buyer_opening_too_many_disputes_is_told_to_wait(limited: Api) -> None:
    api = limited
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    orders = [disputable_order(api, buyer, seller) for _ in range(4)]
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    for order in orders[:2]:
        opened = api.post(f"/v1/orders/{order}/disputes", _dispute_body(), key=buyer["api_key"])
        assert opened.status_code == 201, opened.text
    before = api.snapshot()
    third = api.post(f"/v1/orders/{orders[2]}/disputes", _dispute_body(), key=buyer["api_key"])
    _refused_for_rate(third, api, before)
    # Another buyer has a count of their own.
    other = api.user("buyer")
    theirs = disputable_order(api, other, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    assert api.post(f"/v1/orders/{theirs}/disputes", _dispute_body(),
                    key=other["api_key"]).status_code == 201  # fmt: skip
    # A new hour, a new count (five days passed above: the window is long gone).
    again = api.post(f"/v1/orders/{orders[2]}/disputes", _dispute_body(), key=buyer["api_key"])
    assert again.status_code == 201, again.text


def test_a_refused_or_failed_action_does_not_count(limited: Api) -> None:
    api = limited
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = disputable_order(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    for _ in range(LIMITS["disputes_opened_per_hour"] + 2):
        too_much = {**_dispute_body(), "requested_refund": "999.00"}
        bad = api.post(f"/v1/orders/{order}/disputes", too_much, key=buyer["api_key"])
        assert_problem(bad, 422, "amount_exceeds_refundable")
    opened = api.post(f"/v1/orders/{order}/disputes", _dispute_body(), key=buyer["api_key"])
    assert opened.status_code == 201, opened.text


def test_offers_past_the_limit_are_refused_across_two_api_processes(limited: Api) -> None:
    api = limited
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = disputable_order(api, buyer, seller)
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    dispute = api.post(f"/v1/orders/{order}/disputes", _dispute_body(),
                       key=buyer["api_key"]).json()["id"]  # fmt: skip
    other_rt, other = second_process(api)
    try:
        with other.client:
            # The seller's offers alternate between the two processes.
            for n in range(LIMITS["offers_per_hour"]):
                via = api if n % 2 else other
                made = via.post(f"/v1/disputes/{dispute}/offers", {"refund_amount": f"{n}.00"},
                                key=seller["api_key"])  # fmt: skip
                assert made.status_code == 200, made.text
            before = api.snapshot()
            for via in (api, other):
                late = via.post(f"/v1/disputes/{dispute}/offers", {"refund_amount": "4.00"},
                                key=seller["api_key"])  # fmt: skip
                _refused_for_rate(late, api, before)
    finally:
        other_rt.close()


def test_concurrent_refunds_cannot_slip_past_the_limit(limited: Api) -> None:
    api = limited
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    limit = LIMITS["platform_refunds_per_hour"]
    with live_server(api.rt) as base, httpx.Client(base_url=base, timeout=120) as client:

        def refund(n: int) -> httpx.Response:
            return client.post(f"/v1/orders/{order['id']}/refunds",
                               json={"amount": "1.00", "reason": "goodwill"},
                               headers={"Authorization": "Bearer pk_test",
                                        "Idempotency-Key": f"r{n}"})  # fmt: skip

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(refund, range(12)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: limit, 429: 12 - limit}, statuses
    assert all(a.headers.get("Retry-After") for a in answers if a.status_code == 429)
    refunds = api.get(f"/v1/orders/{order['id']}/refunds").json()["data"]
    assert len(refunds) == limit
    record("rate_limit_concurrent_refunds", database=api.rt.engine.dialect.name, requests=12,
           accepted=statuses[201], refused=statuses[429])  # fmt: skip


def test_an_agent_has_a_refund_limit_of_their_own(limited: Api) -> None:
    api = limited
    agent, buyer, seller = api.user("agent", "IE"), api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    path = f"/v1/orders/{order['id']}/refunds"
    body = {"amount": "1.00", "reason": "support"}
    for n in range(LIMITS["refunds_per_hour"]):
        assert api.post(path, body, key=agent["api_key"], idem=f"a{n}").status_code == 201
    before = api.snapshot()
    _refused_for_rate(api.post(path, body, key=agent["api_key"], idem="a-late"), api, before)
    # The platform's own count is separate.
    assert api.post(path, body, idem="p1").status_code == 201
