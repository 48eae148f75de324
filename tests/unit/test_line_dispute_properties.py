"""Properties of parcels and line disputes over random orders (issue 18): random items,
shipping fees and parcels, then random line disputes with random refunds. No unit is ever
under two disputes, each refund adds up to the cent and comes only from its disputed
items (and shipping), and no line, nor the order, gives back more than it was paid."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_order_machine import T0, ctx

from refundkit.domain.disputes.lines import cap_parts, covered_units, read_units, refund_dispute
from refundkit.domain.disputes.model import Dispute, DisputeReason, DisputeStatus
from refundkit.domain.errors import InvalidTransition, ValidationError, WindowClosed
from refundkit.domain.orders import lifecycle
from refundkit.domain.orders.model import Address, Order, OrderLine
from refundkit.domain.orders.parcels import ship_parcel, units_left
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role

lines_strategy = st.lists(
    st.builds(OrderLine, sku=st.just("s"), title=st.just("item"),
              quantity=st.integers(1, 6), unit_price=st.integers(1, 100_000)),
    min_size=1, max_size=4,
)  # fmt: skip


def _order(lines: list[OrderLine], shipping: int) -> Order:
    draft = OrderDraft("buyer_1", "seller_1", "DE", "CN", "USD", tuple(lines), shipping,
                       PaymentMethod.CARD, Address("DE", "Berlin"), 20)  # fmt: skip
    order = place_order(ctx(Role.PLATFORM, T0), draft)[0]
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    return order


@settings(max_examples=60, deadline=None)
@given(
    lines=lines_strategy,
    shipping=st.integers(0, 5_000),
    cuts=st.lists(st.integers(0, 5), min_size=1, max_size=3),
    claims=st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 6), st.integers(0, 100)), max_size=6
    ),
)
def test_line_disputes_never_share_a_unit_nor_refund_past_what_was_paid(
    lines: list[OrderLine], shipping: int, cuts: list[int],
    claims: list[tuple[int, int, int]],
) -> None:  # fmt: skip
    order = _order(lines, shipping)
    seller = ctx(Role.SELLER, T0)
    for index, cut in enumerate(cuts):
        left = units_left(order)
        if not left:
            break
        first = next(iter(left))
        part = [(first, max(1, min(cut, left[first])))]
        ship_parcel(seller, order, "DHL", f"P-{index}", part if index < len(cuts) - 1 else None)
    earlier: list[Dispute] = []
    for n, (which, quantity, percent) in enumerate(claims):
        item = order.lines[which % len(order.lines)].id
        try:
            units = read_units(order, [(item, quantity)], earlier, DisputeReason.NOT_RECEIVED,
                               "missing_items")  # fmt: skip
        except (ValidationError, InvalidTransition):
            continue
        caps = cap_parts(order, units)
        before = list(order.line_refunds)
        amount = sum(caps) * percent // 100
        d = Dispute(f"dp_{n}", order.id, "buyer_1", "seller_1", DisputeStatus.RESOLVED,
                    DisputeReason.NOT_RECEIVED, "missing_items", False, amount, False, "x", T0,
                    units=units)  # fmt: skip
        earlier.append(d)
        with contextlib.suppress(ValidationError):
            [refund] = refund_dispute(
                ctx(Role.SELLER, T0), order, d, order.money(amount), "x"
            ).refunds
            assert sum(refund.line_amounts) == amount
            for line, part in zip(order.lines, refund.line_amounts, strict=False):
                assert part == 0 or line.id in units
            assert all(p <= c for p, c in zip(refund.line_amounts, caps, strict=True))
        assert all(a >= b for a, b in zip(order.line_refunds, before, strict=True))
    covered = covered_units(order, earlier)
    for line in order.lines:
        assert covered.get(line.id, 0) <= order.shipped_units(line.id)
    totals = [line.total for line in order.lines] + [order.shipping_fee]
    assert all(0 <= r <= t for r, t in zip(order.line_refunds, totals, strict=True))
    assert order.refunded_amount <= order.paid_amount
    assert sum(order.line_refunds) == order.refunded_amount


def test_a_parcel_after_ship_by_is_too_late_and_one_with_nothing_left_is_refused() -> None:
    order = _order([OrderLine("s", "Lamp", 2, 100)], 0)
    assert order.deadlines.ship_by is not None
    late = ctx(Role.SELLER, order.deadlines.ship_by)
    ship_parcel(ctx(Role.SELLER, T0), order, "DHL", "P-1", [(order.lines[0].id, 1)])
    with pytest.raises(WindowClosed):
        ship_parcel(late, order, "DHL", "P-2", None)
    ship_parcel(ctx(Role.SELLER, T0), order, "DHL", "P-2", None)
    with pytest.raises(InvalidTransition) as refused:
        ship_parcel(late, order, "DHL", "P-3", None)
    assert not isinstance(refused.value, WindowClosed)
