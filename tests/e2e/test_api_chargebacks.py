"""Chargebacks through the API: the sandbox bank's endpoints drive the same rules as
Stripe's dispute events (built from Stripe's documented Dispute object and signed with the
SDK's scheme); the order shows its chargebacks; a refund while one is open answers 409
``chargeback_open``."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401

from stripe_world import WEBHOOK_SECRET, event, signed

HOOK = "/v1/psp-webhooks/stripe"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDKIT_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)


def _paid(api: Api, reference: str = "pi_e2e1") -> dict[str, Any]:
    buyer, seller = api.user("buyer"), api.user("seller")
    order = api.create_order(buyer, seller)
    paid = api.post(f"/v1/orders/{order['id']}/pay", {"payment_reference": reference})
    assert paid.status_code == 200, paid.text
    return {**paid.json(), "payment_reference": reference}


def test_the_sandbox_bank_opens_and_closes_a_chargeback_the_order_shows(api: Api) -> None:
    order = _paid(api)
    opened = api.post(f"/v1/sandbox/orders/{order['id']}/chargeback",
                      {"amount": "20.00", "reason": "fraudulent"})  # fmt: skip
    assert opened.status_code == 201, opened.text
    cb = opened.json()
    assert (cb["status"], cb["amount"], cb["fee"]) == ("needs_response", "20.00", "15.00")
    shown = api.order(order["id"])["chargebacks"]
    assert [(c["id"], c["status"], c["amount"], c["reason"]) for c in shown] == [
        (cb["id"], "needs_response", "20.00", "fraudulent")]  # fmt: skip
    assert {"psp_reference", "opened_at", "closed_at"} <= set(shown[0])
    refused = api.post(
        f"/v1/orders/{order['id']}/refunds", {"amount": "1.00", "reason": "x"}, idem="r1"
    )
    assert_problem(refused, 409, "chargeback_open")
    closed = api.post(f"/v1/sandbox/chargebacks/{cb['id']}/close", {"outcome": "lost"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "lost" and closed.json()["closed_at"]
    after = api.order(order["id"])
    assert (after["amounts"]["charged_back"], after["amounts"]["refundable"]) == ("20.00", "10.00")
    again = api.post(f"/v1/sandbox/chargebacks/{cb['id']}/close", {"outcome": "won"})
    assert_problem(again, 409, "invalid_transition")


def test_an_inquiry_leaves_the_order_refundable(api: Api) -> None:
    order = _paid(api)
    opened = api.post(f"/v1/sandbox/orders/{order['id']}/chargeback",
                      {"reason": "product_not_received", "inquiry": True})  # fmt: skip
    assert opened.json()["status"] == "inquiry"
    refund = api.post(
        f"/v1/orders/{order['id']}/refunds", {"amount": "1.00", "reason": "x"}, idem="r1"
    )
    assert refund.status_code == 201, refund.text


def test_sandbox_chargebacks_take_the_platform_key_and_good_input(api: Api) -> None:
    order = _paid(api)
    buyer = api.user("buyer")
    path = f"/v1/sandbox/orders/{order['id']}/chargeback"
    assert_problem(api.post(path, {"reason": "x"}, key=buyer["api_key"]), (403, 404),
                   ("forbidden", "not_found"))  # fmt: skip
    assert_problem(api.post(path, {"reason": "x", "amount": 5}), 422, "validation_error")
    assert_problem(api.post(path, {"reason": "x", "amount": "31.00"}), 422, "invalid_amount")
    assert_problem(api.post(path, {"reason": "x", "amount": "1.001"}), 422,
                   ("validation_error", "invalid_amount"))  # fmt: skip
    assert_problem(api.post("/v1/sandbox/orders/ord_nope/chargeback", {"reason": "x"}), 404,
                   "not_found")  # fmt: skip
    assert api.order(order["id"])["chargebacks"] == []


def _dispute(order: dict[str, Any], status: str, amount: int = 3000) -> dict[str, Any]:
    """A Dispute as Stripe sends it (API reference, "The Dispute object")."""
    withdrawal = {
        "id": "txn_1",
        "object": "balance_transaction",
        "amount": -amount,
        "fee": 1500,
        "net": -amount - 1500,
        "currency": "usd",
        "type": "adjustment",
    }
    return {
        "id": "du_1", "object": "dispute", "amount": amount, "currency": "usd",
        "balance_transactions": [withdrawal] if status not in ("warning_needs_response",) else [],
        "charge": "ch_1", "payment_intent": order["payment_reference"],
        "created": 1700000000, "evidence": {}, "evidence_details": {"due_by": 1700600000,
        "has_evidence": False, "past_due": False, "submission_count": 0},
        "is_charge_refundable": status.startswith("warning"), "livemode": False,
        "metadata": {}, "reason": "fraudulent", "status": status,
    }  # fmt: skip


def _send(api: Api, evt: dict[str, Any]) -> Any:
    body, headers = signed(evt)
    answer = api.client.post(HOOK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_stripe_dispute_events_open_and_close_a_chargeback_once(api: Api) -> None:
    order = _paid(api)
    assert order["payment_reference"]
    first = _send(api, event("evt_d1", "charge.dispute.created",
                             _dispute(order, "warning_needs_response")))  # fmt: skip
    assert first["result"].endswith("inquiry")
    _send(api, event("evt_d2", "charge.dispute.funds_withdrawn", _dispute(order, "needs_response")))
    [cb] = api.order(order["id"])["chargebacks"]
    assert (cb["status"], cb["fee"], cb["psp_reference"]) == ("needs_response", "15.00", "du_1")
    replay = _send(api, event("evt_d2", "charge.dispute.funds_withdrawn",
                              _dispute(order, "needs_response")))  # fmt: skip
    assert replay["new"] is False
    _send(api, event("evt_d3", "charge.dispute.closed", _dispute(order, "won")))
    late = _send(api, event("evt_d4", "charge.dispute.updated", _dispute(order, "under_review")))
    assert late["result"].endswith("won")
    [cb] = api.order(order["id"])["chargebacks"]
    assert (cb["status"], api.order(order["id"])["amounts"]["refundable"]) == ("won", "30.00")


def test_a_dispute_on_a_charge_refundkit_does_not_know_is_ignored(api: Api) -> None:
    other = {"payment_reference": "pi_unknown"}
    said = _send(api, event("evt_d5", "charge.dispute.created", _dispute(other, "needs_response")))
    assert said["result"] == "ignored: no order of refundkit was paid with this charge"
