"""A sandbox PSP. Wallet refunds succeed at once; card refunds settle after 3 to 20
business days of the buyer's country (succeeding at the earliest, as most do).

It keeps no state: the reference it hands out encodes the key and the settlement moment,
so the same idempotency key always yields the same refund (a retry never refunds twice),
and any process can answer a status query. ``calls`` counts requests for the tests.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

from refundkit.domain.calendar import HolidayCalendar, add_business_days
from refundkit.domain.errors import ValidationError
from refundkit.domain.refunds import Eta, PaymentMethod
from refundkit.service.ports import PspRefund


class SandboxPsp:
    def __init__(
        self, calendar: HolidayCalendar, card_min_days: int = 3, card_max_days: int = 20
    ) -> None:
        self._calendar = calendar
        self._card_min = card_min_days
        self._card_max = card_max_days
        self.calls: Counter[str] = Counter()

    def refund(
        self,
        *,
        idempotency_key: str,
        payment_reference: str | None,
        amount: int,
        currency: str,
        method: PaymentMethod,
        buyer_country: str,
        now: datetime,
    ) -> PspRefund:
        self.calls[idempotency_key] += 1
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
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
            return PspRefund("succeeded", psp_reference)
        return PspRefund("pending", psp_reference)
