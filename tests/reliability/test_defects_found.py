"""Defects the reliability suite found, each kept as a plain regression test beside the
probe that found it (docs/reliability.md lists them)."""

from __future__ import annotations

from api_client import Api, api_fixture, assert_problem  # noqa: F401


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
