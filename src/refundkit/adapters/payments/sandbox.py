"""A sandbox PSP. Wallet refunds succeed at once; card refunds settle after 3 to 20
business days of the buyer's country (succeeding at the earliest, as most do).

It keeps no state: the reference it hands out encodes the key and the settlement moment,
so the same idempotency key always yields the same refund (a retry never refunds twice),
and any process can answer a status query. ``calls`` counts requests for the tests.

Failure modes, chosen by the order's ``payment_reference`` (as card numbers choose them in a
PSP's test mode), to try a shop's handling of refunds that go wrong:

- ``sandbox_declined``: every refund is declined at once ("refund declined by the issuer");
- ``sandbox_fails_later``: card refunds are accepted, then fail when they would settle;
- ``sandbox_outage``: the first two calls for each refund fail with a timeout (this process
  counts them); the worker retries with the same idempotency key and the third goes through.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

from refundkit.adapters import metrics
from refundkit.domain.calendar import HolidayCalendar, add_business_days
from refundkit.domain.errors import ValidationError
from refundkit.domain.refunds import Eta, PaymentMethod
from refundkit.service.ports import PspRefund

DECLINED = "sandbox_declined"
FAILS_LATER = "sandbox_fails_later"
OUTAGE = "sandbox_outage"
DECLINE_REASON = "refund declined by the issuer"
LATE_FAILURE_REASON = "the card account was closed"


def _mode(payment_reference: str | None) -> str | None:
    for mode in (DECLINED, FAILS_LATER, OUTAGE):
        if payment_reference and mode in payment_reference:
            return mode
    return None


class SandboxPsp:
    name = "sandbox"

    def __init__(
        self, calendar: HolidayCalendar, card_min_days: int = 3, card_max_days: int = 20
    ) -> None:
        self._calendar = calendar
        self._card_min = card_min_days
        self._card_max = card_max_days
        self.calls: Counter[str] = Counter()
        self.evidence: dict[str, str] = {}
        """What this process answered each chargeback with (the sandbox bank reads it)."""

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
        with metrics.psp_call("refund", self.name):
            return self._refund(idempotency_key, payment_reference, method, buyer_country, now)

    def _refund(self, idempotency_key: str, payment_reference: str | None,
                method: PaymentMethod, buyer_country: str, now: datetime) -> PspRefund:  # fmt: skip
        self.calls[idempotency_key] += 1
        mode = _mode(payment_reference)
        if mode == OUTAGE and self.calls[idempotency_key] <= 2:
            raise TimeoutError("sandbox outage: the PSP did not answer")
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        if mode == DECLINED:
            return PspRefund("failed", f"sbx_{digest}_0", failure_reason=DECLINE_REASON)
        if mode == FAILS_LATER and method is PaymentMethod.CARD:
            digest = f"fail{digest}"
        if method is PaymentMethod.WALLET:
            return PspRefund("succeeded", f"sbx_{digest}_{int(now.timestamp())}", Eta(now, now))
        earliest = add_business_days(self._calendar, buyer_country, now, self._card_min)
        latest = add_business_days(self._calendar, buyer_country, now, self._card_max)
        reference = f"sbx_{digest}_{int(earliest.timestamp())}"
        return PspRefund("pending", reference, Eta(earliest, latest))

    def refund_status(self, psp_reference: str, now: datetime) -> PspRefund:
        try:
            settles_at = datetime.fromtimestamp(int(psp_reference.rsplit("_", 1)[1]), UTC)
        except (IndexError, ValueError) as exc:
            raise ValidationError(f"unknown PSP reference {psp_reference}") from exc
        if now >= settles_at:
            if psp_reference.startswith("sbx_fail"):
                return PspRefund("failed", psp_reference, failure_reason=LATE_FAILURE_REASON)
            return PspRefund("succeeded", psp_reference)
        return PspRefund("pending", psp_reference)

    def submit_chargeback_evidence(self, psp_reference: str, evidence: str) -> None:
        self.evidence[psp_reference] = evidence
