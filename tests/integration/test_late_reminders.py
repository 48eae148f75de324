"""Reminders fired late (the worker was down): worded from the time really left, and only
the latest one that is due goes out; the reminder reads its order under lock."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.notifications import NotificationKind
from refundkit.domain.orders import timers as order_timers
from refundkit.service import reminders
from refundkit.service.notification_records import Notification
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import DueTimer


def reminders_of(market: Market) -> list[Notification]:
    return market.messages(NotificationKind.DISPUTE_WINDOW_REMINDER)


def test_after_downtime_one_reminder_says_the_time_really_left(market: Market) -> None:
    order = market.shipped()
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    clock = market.rt.sandbox_clock
    assert clock is not None
    clock.set(closes - timedelta(hours=20))  # the worker was down past both reminders
    market.fire_due()
    [reminder] = reminders_of(market)
    assert reminder.subject == f"Order {order.id}: 20 hours left to open a dispute"
    assert "in 20 hours" in reminder.body


def test_a_reminder_late_by_a_day_says_so(market: Market) -> None:
    order = market.shipped()
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    clock = market.rt.sandbox_clock
    assert clock is not None
    clock.set(closes - timedelta(days=4))  # the 5-day reminder, a day late
    market.fire_due()
    [reminder] = reminders_of(market)
    assert reminder.subject == f"Order {order.id}: 4 days left to open a dispute"


def test_the_reminder_holds_its_order_while_it_decides(market: Market) -> None:
    order = market.shipped()
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    due = closes - timedelta(days=5)
    market.advance_to(due - timedelta(minutes=1))
    clock = market.rt.sandbox_clock
    assert clock is not None
    clock.set(due)
    timer = DueTimer(0, order_timers.DISPUTE_WINDOW_REMINDER, order.id, due)
    others: list[str] = []

    def remind_and_try_to_change_the_order(uow: UnitOfWork) -> str:
        result = reminders.remind_dispute_window(market.deps, uow, timer)
        others.append(_try_to_lock(market, order.id))
        return result

    assert market.tx(remind_and_try_to_change_the_order) == "reminded"
    assert others == ["waits"]


def _try_to_lock(market: Market, order_id: str) -> str:
    """From another connection, without waiting: can the order be taken for a change? (On
    PostgreSQL the row lock answers; on SQLite the transaction's writer lock, taken at
    BEGIN IMMEDIATE, holds the whole database.)"""
    engine = market.rt.engine
    with engine.connect() as other:
        try:
            if engine.dialect.name == "postgresql":
                other.exec_driver_sql("SET lock_timeout = 1")
                other.execute(sa.select(t.orders.c.id).where(t.orders.c.id == order_id)
                              .with_for_update(nowait=True))  # fmt: skip
            else:
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
                other.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError:
            return "waits"
        finally:
            other.rollback()
    return "free"
