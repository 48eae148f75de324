"""The README's walk-through, as a test: refundkit started with ``REFUNDKIT_PSP=stripe``
pointed at localstripe (``REFUNDKIT_STRIPE_API_BASE``), a whole order from payment to a
partial refund settled on the provider, through the HTTP API only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_client import Api

from books import START, assert_ledger_invariants
from localstripe_server import localstripe
from refundkit.adapters.payments.stripe_provider import StripeProvider
from refundkit.entrypoints.bootstrap import build
from stripe_world import API_KEY, pay


@pytest.fixture
def stripe_api(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    with localstripe() as base:
        monkeypatch.setenv("REFUNDKIT_PSP", "stripe")
        monkeypatch.setenv("REFUNDKIT_STRIPE_API_KEY", API_KEY)
        monkeypatch.setenv("REFUNDKIT_STRIPE_API_BASE", base)
        runtime = build(url=database_url, sandbox=True, migrate=False, sandbox_start=START)
        driver = Api(runtime)
        with driver.client:
            yield driver
        assert_ledger_invariants(runtime.engine)
        runtime.close()


def test_an_order_paid_at_stripe_is_partially_refunded_there(stripe_api: Api) -> None:
    api = stripe_api
    psp = api.deps.payments
    assert isinstance(psp, StripeProvider)
    buyer, seller = api.user("buyer"), api.user("seller")
    order = api.create_order(buyer, seller)  # 30.00 USD
    intent = pay(psp, 3000)
    paid = api.post(f"/v1/orders/{order['id']}/pay", {"payment_reference": intent})
    assert paid.status_code == 200, paid.text
    assert api.post("/v1/sandbox/clock/advance", {"days": 1}).status_code == 200
    made = api.post(f"/v1/orders/{order['id']}/refunds",
                    {"amount": "12.50", "reason": "one lamp broke"}, idem="r-1")  # fmt: skip
    assert made.status_code == 201, made.text
    assert api.post("/v1/sandbox/clock/advance", {"minutes": 1}).status_code == 200
    [refund] = api.get(f"/v1/orders/{order['id']}/refunds").json()["data"]
    assert (refund["status"], refund["psp"], refund["amount"]) == ("succeeded", "stripe", "12.50")
    [at_stripe] = psp.refunds_of(intent)
    assert at_stripe["id"] == refund["psp_reference"]
    assert (at_stripe["amount"], at_stripe["metadata"]["refund_id"]) == (1250, refund["id"])
    assert api.order(order["id"])["amounts"]["refundable"] == "17.50"
