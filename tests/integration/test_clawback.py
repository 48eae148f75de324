"""Refunds after the seller was paid (DESIGN §4): clawed back from the seller's balance, the
platform covering what the balance cannot and the seller owing it, recovered from the
seller's next releases, and reported overdue after the policy's 15 days."""

from __future__ import annotations

import pytest

from market import Market
from refundkit.domain.errors import AmountExceedsRefundable, Forbidden, InvalidAmount
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.refunds import RefundStatus
from refundkit.service import orders

# The default order: 2 x 12.50 + 5.00 shipping = 30.00 USD; 5 % commission.
TOTAL, COMMISSION = 3000, 150


def payable(market: Market) -> int:
    return market.balance(f"seller_payable:{market.seller.id}")


def owed(market: Market) -> int:
    return -market.balance(f"seller_debt:{market.seller.id}")


def test_a_refund_after_release_is_clawed_back_from_the_seller_balance(market: Market) -> None:
    order = market.released()
    assert payable(market) == TOTAL - COMMISSION
    refund = market.refund(order.id, 1000)
    # The seller gives back 950; the platform gives back its 5 % commission on the 1000.
    assert (refund.clawback_amount, refund.commission_back) == (1000, 50)
    assert payable(market) == TOTAL - COMMISSION - 950
    assert market.balance("platform_commission") == COMMISSION - 50
    assert market.balance(f"escrow:{order.id}") == 0
    assert owed(market) == 0
    assert market.order(order.id).clawed_back_amount == 1000


def test_without_enough_balance_the_platform_covers_and_the_seller_owes(market: Market) -> None:
    order = market.released()
    market.payout(market.seller, TOTAL - COMMISSION)  # the seller was paid out in full
    refund = market.refund(order.id, TOTAL)
    assert refund.clawback_amount == TOTAL
    assert payable(market) == 0
    assert owed(market) == TOTAL - COMMISSION
    # The buyer is not kept waiting: the refund goes out once the payment settled.
    market.advance(hours=1)
    [paid] = market.refunds(order.id)
    assert paid.status is RefundStatus.SUCCEEDED or paid.psp_reference is not None
    assert market.order(order.id).status is OrderStatus.REFUNDED


def test_a_later_release_pays_the_debt_back_first(market: Market) -> None:
    first = market.released()
    market.payout(market.seller, TOTAL - COMMISSION)
    market.refund(first.id, 2000)
    assert owed(market) == 1900
    market.released()  # another order of the same seller: 2850 released
    assert owed(market) == 0
    assert payable(market) == TOTAL - COMMISSION - 1900


def test_a_debt_still_owed_after_15_days_is_reported_once(market: Market) -> None:
    order = market.released()
    market.payout(market.seller, TOTAL - COMMISSION)
    market.refund(order.id, 1000)
    market.advance(days=14, hours=23)
    assert not [e for e in market.events(order.id) if e.type == "seller.debt_overdue"]
    market.advance(hours=2)
    overdue = [e for e in market.events(order.id) if e.type == "seller.debt_overdue"]
    assert [e.data["owed"] for e in overdue] == [950]


def test_a_debt_paid_back_in_time_is_not_reported(market: Market) -> None:
    order = market.released()
    market.payout(market.seller, TOTAL - COMMISSION)
    second = market.shipped()
    market.tx(lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, second.id))
    market.advance(hours=1)
    market.refund(order.id, 1000)
    market.advance(days=14, hours=23)  # the second order is released before the debt is due
    assert owed(market) == 0
    market.advance(hours=2)
    assert not [e for e in market.events(order.id) if e.type == "seller.debt_overdue"]


def test_a_clawback_the_psp_refuses_goes_back_to_the_seller(market: Market) -> None:
    class Refusing:
        name = "sandbox"

        def refund(self, **kw: object) -> object:
            from refundkit.service.ports import PspRefund

            return PspRefund("failed", "psp_x", failure_reason="card closed")

        def refund_status(self, *a: object) -> object:
            raise AssertionError("not polled")

    order = market.released()
    market.deps.payments = Refusing()  # type: ignore[assignment]
    market.refund(order.id, 1000)
    market.advance(days=1)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.FAILED
    assert payable(market) == TOTAL - COMMISSION
    assert market.balance("platform_commission") == COMMISSION
    restored = market.order(order.id)
    assert (restored.refunded_amount, restored.clawed_back_amount) == (0, 0)
    assert restored.commission_amount == COMMISSION


def test_refunds_after_release_never_pass_what_was_paid(market: Market) -> None:
    order = market.released()
    market.refund(order.id, 2000)
    with pytest.raises(AmountExceedsRefundable):
        market.refund(order.id, 1001)
    market.refund(order.id, 1000)
    assert market.order(order.id).refundable == 0


def test_balances_can_be_read_at_a_past_moment(market: Market) -> None:
    order = market.released()
    before = market.now
    market.advance(hours=1)
    market.payout(market.seller, TOTAL - COMMISSION)
    market.refund(order.id, 1000)
    assert market.balance(f"seller_payable:{market.seller.id}", at=before) == TOTAL - COMMISSION
    assert market.balance(f"seller_debt:{market.seller.id}", at=before) == 0
    assert owed(market) == 950


def test_only_the_platform_and_agents_refund_outside_a_dispute(market: Market) -> None:
    order = market.released()
    for who in (market.buyer, market.seller):
        with pytest.raises(Forbidden):
            market.refund(order.id, 100, by=who)
    assert market.order(order.id).refunded_amount == 0


def test_a_payout_never_exceeds_the_balance(market: Market) -> None:
    market.released()
    with pytest.raises(InvalidAmount):
        market.payout(market.seller, TOTAL - COMMISSION + 1)
    assert payable(market) == TOTAL - COMMISSION
