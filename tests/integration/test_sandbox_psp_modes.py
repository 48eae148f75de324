"""The sandbox PSP's failure modes, chosen by the payment reference: a declined refund and a
refund failing at settlement both give the money back to escrow (the order may be refunded
again); an outage is retried with the same key until the PSP answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import Market
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from refundkit.service import orders
from refundkit.service.ports import PspRefund


def _cancelled(market: Market, reference: str, method: PaymentMethod) -> str:
    order = market.place(method=method)
    market.pay(order.id, reference)
    market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    return order.id


def test_a_declined_refund_fails_and_its_money_returns_to_escrow(market: Market) -> None:
    order_id = _cancelled(market, "sandbox_declined-1", PaymentMethod.WALLET)
    market.advance(hours=24)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "refund declined by the issuer"
    assert market.balance(f"escrow:{order_id}") == market.order(order_id).paid_amount
    assert market.order(order_id).refundable == market.order(order_id).paid_amount


def test_a_card_refund_can_fail_when_it_would_settle(market: Market) -> None:
    order_id = _cancelled(market, "sandbox_fails_later", PaymentMethod.CARD)
    market.advance(hours=24)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.PENDING and refund.psp_reference
    market.advance(days=10)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "the card account was closed"
    assert market.balance("refunds_in_flight") == 0


def test_an_outage_is_retried_with_the_same_key_until_it_answers(market: Market) -> None:
    order_id = _cancelled(market, "sandbox_outage", PaymentMethod.WALLET)
    market.advance(hours=24)
    market.advance(minutes=1)
    market.advance(minutes=2)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.SUCCEEDED
    assert market.deps.payments.calls[refund.id] == 3  # type: ignore[attr-defined]


def test_after_a_failed_refund_the_platform_refunds_the_order_anew(market: Market) -> None:
    real = market.deps.payments

    class DeclinesFirst:
        """Declines the first refund it sees (the buyer's card was closed), then pays."""

        name = "sandbox"

        def __init__(self) -> None:
            self.declined: set[str] = set()

        def refund(self, **kw: Any) -> PspRefund:
            if not self.declined:
                self.declined.add(kw["idempotency_key"])
                return PspRefund("failed", "x", failure_reason="card closed")
            return real.refund(**kw)

        def refund_status(self, psp_reference: str, now: datetime) -> PspRefund:
            return real.refund_status(psp_reference, now)

    market.deps.payments = DeclinesFirst()
    order_id = _cancelled(market, "p", PaymentMethod.WALLET)
    market.advance(hours=24)
    [failed] = market.refunds(order_id)
    assert failed.status is RefundStatus.FAILED
    paid = market.order(order_id).paid_amount
    again = market.refund(order_id, paid)  # the order is cancelled, its money in escrow
    market.advance(minutes=1)
    statuses = {r.id: r.status for r in market.refunds(order_id)}
    assert statuses == {failed.id: RefundStatus.FAILED, again.id: RefundStatus.SUCCEEDED}
    assert market.order(order_id).refundable == 0
    assert market.balance(f"escrow:{order_id}") == 0
