"""The timer sweep fires order timers of distinct orders together (issue 7): the same
outcome as one by one, in a handful of statements, and a failure in the batch costs nobody
their release."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from test_refund_statements import counted

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.context import Context, Outcome
from refundkit.domain.ledger import seller_debt_account, seller_payable_account
from refundkit.domain.orders import lifecycle
from refundkit.domain.orders import timers as kinds
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.service import timers


def _past_deadline(market: Market, order: Order) -> None:
    """Move the sandbox clock without firing anything on the way (``advance`` fires each
    due time alone); the worker's next sweep then finds every completion due at once."""
    assert market.rt.sandbox_clock is not None
    assert order.deadlines.delivery_deadline is not None
    market.rt.sandbox_clock.set(order.deadlines.delivery_deadline + timedelta(minutes=1))


def test_due_completions_are_released_together(market: Market) -> None:
    shipped = [market.shipped() for _ in range(12)]
    _past_deadline(market, shipped[0])
    with counted(market.rt.engine) as statements:
        timers.fire_due(market.deps, batch=100)
    for order in shipped:
        done = market.order(order.id)
        assert done.status is OrderStatus.COMPLETED
        assert done.released_at is not None
    releases = [s for s in statements if s.startswith("INSERT INSERT INTO journal_entries")]
    assert len(releases) == 1, releases  # twelve releases, one INSERT of the journal


def test_a_failure_in_a_batch_postpones_only_its_own_timer(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = [market.shipped() for _ in range(5)]
    broken = shipped[2].id

    def complete(ctx: Context, order: Order) -> Outcome:
        if order.id == broken:
            raise RuntimeError("a bug in one handler")
        return lifecycle.complete(ctx, order)

    monkeypatch.setitem(timers._ORDER_STEPS, kinds.COMPLETE, complete)
    _past_deadline(market, shipped[0])
    timers.fire_due(market.deps, batch=100)
    for order in shipped:
        expected = OrderStatus.SHIPPED if order.id == broken else OrderStatus.COMPLETED
        assert market.order(order.id).status is expected
    with market.rt.engine.connect() as conn:
        attempts, error, fired = conn.execute(
            sa.select(t.timers.c.attempts, t.timers.c.last_error, t.timers.c.fired_at).where(
                t.timers.c.subject_id == broken, t.timers.c.kind == kinds.COMPLETE
            )
        ).one()
    assert (attempts, fired) == (1, None)
    assert "a bug in one handler" in error


def test_a_batch_release_pays_back_what_the_seller_owes_first(market: Market) -> None:
    first = market.released()
    payable = seller_payable_account(market.seller.id)
    market.payout(market.seller, market.balance(payable))
    market.refund(first.id, 1000)  # clawed back from an empty balance: the seller owes it
    debt = seller_debt_account(market.seller.id)
    owed = -market.balance(debt)  # what the commission given back did not cover
    assert owed > 0
    shipped = [market.shipped() for _ in range(3)]
    _past_deadline(market, shipped[0])
    timers.fire_due(market.deps, batch=100)
    assert market.balance(debt) == 0
    released = sum(market.order(o.id).released_amount - market.order(o.id).commission_amount
                   for o in shipped)  # fmt: skip
    assert market.balance(payable) == released - owed


def _sweep_statements(market: Market, count: int) -> list[str]:
    shipped = [market.shipped() for _ in range(count)]
    _past_deadline(market, shipped[-1])
    with market.rt.engine.begin() as conn:  # the releases alone (tracking checks fire alone)
        conn.execute(t.timers.update().where(t.timers.c.kind != kinds.COMPLETE,
                                             t.timers.c.fired_at.is_(None))
                     .values(fired_at=market.now, result="not this test's"))  # fmt: skip
    with counted(market.rt.engine) as statements:
        fired = timers.fire_due(market.deps, batch=1000)
    assert all(market.order(o.id).status is OrderStatus.COMPLETED for o in shipped)
    assert fired >= count
    return statements


def test_a_batch_costs_the_same_statements_whatever_its_size(market: Market) -> None:
    """Issue 16: releasing 2N orders costs the statements of releasing N (bulk updates and
    inserts, one of each per batch), and the ledger still balances."""
    few = _sweep_statements(market, 4)
    many = _sweep_statements(market, 8)
    print("\n" + "\n".join(many))
    assert len(many) == len(few), (few, many)
    with market.rt.engine.connect() as conn:
        from refundkit.adapters.db.ledger_repository import invariant_violations

        assert invariant_violations(conn) == []


def test_two_sweepers_on_postgresql_fire_each_due_timer_once(market: Market) -> None:
    """Issue 16: sweepers side by side (``refundkit worker --sweepers 2``) claim with
    ``FOR UPDATE SKIP LOCKED``: while one holds its batch, the other fires the rest; every
    order is released once and the ledger balances."""
    if market.rt.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: one sweeper")
    shipped = [market.shipped() for _ in range(10)]
    _past_deadline(market, shipped[-1])
    deps = market.deps
    with deps.uow() as first:
        held = first.timers.claim_due(market.now, 4)  # locked until this one commits
        assert len(held) == 4
        # The second sweeper, on its own connection, skips the four and fires the rest.
        second = timers.fire_due(deps, batch=100)
        timers._fire_order_timers(deps, first, [h for h in held if h.kind == kinds.COMPLETE])
        for timer in held:
            if timer.kind != kinds.COMPLETE:
                timers._fire_one(deps, first, timer)
        first.commit()
    assert second > 0
    assert timers.fire_due(deps, batch=100) == 0  # nothing left, nothing fired twice
    with market.rt.engine.connect() as conn:
        released = conn.execute(
            sa.select(t.journal_entries.c.order_id, sa.func.count())
            .where(t.journal_entries.c.kind == "funds_released",
                   t.journal_entries.c.order_id.in_([o.id for o in shipped]))
            .group_by(t.journal_entries.c.order_id)
        ).all()  # fmt: skip
        from refundkit.adapters.db.ledger_repository import invariant_violations

        assert invariant_violations(conn) == []
    assert sorted(n for _, n in released) == [1] * 10
    assert all(market.order(o.id).status is OrderStatus.COMPLETED for o in shipped)
