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
