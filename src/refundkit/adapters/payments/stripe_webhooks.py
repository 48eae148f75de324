"""Stripe's webhook events in: the ``Stripe-Signature`` header checked by the SDK against
``REFUNDKIT_STRIPE_WEBHOOK_SECRET`` (a timestamp older than five minutes refused, as Stripe
advises against replays), then the event read into ours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import stripe

from refundkit.domain.errors import InvalidSignature, ValidationError, WebhooksNotConfigured
from refundkit.service.psp_ports import PspEvent

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"


def verified_event(payload: bytes, signature: str | None, secret: str | None) -> PspEvent:
    if not secret:
        raise WebhooksNotConfigured(
            "set REFUNDKIT_STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...) "
            "to take Stripe's webhooks"
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the body must be Stripe's JSON event", field="body") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature(f"{SIGNATURE_HEADER} does not verify: {exc.user_message}") from exc
    return event_of(text)


def event_of(text: str) -> PspEvent:
    try:
        raw: Any = json.loads(text)
    except ValueError:
        raise ValidationError("the body must be Stripe's JSON event", field="body") from None
    data = raw.get("data") if isinstance(raw, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not (
        isinstance(raw, dict)
        and isinstance(raw.get("id"), str)
        and isinstance(raw.get("type"), str)
        and isinstance(obj, dict)
    ):
        raise ValidationError("a Stripe event has an id, a type and data.object", field="body")
    created = raw.get("created")
    at = (
        datetime.fromtimestamp(created, UTC)
        if isinstance(created, int) and not isinstance(created, bool)
        else datetime.now(UTC)
    )
    return PspEvent("stripe", raw["id"], raw["type"], at, obj)
