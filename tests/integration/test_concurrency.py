"""Races: several workers on one timer table, and two people acting on one order at once."""

from __future__ import annotations

import sqlalchemy as sa

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.errors import InvalidTransition
from refundkit.domain.orders.model import OrderStatus
from refundkit.service import orders
from refundkit.service.timers import fire_due
from together import together


def test_workers_side_by_side_fire_each_timer_exactly_once(market: Market) -> None:
    placed = [market.place() for _ in range(30)]
    market.rt.sandbox_clock.set(placed[-1].deadlines.pay_by)  # type: ignore[union-attr]
    counts = together(*[lambda: fire_due(market.deps, batch=4) for _ in range(4)])
    assert sum(c for c in counts if isinstance(c, int)) == 30, counts
    assert not [c for c in counts if isinstance(c, Exception)]
    assert {market.order(o.id).status for o in placed} == {OrderStatus.EXPIRED}
    with market.rt.engine.connect() as conn:
        expired_events = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.events)
            .where(t.events.c.type == "order.expired")
        ).scalar()
    assert expired_events == 30


def test_cancel_and_ship_at_the_same_moment_have_one_winner(market: Market) -> None:
    for _ in range(5):
        order = market.paid()
        results = together(
            lambda o=order.id: market.tx(
                lambda uow: orders.cancel_order(market.deps, uow, market.buyer, o, "race")
            ),
            lambda o=order.id: market.tx(
                lambda uow: orders.ship_order(market.deps, uow, market.seller, o, "DHL", "R1")
            ),
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert len(failures) == 1 and isinstance(failures[0], InvalidTransition), results
        final = market.order(order.id)
        assert final.status in (OrderStatus.CANCELLED, OrderStatus.SHIPPED)
        refunds = market.refunds(order.id)
        assert len(refunds) == (1 if final.status is OrderStatus.CANCELLED else 0)
