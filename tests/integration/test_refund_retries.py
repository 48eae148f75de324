"""A PSP call that fails is tried again later with the same idempotency key, never a new
one, so a retry can never refund twice (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import Market
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from refundkit.service import orders
from refundkit.service.ports import PaymentGateway, PspRefund


class FlakyPsp:
    """Times out on the first ``failures`` calls, then answers like the real sandbox."""

    name = "sandbox"

    def __init__(self, real: PaymentGateway, failures: int) -> None:
        self.real, self.failures = real, failures
        self.keys: list[str] = []

    def refund(self, **kw: Any) -> PspRefund:
        self.keys.append(kw["idempotency_key"])
        if self.failures > 0:
            self.failures -= 1
            raise TimeoutError("the PSP did not answer")
        return self.real.refund(**kw)

    def refund_status(self, psp_reference: str, now: datetime) -> PspRefund:
        return self.real.refund_status(psp_reference, now)


def test_a_failed_psp_call_is_retried_with_the_same_key_and_refunds_once(market: Market) -> None:
    flaky = FlakyPsp(market.deps.payments, failures=2)
    market.deps.payments = flaky
    order = market.paid(method=PaymentMethod.WALLET)
    market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    market.advance(hours=24)  # settlement: the first call times out
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.PENDING
    market.advance(minutes=1)  # second try, one minute later: times out again
    market.advance(minutes=2)  # third try, two minutes after that: goes through
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.SUCCEEDED
    assert flaky.keys == [refund.id] * 3
    assert market.balance("refunds_in_flight") == 0
