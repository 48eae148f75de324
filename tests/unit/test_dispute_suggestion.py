"""What policy suggests an agent decide, and why (the case page pre-fills its form with it)."""

from __future__ import annotations

from datetime import UTC, datetime

from refundkit.domain.disputes.model import (
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    Offer,
    OfferStatus,
)
from refundkit.domain.disputes.suggestion import suggest_decision
from refundkit.domain.orders.model import Address, Order, OrderLine
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.tracking import Flag, Signal

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _order() -> Order:
    from refundkit.adapters.holiday_calendar import HolidaysCalendar
    from refundkit.adapters.ids import default_ids
    from refundkit.adapters.policy_files import default_policy_text, load_policy_text
    from refundkit.domain.context import Actor, Context
    from refundkit.domain.roles import Role

    ctx = Context(NOW, Actor(Role.PLATFORM, "p"), load_policy_text(default_policy_text()),
                  HolidaysCalendar(), default_ids)  # fmt: skip
    draft = OrderDraft("b", "s", "DE", "CN", "USD", (OrderLine("sku", "Lamp", 1, 3000),), 0,
                       PaymentMethod.CARD, Address("DE", "Berlin"), 20)  # fmt: skip
    order, _ = place_order(ctx, draft)
    order.paid_amount = 3000
    return order


def _dispute(reason: DisputeReason, asked: int = 3000, *offers: int) -> Dispute:
    d = Dispute("dp", "o", "b", "s", DisputeStatus.ESCALATED, reason, None,
                reason is not DisputeReason.NOT_RECEIVED, asked, False, "text", NOW)  # fmt: skip
    d.offers = [Offer(f"of{i}", "seller", "s", amount, False, "", OfferStatus.LAPSED, NOW)
                for i, amount in enumerate(offers)]  # fmt: skip
    return d


def test_a_flagged_parcel_not_received_suggests_a_full_refund_naming_the_flag() -> None:
    order = _order()
    order.tracking_flags = [Flag(Signal.SHARED_TRACKING, NOW, "also on another order")]
    s = suggest_decision(_dispute(DisputeReason.NOT_RECEIVED), order, 0)
    assert (s.outcome, s.refund_amount) == (DisputeOutcome.FULL_REFUND, order.refundable)
    assert "shared tracking" in s.why


def test_a_parcel_scanned_as_delivered_suggests_no_refund() -> None:
    order = _order()
    order.delivered_at = NOW
    s = suggest_decision(_dispute(DisputeReason.NOT_RECEIVED), order, 0)
    assert (s.outcome, s.refund_amount) == (DisputeOutcome.NO_REFUND, 0)
    assert "delivered" in s.why


def test_nothing_showing_delivery_suggests_a_full_refund() -> None:
    s = suggest_decision(_dispute(DisputeReason.NOT_RECEIVED), _order(), 0)
    assert s.outcome is DisputeOutcome.FULL_REFUND


def test_a_received_item_without_evidence_suggests_no_refund() -> None:
    s = suggest_decision(_dispute(DisputeReason.DAMAGED), _order(), 0)
    assert s.outcome is DisputeOutcome.NO_REFUND


def test_the_sellers_last_offer_is_the_least_suggested() -> None:
    s = suggest_decision(_dispute(DisputeReason.DAMAGED, 3000, 500, 1200), _order(), 1)
    assert (s.outcome, s.refund_amount) == (DisputeOutcome.PARTIAL_REFUND, 1200)
    assert "seller already offered" in s.why


def test_without_an_offer_what_the_buyer_asked_is_suggested() -> None:
    partial = suggest_decision(_dispute(DisputeReason.DAMAGED, 1800), _order(), 1)
    full = suggest_decision(_dispute(DisputeReason.DAMAGED, 3000), _order(), 1)
    assert (partial.outcome, partial.refund_amount) == (DisputeOutcome.PARTIAL_REFUND, 1800)
    assert (full.outcome, full.refund_amount) == (DisputeOutcome.FULL_REFUND, 3000)


def test_units_missing_from_a_delivered_parcel_are_judged_by_their_evidence_not_the_scan() -> None:
    order = _order()
    order.delivered_at = NOW
    d = _dispute(DisputeReason.NOT_RECEIVED)
    d.sub_reason = "missing_items"
    with_evidence = suggest_decision(d, order, 1)
    assert (with_evidence.outcome, with_evidence.refund_amount) == (
        DisputeOutcome.FULL_REFUND, order.refundable)  # fmt: skip
    assert "delivered" not in with_evidence.why
    without = suggest_decision(d, order, 0)
    assert (without.outcome, without.refund_amount) == (DisputeOutcome.NO_REFUND, 0)
