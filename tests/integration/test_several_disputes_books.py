"""The books after random orders with parcels and several line disputes at once, on SQLite
and PostgreSQL (issue 18): random items, parcels (some delivered), disputes on random units
(the buyer's page and the API refuse a unit twice), each ended at random before or after
the order's release time, which the timer sweep reaches. ``ledger verify`` finds nothing
wrong after each order, and no line nor the order gave back more than it was paid."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from market import Market
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import RefundkitError
from refundkit.domain.orders.model import OrderLine
from refundkit.domain.roles import Role
from refundkit.service import disputes, shipments, tracking
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import TrackingScan

NUMBERS = itertools.count()

lines_strategy = st.lists(
    st.builds(OrderLine, sku=st.just("s"), title=st.just("item"),
              quantity=st.integers(1, 3), unit_price=st.integers(1, 20_000)),
    min_size=1, max_size=3,
)  # fmt: skip
claims_strategy = st.lists(
    st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(1, 100),
              st.sampled_from(["accept", "decide", "withdraw", "keep"]), st.booleans()),
    min_size=1, max_size=4,
)  # fmt: skip


@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(lines=lines_strategy, shipping=st.integers(0, 2_000), claims=claims_strategy,
       delivered=st.lists(st.booleans(), min_size=1, max_size=3))  # fmt: skip
def test_random_line_disputes_keep_the_books_true(
    market: Market, lines: list[OrderLine], shipping: int, delivered: list[bool],
    claims: list[tuple[int, int, int, str, bool]],
) -> None:  # fmt: skip
    order = market.paid(lines=tuple(lines), shipping_fee=shipping)
    # One parcel per item (as far as there are flags), then the rest in one.
    for index, line in enumerate(order.lines):
        number = f"R-{next(NUMBERS)}"
        last = index == len(order.lines) - 1 or index >= len(delivered) - 1
        part = None if last else [(line.id, line.quantity)]
        market.tx(lambda uow, n=number, p=part: shipments.ship(
            market.deps, uow, market.seller, order.id, "DHL", n, p))  # fmt: skip
        if delivered[min(index, len(delivered) - 1)]:
            scan = TrackingScan("DHL", number, "delivered", "DE", "Berlin", None,
                                market.now + timedelta(minutes=1), None, market.now)  # fmt: skip
            market.advance(minutes=2)
            market.tx(lambda uow, s=scan: tracking.ingest_scans(market.deps, uow,
                                                                 market.platform, [s]))  # fmt: skip
        if last:
            break
    market.advance(days=5)
    shipped = market.order(order.id)
    opened = []
    for which, quantity, percent, _, _ in claims:
        line = shipped.lines[which % len(shipped.lines)]
        undelivered = sum(p.units.get(line.id, 0) for p in shipped.parcels if not p.delivered_at)
        sub = None if quantity <= undelivered else "missing_items"
        form = DisputeForm("not_received", sub, False, max(1, line.unit_price * percent // 100),
                           False, "Missing.", ((line.id, quantity),))  # fmt: skip
        with contextlib.suppress(RefundkitError):
            opened.append(market.tx(lambda uow, f=form: disputes.open_dispute(
                market.deps, uow, market.buyer, order.id, f, [])).dispute.id)  # fmt: skip
    agent = market.user(Role.AGENT, "IE")

    def attempt(step: Callable[[UnitOfWork], object]) -> None:
        with contextlib.suppress(RefundkitError):
            market.tx(step)

    def end(d: str, how: str) -> None:
        deps = market.deps
        if how == "accept":
            attempt(lambda uow: disputes.accept(deps, uow, market.seller, d))
        elif how == "withdraw":
            attempt(lambda uow: disputes.withdraw(deps, uow, market.buyer, d))
        elif how == "answer":
            attempt(lambda uow: disputes.reject(deps, uow, market.seller, d, "no"))
        elif how == "decide":
            attempt(lambda uow: disputes.reject(deps, uow, market.seller, d, "no"))
            attempt(lambda uow: disputes.escalate(deps, uow, market.buyer, d))
            attempt(lambda uow: disputes.decide(deps, uow, agent, d, "full_refund", None, False,
                                                "r"))  # fmt: skip

    ends = dict(zip(opened, claims, strict=False))
    for dispute_id, (_, _, _, how, early) in ends.items():
        if early:
            end(dispute_id, how)
    # The others stay open to the release time: the seller answers (no silent acceptance).
    for dispute_id in ends:
        end(dispute_id, "answer")
    held = market.order(order.id)
    due = held.deadlines.delivery_deadline
    if held.delivered_at is not None:
        due = held.deadlines.dispute_closes_at
    assert due is not None
    market.advance_to(max(due, market.now) + timedelta(minutes=1))
    for dispute_id, (_, _, _, how, early) in ends.items():
        if not early:
            end(dispute_id, how)
    market.fire_due()
    event(f"open at the release: {min(len(held.dispute_holds), 2)}")
    after = market.order(order.id)
    totals = [line.total for line in after.lines] + [after.shipping_fee]
    assert all(0 <= r <= t for r, t in zip(after.line_refunds, totals, strict=True))
    assert after.refunded_amount <= after.paid_amount
    with market.rt.engine.connect() as conn:
        assert invariant_violations(conn) == []
