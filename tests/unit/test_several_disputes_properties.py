"""Properties of several disputes at once on one order (issue 18, items 3 and 4), over
random orders, parcels (some delivered), line and whole-order disputes and their random
ends (accepted, decided by an agent, withdrawn) around the order's release time:

- no unit is ever under two disputes that were not withdrawn;
- no line, nor shipping, nor the order gives back more than it was paid; a dispute's
  refunds come only from its own lines (and shipping) and never pass its units' worth;
- the books balance, no escrow goes negative, and escrow always keeps what the open
  disputes hold; once the release time came, exactly that (the rest went to the seller);
- the disputes holding the order are exactly its open ones.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_order_machine import T0, ctx

from refundkit.domain.context import Outcome
from refundkit.domain.disputes import commands, returns
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.lines import (
    cap_parts,
    covered_units,
    refund_cap,
    units_cap,
    whole_order_units,
)
from refundkit.domain.disputes.model import Dispute, DisputeStatus
from refundkit.domain.errors import RefundkitError
from refundkit.domain.ledger import escrow_account, is_escrow
from refundkit.domain.orders import holds, lifecycle
from refundkit.domain.orders.escrow import escrow_balance
from refundkit.domain.orders.machine import OrderAction, allowed
from refundkit.domain.orders.model import Address, Order, OrderLine, OrderStatus
from refundkit.domain.orders.parcels import ship_parcel, units_left
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role

lines_strategy = st.lists(
    st.builds(OrderLine, sku=st.just("s"), title=st.just("item"),
              quantity=st.integers(1, 4), unit_price=st.integers(1, 50_000)),
    min_size=1, max_size=4,
)  # fmt: skip
opening = st.tuples(st.just("open"), st.integers(0, 3), st.integers(1, 2),
                    st.sampled_from(["not_received", "damaged", "damaged", "damaged", "whole"]),
                    st.integers(1, 100))  # fmt: skip
ending = st.tuples(st.sampled_from(["accept", "decide", "withdraw"]), st.integers(0, 7),
                   st.integers(0, 100))  # fmt: skip


Step = tuple[Any, ...]


class Books:
    """The journal's balances, and every refund by the dispute it was made for."""

    def __init__(self) -> None:
        self.balances: dict[str, int] = defaultdict(int)
        self.by_dispute: dict[str, list[tuple[int, ...]]] = defaultdict(list)

    def post(self, outcome: Outcome, dispute_id: str | None = None) -> None:
        for entry in outcome.entries:
            for posting in entry.postings:
                self.balances[posting.account] += posting.amount
        assert all(v >= 0 for a, v in self.balances.items() if is_escrow(a)), self.balances
        for refund in outcome.refunds:
            if dispute_id is not None:
                self.by_dispute[dispute_id].append(refund.line_amounts)


def _order(lines: list[OrderLine], shipping: int, books: Books) -> Order:
    draft = OrderDraft("buyer_1", "seller_1", "DE", "CN", "USD", tuple(lines), shipping,
                       PaymentMethod.CARD, Address("DE", "Berlin"), 20)  # fmt: skip
    order = place_order(ctx(Role.PLATFORM, T0), draft)[0]
    books.post(lifecycle.pay(ctx(Role.PLATFORM, T0), order))
    return order


def _ship(order: Order, cuts: list[tuple[int, bool]], books: Books) -> None:
    seller = ctx(Role.SELLER, T0)
    for index, (cut, _) in enumerate(cuts):
        left = units_left(order)
        if not left:
            break
        first = next(iter(left))
        part = [(first, max(1, min(cut, left[first])))] if index < len(cuts) - 1 else None
        books.post(ship_parcel(seller, order, "DHL", f"P-{index}", part))
    for (_, delivered), parcel in zip(cuts, list(order.parcels), strict=False):
        if delivered:
            at = T0 + timedelta(days=1)
            books.post(lifecycle.mark_delivered(ctx(Role.PLATFORM, at), order, at, "DHL",
                                                parcel.tracking_number))  # fmt: skip


