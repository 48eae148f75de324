"""Properties of refunds over random orders (issue 4): random prices, quantities and
currencies with 0, 2 and 3 decimals, random sequences of partial refunds before and after
release. The parts of each refund add up to it to the minor unit, no line ever gives back
more than it cost, the total never passes what was captured, and refunding all that is left
always lands exactly on the capture."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from test_order_machine import T0, ctx

from refundkit.domain.errors import AmountExceedsRefundable, InvalidAmount
from refundkit.domain.ledger import JournalEntry
from refundkit.domain.orders import lifecycle
from refundkit.domain.orders.escrow import escrow_balance, refund_buyer, release_to_seller
from refundkit.domain.orders.model import Address, Order, OrderLine
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role

# Currencies of each exponent: JPY has no minor unit, USD two decimals, KWD three.
CURRENCIES = ("JPY", "USD", "KWD")

lines_strategy = st.lists(
    st.builds(
        OrderLine,
        sku=st.just("s"),
        title=st.just("item"),
        quantity=st.integers(1, 50),
        unit_price=st.integers(1, 5_000_000),
    ),
    min_size=1,
    max_size=6,
)


def _order(
    currency: str, lines: list[OrderLine], shipping: int
) -> tuple[Order, list[JournalEntry]]:
    draft = OrderDraft("buyer_1", "seller_1", "DE", "CN", currency, tuple(lines), shipping,
                       PaymentMethod.CARD, Address("DE", "Berlin"), 20)  # fmt: skip
    order = place_order(ctx(Role.PLATFORM, T0), draft)[0]
    paid = lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    return order, list(paid.entries)


def _balances(entries: list[JournalEntry]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        for posting in entry.postings:
            totals[posting.account] += posting.amount
    return totals


@settings(max_examples=300, deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    lines=lines_strategy,
    shipping=st.integers(0, 100_000),
    shares=st.lists(st.integers(1, 10_000), min_size=1, max_size=12),
    release_after=st.integers(0, 12),
)
def test_partial_refunds_stay_exact_and_capped(
    currency: str, lines: list[OrderLine], shipping: int, shares: list[int], release_after: int
) -> None:
    order, entries = _order(currency, lines, shipping)
    captured = order.paid_amount
    assert captured == order.total
    refunded = 0
    for step, share in enumerate(shares):
        if step == release_after:
            entries += release_to_seller(ctx(Role.SYSTEM, T0), order).entries
        amount = captured * share // 10_000  # a share of the capture, in basis points
        now = T0 + timedelta(minutes=step)
        with contextlib.suppress(AmountExceedsRefundable, InvalidAmount):
            outcome = refund_buyer(ctx(Role.PLATFORM, now), order, order.money(amount), "test")
            [refund] = outcome.refunds
            assert sum(refund.line_amounts) == amount == refund.amount
            entries += outcome.entries
            refunded += amount
        room = order.refund_room_by_line
        assert all(left >= 0 for left in room), room
        assert refunded == order.refunded_amount <= captured
        assert escrow_balance(order) >= 0
    # Refunding whatever is left lands exactly on the capture.
    left = order.refundable
    if left:
        later = ctx(Role.PLATFORM, T0 + timedelta(days=1))
        entries += refund_buyer(later, order, order.money(left), "the rest").entries
    assert order.refunded_amount == captured
    assert order.refund_room_by_line == [0] * (len(lines) + 1)
    books = _balances(entries)
    assert books[f"escrow:{order.id}"] == escrow_balance(order) == 0
    # The buyer's money is all in flight back, whoever it came from.
    assert books["refunds_in_flight"] == captured


@settings(max_examples=200, deadline=None)
@given(currency=st.sampled_from(CURRENCIES), lines=lines_strategy,
       shipping=st.integers(0, 100_000), extra=st.integers(1, 1_000))  # fmt: skip
def test_a_refund_past_the_capture_is_refused_and_changes_nothing(
    currency: str, lines: list[OrderLine], shipping: int, extra: int
) -> None:
    order, _ = _order(currency, lines, shipping)
    before = (order.refunded_amount, list(order.line_refunds), order.clawed_back_amount)
    try:
        refund_buyer(
            ctx(Role.PLATFORM, T0), order, order.money(order.paid_amount + extra), "too much"
        )
    except AmountExceedsRefundable:
        pass
    else:
        raise AssertionError("a refund past the capture went through")
    assert (order.refunded_amount, list(order.line_refunds), order.clawed_back_amount) == before
