"""The journal cannot be rewritten; a failing timer is retried, never lost; the migrations
build exactly the schema the code expects."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.context import Context, Outcome
from refundkit.domain.orders import timers as kinds
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.service import timers


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE postings SET amount = amount + 1",
        "DELETE FROM postings",
        "UPDATE journal_entries SET memo = 'edited'",
        "DELETE FROM journal_entries",
    ],
)
def test_the_journal_is_append_only_in_the_database(market: Market, statement: str) -> None:
    market.paid()
    with pytest.raises(sa.exc.DBAPIError), market.rt.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with market.rt.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.sum(t.postings.c.amount))).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(t.postings)).scalar() == 2


def test_a_failing_timer_is_retried_later_and_the_others_still_fire(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = market.place(), market.place()
    real_expire = timers._ORDER_STEPS[kinds.EXPIRE]

    def flaky(ctx: Context, order: Order) -> Outcome:
        if order.id == broken.id:
            order.status = OrderStatus.CANCELLED  # a half-made change that must be undone
            raise RuntimeError("handler bug")
        return real_expire(ctx, order)

    monkeypatch.setitem(timers._ORDER_STEPS, kinds.EXPIRE, flaky)
    market.rt.sandbox_clock.set(broken.deadlines.pay_by)  # type: ignore[union-attr]
    market.fire_due()
    assert market.order(fine.id).status is OrderStatus.EXPIRED
    assert market.order(broken.id).status is OrderStatus.AWAITING_PAYMENT
    with market.rt.engine.connect() as conn:
        row = (
            conn.execute(sa.select(t.timers).where(t.timers.c.subject_id == broken.id))
            .mappings()
            .one()
        )
    assert row["fired_at"] is None
    assert row["attempts"] == 1
    assert "handler bug" in row["last_error"]
    assert row["due_at"] == broken.deadlines.pay_by + timedelta(minutes=1)

    monkeypatch.setitem(timers._ORDER_STEPS, kinds.EXPIRE, real_expire)
    market.advance(minutes=1)
    assert market.order(broken.id).status is OrderStatus.EXPIRED


def test_migrations_build_the_schema_the_code_declares(market: Market) -> None:
    with market.rt.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), t.metadata)
    assert differences == []