def _open(order: Order, disputes: list[Dispute], op: Step, now: datetime, books: Books) -> None:
    _, which, quantity, reason, percent = op
    line = order.lines[which % len(order.lines)]
    item = line.id
    form_lines = None if reason == "whole" else ((item, quantity),)
    with contextlib.suppress(RefundkitError):
        units = (whole_order_units(order, disputes) if form_lines is None
                 else {item: min(quantity, line.quantity)})  # fmt: skip
        amount = max(1, units_cap(order, units).minor * percent // 100)
        form = DisputeForm("not_received" if reason == "whole" else reason, None,
                           reason == "damaged", amount, False, "x", form_lines)  # fmt: skip
        d, outcome = commands.open_dispute(ctx(Role.BUYER, now), order, disputes, form, 1)
        disputes.append(d)
        books.post(outcome, d.id)


def _end(order: Order, disputes: list[Dispute], op: Step, now: datetime, books: Books) -> None:
    kind, which, percent = op
    live = [d for d in disputes if d.is_open]
    if not live:
        return
    d = live[which % len(live)]
    with contextlib.suppress(RefundkitError):
        if kind == "accept":
            books.post(commands.accept(ctx(Role.SELLER, now), d, order), d.id)
        elif kind == "withdraw":
            books.post(commands.withdraw(ctx(Role.BUYER, now), d, order), d.id)
        else:
            if d.status is DisputeStatus.AWAITING_SELLER:
                commands.reject(ctx(Role.SELLER, now), d, "no")
                commands.escalate(ctx(Role.BUYER, now), d, "DE")
            cap = refund_cap(order, d).minor
            outcome, amount = ("no_refund", None) if percent == 0 else (
                ("full_refund", None) if percent == 100 or cap < 2
                else ("partial_refund", max(1, min(cap - 1, cap * percent // 100))))  # fmt: skip
            money = None if amount is None else order.money(amount)
            books.post(commands.decide(ctx(Role.AGENT, now), d, order, outcome, money, False,
                                       "r"), d.id)  # fmt: skip


def _release_time(order: Order) -> datetime | None:
    d = order.deadlines
    return d.dispute_closes_at if order.status is OrderStatus.DELIVERED else d.delivery_deadline


def _check(order: Order, disputes: list[Dispute], books: Books) -> None:
    standing = [d for d in disputes if d.status is not DisputeStatus.WITHDRAWN]
    covered = covered_units(order, standing)
    for line in order.lines:
        assert covered.get(line.id, 0) <= line.quantity
    totals = [line.total for line in order.lines] + [order.shipping_fee]
    assert all(0 <= r <= t for r, t in zip(order.line_refunds, totals, strict=True))
    assert sum(order.line_refunds) == order.refunded_amount <= order.paid_amount
    for d in disputes:
        if not d.units:
            continue
        worth = cap_parts(_fresh(order), d.units)
        given = [sum(column) for column in zip(*books.by_dispute[d.id], strict=True)] or [0]
        postage = d.return_postage if d.return_postage_payer == "seller" else 0
        if postage:  # the seller pays the buyer's postage back, on top of the units
            assert sum(given) <= sum(worth) + postage
            continue
        for line, part in zip(order.lines, given, strict=False):
            assert part == 0 or line.id in d.units
        assert all(g <= w for g, w in zip(given, worth, strict=False)), (given, worth)
    escrow = books.balances[escrow_account(order.id)]
    assert escrow == escrow_balance(order)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        assert set(order.dispute_holds) == {d.id for d in disputes if d.is_open}
        assert escrow >= min(holds.held_amount(order), escrow_balance(order))
        if holds.partly_released(order):
            assert escrow == holds.held_amount(order)


def _fresh(order: Order) -> Order:
    """The order as placed, for the units' worth before any refund."""
    copy = Order(**{**order.__dict__})
    copy.line_refunds = [0] * (len(order.lines) + 1)
    copy.dispute_holds = {}
    return copy


@settings(max_examples=200, deadline=None)
@given(
    lines=lines_strategy,
    shipping=st.integers(0, 3_000),
    cuts=st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=3),
    before=st.lists(st.one_of(opening, opening, ending), max_size=8),
    after=st.lists(ending, max_size=5),
)
def test_several_disputes_never_share_a_unit_nor_release_what_they_hold(
    lines: list[OrderLine], shipping: int, cuts: list[tuple[int, bool]],
    before: list[Step], after: list[Step],
) -> None:  # fmt: skip
    books = Books()
    order = _order(lines, shipping, books)
    _ship(order, cuts, books)
    now = T0 + timedelta(days=5)
    disputes: list[Dispute] = []
    for step in [*before, ("release",), *after]:
        now += timedelta(minutes=1)
        if step[0] == "open":
            _open(order, disputes, step, now, books)
        elif step[0] == "release":
            due = _release_time(order)
            if due is not None and due > now:
                now = due
            system = ctx(Role.SYSTEM, now)
            if allowed(order, OrderAction.COMPLETE, Role.SYSTEM, now, system.policy):
                books.post(lifecycle.complete(system, order))
        else:
            _end(order, disputes, step, now, books)
        _check(order, disputes, books)
        event(f"open at once: {min(len(order.dispute_holds), 3)}")
        if holds.partly_released(order):
            event("released with disputes open")


def test_a_returns_postage_past_its_hold_after_the_release_is_the_sellers_not_escrows() -> None:
    """Two line disputes open at the release time; one is agreed with a return whose
    postage the seller bears. Its refund past its hold comes from the released lines, so
    it is clawed back from the seller: escrow keeps exactly the other dispute's hold."""
    books = Books()
    order = _order([OrderLine("s", "lamp", 2, 4000), OrderLine("s", "mug", 1, 1000)], 0, books)
    _ship(order, [(1, True)], books)
    lamp, mug = (line.id for line in order.lines)
    now = T0 + timedelta(days=5)
    disputes: list[Dispute] = []
    for item, asked, goods_back in ((lamp, 4000, True), (mug, 500, False)):
        form = DisputeForm("damaged", None, True, asked, goods_back, "x", ((item, 1),))
        d, outcome = commands.open_dispute(ctx(Role.BUYER, now), order, disputes, form, 1)
        disputes.append(d)
        books.post(outcome, d.id)
    returned, other = disputes
    books.post(commands.accept(ctx(Role.SELLER, now), returned, order), returned.id)
    assert returned.status is DisputeStatus.AWAITING_RETURN
    ship = returns.ship_return(ctx(Role.BUYER, now), returned, order, "DHL", "R-1", None,
                               postage=order.money(700))  # fmt: skip
    books.post(ship, returned.id)
    later = _release_time(order)
    assert later is not None
    books.post(lifecycle.complete(ctx(Role.SYSTEM, later), order))
    assert holds.partly_released(order)
    assert books.balances[escrow_account(order.id)] == 4000 + 1000  # both holds, no more
    assert order.released_amount == 4000  # the other lamp
    assert returned.refund_amount == 4000 + 700
    done = returns.confirm_return(ctx(Role.SELLER, later), returned, order, "as_sent")
    books.post(done, returned.id)
    [refund] = done.refunds
    # The lamp's whole hold from escrow; the postage from the released lamp, clawed back
    # from the seller; the mug's 1000 stays held for its own dispute.
    assert (refund.amount, refund.clawback_amount, refund.line_amounts) == (4700, 700, (4700, 0, 0))
    assert books.balances[escrow_account(order.id)] == 1000
    assert order.dispute_holds[other.id] == (0, 1000, 0)
    _check(order, disputes, books)
