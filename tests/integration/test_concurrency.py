"""Races: several workers on one timer table, and two people acting on one order at once."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.errors import InvalidTransition
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.refunds import PaymentMethod, Refund
from refundkit.service import orders, refunds
from refundkit.service.ports import UnitOfWork
from refundkit.service.timers import fire_due
from together import together, wait_for_lock_waiters


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


def test_a_locking_read_that_waited_sees_the_lines_the_other_refund_wrote(market: Market) -> None:
    """On PostgreSQL the order's locking read is one statement with its lines (issue 16);
    one that waited for another refund's lock must still see the lines that refund wrote,
    not the lines as they were when it began (else the second refund would book its line
    amounts over stale ones: the lines would no longer add up to the order's refunds)."""
    if market.rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no read waits for another's row lock")
    order = market.paid(method=PaymentMethod.WALLET)
    second: list[object] = []

    def refund_while_the_other_waits(uow: UnitOfWork) -> threading.Thread:
        refunds.refund_order(market.deps, uow, market.platform, order.id, 700, "first")
        waiter = threading.Thread(target=lambda: second.append(market.refund(order.id, 900)))
        waiter.start()
        wait_for_lock_waiters(market.rt.engine, 1)  # the second refund waits on our lock
        return waiter

    market.tx(refund_while_the_other_waits).join()
    assert [type(r) for r in second] == [Refund], second
    with market.rt.engine.connect() as conn:
        by_line, shipping, refunded = conn.execute(
            sa.select(t.orders.c.line_refunds, t.orders.c.shipping_refunded,
                      t.orders.c.refunded_amount).where(t.orders.c.id == order.id)
        ).one()  # fmt: skip
    assert refunded == 1600
    assert sum(by_line) + shipping == refunded, (by_line, shipping, refunded)


def test_a_locking_read_that_waited_sees_the_extension_the_other_added(market: Market) -> None:
    """The order's extensions come joined to its locking read (one statement on PostgreSQL,
    issue 16): a read that waited for the transaction adding one still sees it, not the
    extensions as they were when the read began (it reads again once it holds the lock)."""
    if market.rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no read waits for another's row lock")
    order = market.shipped()
    seen: list[int] = []

    def read_locked() -> None:
        found = market.tx(lambda uow: uow.orders.get(order.id, for_update=True))
        assert found is not None
        seen.append(len(found.extensions))

    def extend_while_the_other_waits(uow: UnitOfWork) -> threading.Thread:
        orders.request_extension(market.deps, uow, market.buyer, order.id, 3)
        waiter = threading.Thread(target=read_locked)
        waiter.start()
        wait_for_lock_waiters(market.rt.engine, 1)  # the read waits on our lock
        return waiter

    market.tx(extend_while_the_other_waits).join()
    assert seen == [1]
