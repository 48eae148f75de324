"""The Stripe provider, on Stripe's own SDK.

An order's ``payment_reference`` names what the shop charged: a PaymentIntent (``pi_...``)
or a charge (``ch_...``). A refund is created with its amount in minor units, our refund's
id as the idempotency key (a retry of the same refund never refunds twice at Stripe) and
metadata naming the order and the refund, so Stripe's dashboard and its webhooks lead back.

Stripe's answers map to ours:

- a refund ``succeeded`` / ``pending`` (or ``requires_action``) / ``failed`` or ``canceled``
  (with Stripe's ``failure_reason``);
- rate limits, connection errors, Stripe's own outages, a request Stripe says to retry
  (``Stripe-Should-Retry``, a 409 lock) and a bad key raise ``PspUnavailable``: the worker
  tries again later with the same idempotency key (the SDK's own retries are off so that
  every try is one timer attempt, recorded);
- a card error or a request Stripe refuses (the charge was already refunded or disputed,
  the amount exceeds it, the payment failed) is a failed refund with Stripe's words kept
  for staff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from refundkit.adapters import metrics
from refundkit.domain.errors import ValidationError
from refundkit.domain.refunds import PaymentMethod
from refundkit.service.ports import PspRefund, PspUnavailable
from refundkit.service.psp_events import refund_answer

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.stripe.com"
TIMEOUT_SECONDS = 20
"""A refund is asked for while its row is locked: a hung connection must not hold it long."""

_RETRYABLE = (
    stripe.RateLimitError,
    stripe.APIConnectionError,
    stripe.AuthenticationError,
    stripe.PermissionError,
    stripe.IdempotencyError,
)
"""A bad key or a mismatched idempotency key needs staff, not a failed refund: the money
may already have moved at Stripe, so the refund stays pending (and retried) until fixed."""


class StripeProvider:
    name = "stripe"

    def __init__(self, api_key: str, *, api_base: str | None = None) -> None:
        if not api_key:
            raise ValidationError("REFUNDKIT_STRIPE_API_KEY is required with REFUNDKIT_PSP=stripe")
        base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        )

    def refund(
        self,
        *,
        idempotency_key: str,
        order_id: str,
        payment_reference: str | None,
        amount: int,
        currency: str,
        method: PaymentMethod,
        buyer_country: str,
        now: datetime,
    ) -> PspRefund:
        params: dict[str, Any] = {
            "amount": amount,
            "metadata": {"order_id": order_id, "refund_id": idempotency_key},
        }
        if payment_reference and payment_reference.startswith("pi_"):
            params["payment_intent"] = payment_reference
        elif payment_reference and payment_reference.startswith("ch_"):
            params["charge"] = payment_reference
        else:
            return PspRefund(
                "failed",
                None,
                failure_reason=f"the payment reference {payment_reference!r} is neither a "
                "Stripe PaymentIntent (pi_...) nor a charge (ch_...)",
            )
        try:
            with metrics.psp_call("refund", self.name):
                refund = self.client.v1.refunds.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
        except stripe.StripeError as exc:
            return _refusal(exc, idempotency_key)
        return refund_answer(refund.to_dict())

    def refund_status(self, psp_reference: str, now: datetime) -> PspRefund:
        try:
            with metrics.psp_call("refund_status", self.name):
                refund = self.client.v1.refunds.retrieve(psp_reference)
        except stripe.StripeError as exc:
            if isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404:
                raise ValidationError(f"Stripe knows no refund {psp_reference}") from exc
            raise _unavailable(exc, psp_reference) from exc
        return refund_answer(refund.to_dict())

    def submit_chargeback_evidence(self, psp_reference: str, evidence: str) -> None:
        """Stripe's dispute evidence, submitted at once (it goes to the bank)."""
        params: dict[str, Any] = {"evidence": {"uncategorized_text": evidence}, "submit": True}
        try:
            with metrics.psp_call("chargeback_evidence", self.name):
                self.client.v1.disputes.update(psp_reference, params=params)  # type: ignore[arg-type]
        except stripe.StripeError as exc:
            raise _unavailable(exc, psp_reference) from exc

    def refunds_of(self, payment_reference: str) -> list[dict[str, Any]]:
        """The refunds Stripe holds for a payment, newest first (for staff and tests)."""
        key = "payment_intent" if payment_reference.startswith("pi_") else "charge"
        params: dict[str, Any] = {key: payment_reference}
        listed = self.client.v1.refunds.list(params=params)  # type: ignore[arg-type]
        return [refund_fields(r.to_dict()) for r in listed.data]


def refund_fields(refund: Mapping[str, Any]) -> dict[str, Any]:
    created = refund.get("created")
    return {
        "id": refund["id"],
        "amount": refund["amount"],
        "currency": refund["currency"],
        "status": refund.get("status"),
        "metadata": dict(refund.get("metadata") or {}),
        "created": datetime.fromtimestamp(int(created), UTC) if created else None,
    }


def _refusal(exc: stripe.StripeError, key: str) -> PspRefund:
    if isinstance(exc, stripe.CardError | stripe.InvalidRequestError) and not _should_retry(exc):
        code = f" [{exc.code}]" if exc.code else ""
        log.info("Stripe refused refund %s: %s%s", key, exc.user_message, code)
        return PspRefund("failed", None, failure_reason=f"Stripe: {exc.user_message}{code}")
    raise _unavailable(exc, key) from exc


def _should_retry(exc: stripe.StripeError) -> bool:
    headers = exc.headers or {}
    if str(headers.get("stripe-should-retry", "")).lower() == "true":
        return True
    return exc.http_status == 409 or (exc.http_status or 0) >= 500


def _unavailable(exc: stripe.StripeError, subject: str) -> PspUnavailable:
    if not isinstance(exc, _RETRYABLE) and not _should_retry(exc) and exc.http_status:
        log.warning("Stripe answered %s on %s: %s", exc.http_status, subject, exc)
    kind = type(exc).__name__
    return PspUnavailable(f"Stripe unavailable ({kind}, HTTP {exc.http_status}): {exc}")
