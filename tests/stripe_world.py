"""What the Stripe tests share: a provider pointed at a Stripe server, a payment made at it
the way a shop would make one (a confirmed PaymentIntent), and webhook events built from
Stripe's documented shapes and signed with the SDK's own scheme."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe

from refundkit.adapters.payments.stripe_provider import StripeProvider

API_KEY = "sk_test_refundkit"
WEBHOOK_SECRET = "whsec_refundkit_test"
GOOD_CARD = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"
"""Attaches to a customer, then every charge on it is declined (Stripe's test card)."""


def provider(api_base: str) -> StripeProvider:
    return StripeProvider(API_KEY, api_base=api_base)


def pay(psp: StripeProvider, amount: int, currency: str = "usd",
        card: str = GOOD_CARD) -> str:  # fmt: skip
    """Pay at Stripe as the shop's checkout does; the PaymentIntent's id, or for a declined
    card the failed charge's id."""
    method = psp.client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    try:
        intent = psp.client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency,
                "payment_method": method.id,
                "confirm": True,
                "payment_method_types": ["card"],
            }
        )
    except stripe.CardError as declined:
        body: Any = declined.json_body
        return str(body["error"]["charge"])
    assert intent.status == "succeeded", intent.status
    return str(intent.id)


def signed(event: dict[str, Any], *, secret: str = WEBHOOK_SECRET,
           at: int | None = None) -> tuple[bytes, dict[str, str]]:  # fmt: skip
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=int(time.time()) if at is None else at
    )
    return payload.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(
    event_id: str, kind: str, obj: dict[str, Any], created: int | None = None
) -> dict[str, Any]:
    """An Event as Stripe sends it (API reference, "The Event object")."""
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def refund_object(refund_id: str, *, amount: int, status: str, payment_intent: str | None,
                  charge: str = "ch_test", metadata: dict[str, str] | None = None,
                  failure_reason: str | None = None,
                  currency: str = "usd") -> dict[str, Any]:  # fmt: skip
    """A Refund as Stripe sends it (API reference, "The Refund object")."""
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge,
        "created": int(time.time()),
        "currency": currency,
        "failure_reason": failure_reason,
        "metadata": metadata or {},
        "payment_intent": payment_intent,
        "reason": None,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }
