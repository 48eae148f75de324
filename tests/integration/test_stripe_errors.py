"""Stripe's errors, through the real SDK, mapped to our refund statuses and retries: a rate
limit or an outage is tried again with the same idempotency key; a card error fails the
refund with Stripe's words kept for staff. The server is scripted (tests/scripted_stripe.py)
because localstripe never answers these."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from prometheus_client import REGISTRY

from market import Market
from refundkit.adapters.payments.choice import payment_gateway
from refundkit.adapters.payments.sandbox import SandboxPsp
from refundkit.adapters.payments.stripe_provider import StripeProvider
from refundkit.domain.errors import ValidationError
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from scripted_stripe import Script, scripted_stripe
from stripe_world import provider


def _refund_json(refund_id: str, amount: int, status: str = "succeeded") -> dict[str, Any]:
    return {"id": refund_id, "object": "refund", "amount": amount, "currency": "usd",
            "status": status, "payment_intent": "pi_1", "charge": "ch_1", "metadata": {},
            "created": 1700000000}  # fmt: skip


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "code": code}}


def _refund_through(market: Market, script: Script, amount: int = 800) -> str:
    order = market.place()
    market.pay(order.id, "pi_1")
    market.advance(days=1)
    with scripted_stripe(script) as base:
        market.deps.payments = provider(base)
        market.refund(order.id, amount)
        market.advance(seconds=1)  # first try
        market.advance(minutes=1)  # a retry one minute later, if the first was postponed
        market.advance(minutes=2)
    return order.id


def _psp_calls(outcome: str) -> float:
    labels = {"provider": "stripe", "operation": "refund", "outcome": outcome}
    found = REGISTRY.get_sample_value("refundkit_psp_call_duration_seconds_count", labels)
    return found or 0.0


def test_a_rate_limit_is_retried_with_the_same_key_and_refunds_once(market: Market) -> None:
    script = Script([(429, _error("invalid_request_error", "Too many requests", "rate_limit")),
                     (200, _refund_json("re_1", 800))])  # fmt: skip
    errors, oks = _psp_calls("error"), _psp_calls("ok")
    order_id = _refund_through(market, script)
    assert (_psp_calls("error") - errors, _psp_calls("ok") - oks) == (1, 1)  # the metric
    [refund] = market.refunds(order_id)
    assert (refund.status, refund.psp_reference) == (RefundStatus.SUCCEEDED, "re_1")
    assert [s["key"] for s in script.seen] == [refund.id, refund.id]
    assert script.seen[0]["form"] == {
        "amount": "800", "payment_intent": "pi_1", "metadata[order_id]": order_id,
        "metadata[refund_id]": refund.id,
    }  # fmt: skip


def test_an_outage_of_stripe_leaves_the_refund_pending_and_retries(market: Market) -> None:
    script = Script([(500, _error("api_error", "Something went wrong")),
                     (503, _error("api_error", "Unavailable")),
                     (200, _refund_json("re_2", 800, status="pending"))])  # fmt: skip
    order_id = _refund_through(market, script)
    [refund] = market.refunds(order_id)
    assert (refund.status, refund.psp_reference) == (RefundStatus.PENDING, "re_2")
    assert len({s["key"] for s in script.seen}) == 1


def test_a_card_error_fails_the_refund_with_stripes_reason_for_staff(market: Market) -> None:
    script = Script([(402, _error("card_error", "Your card has expired.", "expired_card"))])
    order_id = _refund_through(market, script)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "Stripe: Your card has expired. [expired_card]"
    assert market.order(order_id).refundable == 3000
    assert len(script.seen) == 1


def test_a_refund_stripe_answers_failed_fails_with_its_failure_reason(market: Market) -> None:
    failed = _refund_json("re_3", 800, status="failed")
    failed["failure_reason"] = "lost_or_stolen_card"
    order_id = _refund_through(market, Script([(200, failed)]))
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "Stripe: refund failed (lost_or_stolen_card)"


def test_stripe_unreachable_leaves_the_refund_pending_for_a_retry(market: Market) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    order = market.place()
    market.pay(order.id, "ch_1")
    market.advance(days=1)
    market.deps.payments = provider(closed)
    market.refund(order.id, 800)
    market.advance(seconds=1)
    [refund] = market.refunds(order.id)
    assert (refund.status, refund.executed_at) == (RefundStatus.PENDING, None)


def test_a_payment_reference_stripe_cannot_refund_fails_at_once(market: Market) -> None:
    order = market.place()
    market.pay(order.id, "paypal-123")
    market.advance(days=1)
    market.deps.payments = provider("http://127.0.0.1:9")
    market.refund(order.id, 800)
    market.advance(seconds=1)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.FAILED
    assert "neither a Stripe PaymentIntent" in (refund.failure_reason or "")


def test_the_provider_is_chosen_by_refundkit_psp() -> None:
    calendar: Any = None
    assert isinstance(payment_gateway({}, calendar), SandboxPsp)
    env = {"REFUNDKIT_PSP": "stripe", "REFUNDKIT_STRIPE_API_KEY": "sk_x",
           "REFUNDKIT_STRIPE_API_BASE": "http://127.0.0.1:1"}  # fmt: skip
    chosen = payment_gateway(env, calendar)
    assert isinstance(chosen, StripeProvider)
    with pytest.raises(ValidationError, match="sandbox, stripe"):
        payment_gateway({"REFUNDKIT_PSP": "paypal"}, calendar)
    with pytest.raises(ValidationError, match="REFUNDKIT_STRIPE_API_KEY"):
        payment_gateway({"REFUNDKIT_PSP": "stripe"}, calendar)


def test_refunds_made_before_a_chargeback_go_to_stripe_as_its_evidence(market: Market) -> None:
    from chargeback_world import the_chargebacks
    from refundkit.domain.chargebacks.model import ChargebackStatus
    from refundkit.service import chargebacks
    from refundkit.service.chargebacks import ChargebackReport

    order = market.place(method=PaymentMethod.WALLET)
    market.pay(order.id, "pi_1")
    market.advance(days=1)
    answered = {"id": "du_7", "object": "dispute", "status": "under_review"}
    script = Script([(200, _refund_json("re_7", 1000)), (200, answered)])
    with scripted_stripe(script) as base:
        market.deps.payments = provider(base)
        refund = market.refund(order.id, 1000)
        market.advance(seconds=1)
        news = ChargebackReport("stripe", "du_7", order.id, ChargebackStatus.NEEDS_RESPONSE,
                                3000, "usd", "fraudulent", 1500)  # fmt: skip
        market.tx(lambda uow: chargebacks.report(market.deps, uow, news))
        market.advance(seconds=1)
    sent = script.seen[1]
    assert sent["path"] == "/v1/disputes/du_7"
    assert sent["form"]["submit"] == "true"
    text = sent["form"]["evidence[uncategorized_text]"]
    assert refund.id in text and "re_7" in text and "10.00 USD" in text
    [cb] = the_chargebacks(market, order.id)
    assert cb.status is ChargebackStatus.UNDER_REVIEW
