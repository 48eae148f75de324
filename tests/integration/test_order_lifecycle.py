"""DESIGN §2, rule by rule, on a fixed sandbox clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market import Market
from refundkit.domain.errors import Forbidden, InvalidTransition, ValidationError, WindowClosed
from refundkit.domain.ledger import PLATFORM_COMMISSION, escrow_account, seller_payable_account
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from refundkit.service import orders


def test_an_unpaid_order_expires_after_24_hours(market: Market) -> None:
    order = market.place()
    assert order.deadlines.pay_by == market.now + timedelta(hours=24)
    market.advance(hours=23, minutes=59)
    assert market.order(order.id).status is OrderStatus.AWAITING_PAYMENT
    market.advance(minutes=1)
    assert market.order(order.id).status is OrderStatus.EXPIRED


def test_payment_after_the_pay_by_deadline_is_refused_even_before_the_timer_fires(
    market: Market,
) -> None:
    order = market.place()
    market.rt.sandbox_clock.set(order.deadlines.pay_by)  # type: ignore[union-attr]
    with pytest.raises(WindowClosed):
        market.pay(order.id)
    assert market.order(order.id).paid_amount == 0


def test_payment_is_held_in_escrow_not_paid_to_the_seller(market: Market) -> None:
    order = market.paid()
    assert market.balance(escrow_account(order.id)) == order.total == 3000
    assert market.balance(seller_payable_account(market.seller.id)) == 0


def test_buyer_cancels_at_once_within_the_free_window_with_a_full_refund(market: Market) -> None:
    order = market.paid()
    market.advance(hours=23)
    cancelled = market.tx(
        lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, "changed my mind")
    ).order
    assert cancelled.status is OrderStatus.CANCELLED
    [refund] = market.refunds(order.id)
    assert refund.amount == order.total
    assert market.balance(escrow_account(order.id)) == 0


def test_a_cancellation_refund_is_executed_only_after_the_payment_settles(market: Market) -> None:
    order = market.paid(method=PaymentMethod.WALLET)
    paid_at = market.now
    market.advance(hours=1)
    market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    market.advance(hours=22, minutes=59)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.PENDING
    assert refund.execute_after == paid_at + timedelta(hours=24)
    market.advance(minutes=1)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.SUCCEEDED
    assert refund.succeeded_at == paid_at + timedelta(hours=24)


def test_card_refund_arrives_within_3_to_20_business_days_of_the_buyers_country(
    market: Market,
) -> None:
    order = market.paid(method=PaymentMethod.CARD)  # paid Monday 2026-11-02 09:00
    market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    [refund] = market.refunds(order.id)
    settles = order.paid_at + timedelta(hours=24)  # Tuesday
    assert refund.eta.earliest == settles + timedelta(days=3)  # Friday
    # 20 business days from Tue 3 Nov in DE: no German public holiday in between.
    assert refund.eta.latest == settles + timedelta(days=28)
    market.advance_to(refund.eta.earliest)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.SUCCEEDED


def _request_cancellation(market: Market) -> str:
    order = market.paid()
    market.advance(hours=25)
    requested = market.tx(
        lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, "too slow")
    ).order
    assert requested.status is OrderStatus.CANCEL_REQUESTED
    assert requested.deadlines.cancel_respond_by == market.now + timedelta(hours=48)
    assert market.refunds(order.id) == []
    return order.id


def test_after_the_free_window_the_seller_may_approve_the_cancellation(market: Market) -> None:
    oid = _request_cancellation(market)
    done = market.tx(lambda uow: orders.approve_cancellation(market.deps, uow, market.seller, oid))
    assert done.order.status is OrderStatus.CANCELLED
    assert [r.amount for r in market.refunds(oid)] == [3000]


def test_the_seller_may_refuse_the_cancellation_and_the_order_goes_on(market: Market) -> None:
    oid = _request_cancellation(market)
    done = market.tx(
        lambda uow: orders.reject_cancellation(
            market.deps, uow, market.seller, oid, "already packed"
        )
    )
    assert done.order.status is OrderStatus.PAID
    market.advance(hours=49)
    assert market.order(oid).status is OrderStatus.PAID
    assert market.refunds(oid) == []


def test_seller_silence_for_48_hours_approves_the_cancellation(market: Market) -> None:
    oid = _request_cancellation(market)
    market.advance(hours=47, minutes=59)
    assert market.order(oid).status is OrderStatus.CANCEL_REQUESTED
    market.advance(minutes=1)
    assert market.order(oid).status is OrderStatus.CANCELLED
    cancelled = [e for e in market.events(oid) if e.type == "order.cancelled"]
    assert cancelled[0].data["rule"] == "cancellation.seller_answer_hours"
    assert cancelled[0].actor_role == "system"


def test_a_shipped_order_cannot_be_cancelled(market: Market) -> None:
    order = market.shipped()
    with pytest.raises(InvalidTransition):
        market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    assert market.order(order.id).status is OrderStatus.SHIPPED


def test_only_the_buyer_may_cancel(market: Market) -> None:
    order = market.paid()
    with pytest.raises(Forbidden):
        market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.seller, order.id, ""))


def test_not_shipped_within_7_business_days_cancels_with_a_full_refund(market: Market) -> None:
    order = market.paid()  # Monday 2 Nov 09:00, seller in CN
    assert order.deadlines.ship_by == order.paid_at + timedelta(days=9)  # Wed 11 Nov
    market.advance_to(order.deadlines.ship_by - timedelta(minutes=1))
    assert market.order(order.id).status is OrderStatus.PAID
    market.advance(minutes=1)
    cancelled = market.order(order.id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert [r.amount for r in market.refunds(order.id)] == [order.total]
    event = next(e for e in market.events(order.id) if e.type == "order.cancelled")
    assert event.data["rule"] == "shipping.handling_business_days"


def test_handling_time_skips_the_sellers_public_holidays(market: Market) -> None:
    seller = market.user(__import__("refundkit.domain.roles", fromlist=["Role"]).Role.SELLER, "DE")
    market.advance_to(market.now.replace(day=23))  # Monday 23 Nov 2026
    order = market.paid(seller=seller, handling_days=3)
    # Mon 23 + 3 business days = Thu 26 (no German holiday that week).
    assert order.deadlines.ship_by == order.paid_at + timedelta(days=3)
    market.advance_to(market.now.replace(month=12, day=23))  # Wednesday 23 Dec
    order2 = market.paid(seller=seller, handling_days=2)
    # Thu 24 is a working day, 25 and 26 are holidays, 27 Sunday: Mon 28 Dec.
    assert order2.deadlines.ship_by == order2.paid_at + timedelta(days=5)


def test_shipping_after_the_handling_time_is_refused(market: Market) -> None:
    order = market.paid()
    market.rt.sandbox_clock.set(order.deadlines.ship_by)  # type: ignore[union-attr]
    with pytest.raises(WindowClosed):
        market.ship(order.id)


def test_a_seller_may_not_declare_more_handling_days_than_the_policy(market: Market) -> None:
    with pytest.raises(ValidationError):
        market.place(handling_days=8)


def test_delivery_deadline_is_shipping_date_plus_promised_days(market: Market) -> None:
    order = market.paid(promised_days=20)
    market.advance(hours=30)
    shipped = market.ship(order.id)
    assert shipped.deadlines.delivery_deadline == market.now + timedelta(days=20)


def test_promised_delivery_is_capped_at_60_days_unless_the_country_allows_more(
    market: Market,
) -> None:
    with pytest.raises(ValidationError):
        market.place(promised_days=61, country="DE")
    assert market.place(promised_days=90, country="BR").promised_delivery_days == 90
    with pytest.raises(ValidationError):
        market.place(promised_days=121, country="RU")


def test_without_confirmation_or_scan_the_order_completes_at_the_delivery_deadline(
    market: Market,
) -> None:
    order = market.shipped()
    assert order.deadlines.dispute_closes_at == order.deadlines.delivery_deadline
    market.advance_to(order.deadlines.delivery_deadline - timedelta(seconds=1))
    assert market.order(order.id).status is OrderStatus.SHIPPED
    market.advance(seconds=1)
    done = market.order(order.id)
    assert done.status is OrderStatus.COMPLETED
    assert done.released_amount == order.total


def test_completion_releases_escrow_to_the_seller_less_5_percent(market: Market) -> None:
    order = market.shipped()
    market.advance_to(order.deadlines.delivery_deadline)
    assert market.balance(escrow_account(order.id)) == 0
    assert market.balance(seller_payable_account(market.seller.id)) == 2850
    assert market.balance(PLATFORM_COMMISSION) == 150


def test_dispute_window_opens_5_days_after_shipment(market: Market) -> None:
    order = market.shipped()
    assert order.deadlines.dispute_opens_at == order.shipped_at + timedelta(days=5)


def test_confirming_receipt_opens_the_window_at_once_and_closes_it_15_days_later(
    market: Market,
) -> None:
    order = market.shipped()
    market.advance(days=2)
    confirmed = market.tx(
        lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, order.id)
    ).order
    assert confirmed.status is OrderStatus.DELIVERED
    assert confirmed.deadlines.dispute_opens_at == market.now
    assert confirmed.deadlines.dispute_closes_at == market.now + timedelta(days=15)
    assert market.balance(escrow_account(order.id)) == order.total


def test_money_is_released_when_the_dispute_window_closes_after_delivery(market: Market) -> None:
    order = market.shipped()
    market.advance(days=2)
    confirmed = market.tx(
        lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, order.id)
    ).order
    market.advance_to(confirmed.deadlines.dispute_closes_at - timedelta(seconds=1))
    assert market.order(order.id).status is OrderStatus.DELIVERED
    market.advance(seconds=1)
    assert market.order(order.id).status is OrderStatus.COMPLETED
    assert market.balance(escrow_account(order.id)) == 0


def test_a_delivered_scan_counts_as_delivery(market: Market) -> None:
    from refundkit.service.records import TrackingScan
    from refundkit.service.tracking import ingest_scans

    order = market.shipped()
    market.advance(days=3)
    scanned_at = market.now - timedelta(hours=5)
    scan = TrackingScan(
        "DHL", "T1", "delivered", "DE", "Berlin", "10115", scanned_at, None, market.now
    )
    market.tx(lambda uow: ingest_scans(market.deps, uow, market.platform, [scan]))
    delivered = market.order(order.id)
    assert delivered.status is OrderStatus.DELIVERED
    assert delivered.delivered_at == scanned_at
    assert delivered.deadlines.dispute_closes_at == scanned_at + timedelta(days=15)
    assert delivered.deadlines.dispute_opens_at == scanned_at
    # Confirming later does not move the window: the first sign of delivery counts.
    market.advance(days=1)
    after = market.tx(
        lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, order.id)
    ).order
    assert after.deadlines.dispute_closes_at == scanned_at + timedelta(days=15)


def test_the_same_scan_twice_is_stored_once(market: Market) -> None:
    from refundkit.service.records import TrackingScan
    from refundkit.service.tracking import ingest_scans

    market.shipped()
    scan = TrackingScan(
        "DHL", "T1", "in_transit", "DE", "Leipzig", None, market.now, None, market.now
    )
    first = market.tx(lambda uow: ingest_scans(market.deps, uow, market.platform, [scan]))
    second = market.tx(lambda uow: ingest_scans(market.deps, uow, market.platform, [scan]))
    assert (first, second) == (1, 0)
