"""Chargebacks (issue 15; docs/decisions.md, "Chargebacks"), each rule on both databases:
an inquiry leaves the order refundable; an open chargeback refuses and holds refunds and
releases and suspends the dispute; won reinstates, lost recovers, and refunds plus money
lost to chargebacks never pass what was captured. ``ledger verify``'s proof runs after
every test (the ``runtime`` fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chargeback_world import FEE, bank, the_chargebacks
from market import Market
from refundkit.domain.chargebacks.model import ChargebackStatus as C
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DecidedBy, DisputeStatus
from refundkit.domain.errors import ChargebackOpen
from refundkit.domain.ledger import (
    PLATFORM_CHARGEBACK_LOSSES,
    chargeback_account,
    escrow_account,
    seller_debt_account,
    seller_payable_account,
)
from refundkit.domain.notifications import NotificationKind
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from refundkit.service import disputes, tracking
from refundkit.service.records import TrackingScan

PAID = 3000


def _shipped_in_window(market: Market) -> Order:
    order = market.shipped()
    market.advance(days=5)
    return order


def _dispute(market: Market, order: Order, amount: int = 1200) -> str:
    form = DisputeForm("not_received", None, False, amount, False, "Nothing arrived.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, []))  # fmt: skip
    return d.dispute.id


def _dispute_status(market: Market, dispute_id: str) -> DisputeStatus:
    d = market.tx(lambda uow: disputes.get_dispute(market.deps, uow, market.platform, dispute_id))
    return d.dispute.status


def _gone(market: Market, order_id: str) -> int:
    """What went back to the buyer: refunds (pending or made) and chargebacks lost."""
    order = market.order(order_id)
    return order.refunded_amount + order.charged_back_amount


def test_an_inquiry_leaves_the_order_refundable_and_moves_no_money(market: Market) -> None:
    order = _shipped_in_window(market)
    cb = bank(market, order.id, C.INQUIRY)
    assert cb.status is C.INQUIRY
    assert market.order(order.id).open_chargeback_id is None
    assert market.balance(chargeback_account(cb.id)) == 0
    market.refund(order.id, 1000)
    market.advance(minutes=1)
    assert [r.status for r in market.refunds(order.id)] == [RefundStatus.PENDING]  # card: ETA
    closed = bank(market, order.id, C.INQUIRY_CLOSED)
    assert (closed.status, closed.closed_at) == (C.INQUIRY_CLOSED, market.now)


def test_an_open_chargeback_refuses_refunds_with_409_code_and_withdraws_amount_and_fee(
    market: Market,
) -> None:
    order = _shipped_in_window(market)
    cb = bank(market, order.id, C.NEEDS_RESPONSE)
    assert market.order(order.id).open_chargeback_id == cb.id
    assert market.balance(chargeback_account(cb.id)) == -(PAID + FEE)
    with pytest.raises(ChargebackOpen) as refused:
        market.refund(order.id, 100)
    assert refused.value.code == "chargeback_open"
    assert market.refunds(order.id) == []


def test_a_chargeback_suspends_the_open_dispute_and_a_loss_closes_it_without_a_refund(
    market: Market,
) -> None:
    order = _shipped_in_window(market)
    dispute_id = _dispute(market, order)
    cb = bank(market, order.id, C.NEEDS_RESPONSE)
    assert cb.suspended_dispute_id == dispute_id
    with pytest.raises(ChargebackOpen):
        market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, dispute_id))
    market.advance(days=6)  # the seller's 5 days pass: the timer does nothing
    assert _dispute_status(market, dispute_id) is DisputeStatus.AWAITING_SELLER
    assert market.refunds(order.id) == []
    assert "dispute.suspended" in [e.type for e in market.events(order.id)]
    told = market.messages(NotificationKind.DISPUTE_SUSPENDED)
    assert sorted(m.recipient_id for m in told) == sorted([market.buyer.id, market.seller.id])
    assert all("the bank decides" in m.body for m in told)
    lost = bank(market, order.id, C.LOST)
    d = market.tx(lambda uow: disputes.get_dispute(market.deps, uow, market.platform, dispute_id))
    assert (d.dispute.status, d.dispute.decided_by, d.dispute.rule) == (
        DisputeStatus.CLOSED,
        DecidedBy.POLICY,
        "chargeback_decided",
    )
    assert (lost.counted, market.order(order.id).refundable) == (PAID, 0)
    assert _gone(market, order.id) == PAID  # the buyer is repaid once, by the bank
    market.advance(days=40)
    assert market.refunds(order.id) == []


def test_a_won_chargeback_reinstates_amount_and_fee_and_the_held_refund_goes_ahead(
    market: Market,
) -> None:
    order = market.paid(method=PaymentMethod.WALLET)
    market.refund(order.id, 800)  # waits for the payment to settle (24 hours)
    cb = bank(market, order.id, C.NEEDS_RESPONSE)
    market.advance(days=2)
    [held] = market.refunds(order.id)
    assert (held.status, held.executed_at) == (RefundStatus.PENDING, None)
    won = bank(market, order.id, C.WON)
    assert market.balance(chargeback_account(cb.id)) == 0
    assert won.closed_at == market.now
    market.advance(minutes=1)
    [sent] = market.refunds(order.id)
    assert sent.status is RefundStatus.SUCCEEDED
    assert market.order(order.id).refundable == PAID - 800


def test_a_lost_chargeback_cancels_the_refund_the_bank_already_repaid(market: Market) -> None:
    order = market.paid(method=PaymentMethod.WALLET)
    market.refund(order.id, 800)
    cb = bank(market, order.id, C.NEEDS_RESPONSE)
    lost = bank(market, order.id, C.LOST)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.CANCELED
    assert lost.counted == PAID
    assert _gone(market, order.id) == PAID
    assert market.balance(escrow_account(order.id)) == 0
    assert market.balance(chargeback_account(cb.id)) == 0
    # The fee comes from the seller's balance; it has none yet: the platform covers, the
    # seller owes it.
    assert market.balance(seller_debt_account(market.seller.id)) == -FEE
    market.advance(days=2)
    assert market.refunds(order.id)[0].status is RefundStatus.CANCELED


def test_a_refund_made_before_is_offered_as_evidence_and_never_repaid_twice(
    market: Market,
) -> None:
    order = market.paid(method=PaymentMethod.WALLET)
    market.advance(days=1)
    refund = market.refund(order.id, 1000)
    market.advance(minutes=1)
    assert market.refunds(order.id)[0].status is RefundStatus.SUCCEEDED
    cb = bank(market, order.id, C.NEEDS_RESPONSE)  # the bank reverses the whole payment
    market.advance(minutes=1)  # the worker sends the evidence
    [after] = the_chargebacks(market, order.id)
    assert after.status is C.UNDER_REVIEW
    sent = market.deps.payments.evidence[cb.psp_reference]  # type: ignore[attr-defined]
    assert refund.id in sent and "10.00 USD" in sent
    lost = bank(market, order.id, C.LOST)
    assert (lost.counted, lost.borne_by_platform) == (PAID - 1000, 1000)
    assert _gone(market, order.id) == PAID
    assert market.balance(PLATFORM_CHARGEBACK_LOSSES) == -1000


def test_a_seller_with_a_delivered_scan_to_the_postcode_is_protected(market: Market) -> None:
    order = _shipped_in_window(market)
    scan = TrackingScan("DHL", "T1", "delivered", "DE", "Berlin", "10115",
                        market.now - timedelta(days=1), None, market.now)  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, [scan]))
    bank(market, order.id, C.NEEDS_RESPONSE)
    lost = bank(market, order.id, C.LOST)
    assert (lost.borne_by_platform, lost.recovered_from_seller) == (PAID + FEE, 0)
    assert market.balance(PLATFORM_CHARGEBACK_LOSSES) == -(PAID + FEE)
    market.advance(days=30)  # the order completes: the seller is paid for the delivered item
    assert market.balance(seller_payable_account(market.seller.id)) > 0


def test_a_loss_after_release_is_recovered_from_the_seller(market: Market) -> None:
    order = market.released()
    payable = market.balance(seller_payable_account(market.seller.id))
    bank(market, order.id, C.NEEDS_RESPONSE)
    lost = bank(market, order.id, C.LOST)
    assert lost.recovered_from_seller == PAID + FEE
    assert market.balance(seller_payable_account(market.seller.id)) == max(
        payable - PAID - FEE, 0
    )  # a shortfall is covered by the platform and owed by the seller


def test_the_same_report_twice_changes_nothing(market: Market) -> None:
    order = _shipped_in_window(market)
    bank(market, order.id, C.NEEDS_RESPONSE)
    bank(market, order.id, C.LOST)
    events = len(market.events(order.id))
    again = bank(market, order.id, C.LOST)
    late = bank(market, order.id, C.UNDER_REVIEW)
    assert again.status is C.LOST and late.status is C.LOST
    assert len(market.events(order.id)) == events
    assert len(the_chargebacks(market, order.id)) == 1
