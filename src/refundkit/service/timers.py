"""The worker's side: firing due timers, and the sandbox clock that moves time for tests
and demos."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from refundkit.domain.context import SYSTEM_ACTOR, Outcome
from refundkit.domain.disputes import timeouts as dispute_timeouts
from refundkit.domain.disputes import timers as dispute_kinds
from refundkit.domain.errors import Forbidden, InvalidTransition, NotFound
from refundkit.domain.ledger import escrow_account
from refundkit.domain.orders import timeouts as order_timeouts
from refundkit.domain.orders import timers as kinds
from refundkit.domain.orders.escrow import escrow_balance
from refundkit.domain.orders.model import Order
from refundkit.service import (
    chargebacks,
    credit,
    disputes,
    refunds,
    reminders,
    tracking_signals,
    transactions,
)
from refundkit.service.deps import Deps
from refundkit.service.ports import SandboxClockStore, UnitOfWork
from refundkit.service.records import DueTimer
from refundkit.service.transactions import record

log = logging.getLogger(__name__)

_ORDER_STEPS = order_timeouts.STEPS
"""The order timers, from the order table's ``system`` rows."""
_OTHER_HANDLERS: dict[str, Callable[[Deps, UnitOfWork, str], str]] = {
    kinds.REFUND_EXECUTE: refunds.execute_refund,
    kinds.REFUND_POLL: refunds.poll_refund,
    kinds.SELLER_DEBT_DUE: refunds.seller_debt_due,
    kinds.TRACKING_CHECK: tracking_signals.check_timer,
    kinds.CHARGEBACK_EVIDENCE: chargebacks.submit_evidence,
    kinds.LATE_DELIVERY_CREDIT: credit.late_delivery_timer,
    kinds.COMPENSATION_DEBT_DUE: credit.compensation_debt_due,
}


def _dispute_timer(kind: str) -> Callable[[Deps, UnitOfWork, str], str]:
    def handle(deps: Deps, uow: UnitOfWork, dispute_id: str) -> str:
        return disputes.fire_timer(deps, uow, dispute_id, kind)

    return handle


_OTHER_HANDLERS.update({kind: _dispute_timer(kind) for kind in dispute_timeouts.STEPS})
"""The dispute timers, from the dispute table's ``system`` rows."""


_TIMED_HANDLERS: dict[str, Callable[[Deps, UnitOfWork, DueTimer], str]] = {
    kinds.DISPUTE_WINDOW_REMINDER: reminders.remind_dispute_window,
    dispute_kinds.AGENT_OVERDUE: reminders.agents_of_overdue,
}
"""Handlers that need the timer itself (which reminder it was set for)."""


def _fire_order_timer(deps: Deps, uow: UnitOfWork, timer: DueTimer) -> str:
    order = uow.orders.get(timer.subject_id, for_update=True)
    if order is None:
        return "skipped: order gone"
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    try:
        outcome = _ORDER_STEPS[timer.kind](ctx, order)
    except (InvalidTransition, Forbidden, NotFound) as refusal:
        # The order moved on (or the deadline moved): nothing to do, by design.
        return f"skipped: {refusal.detail}"
    uow.orders.save(order)
    record(uow, outcome)
    return f"fired: {order.status.value}"


def fire(deps: Deps, uow: UnitOfWork, timer: DueTimer) -> str:
    if timer.kind in _ORDER_STEPS:
        return _fire_order_timer(deps, uow, timer)
    if timer.kind in _TIMED_HANDLERS:
        return _TIMED_HANDLERS[timer.kind](deps, uow, timer)
    handler = _OTHER_HANDLERS.get(timer.kind)
    if handler is None:
        return f"skipped: unknown timer kind {timer.kind}"
    return handler(deps, uow, timer.subject_id)


def retry_delay(attempts: int) -> timedelta:
    """One minute, doubling per failed attempt, at most an hour."""
    return min(timedelta(minutes=2**attempts), timedelta(hours=1))


def _fire_one(deps: Deps, uow: UnitOfWork, timer: DueTimer) -> None:
    """Fire one timer in a savepoint, so one broken handler neither undoes its batch nor
    blocks the queue: its timer is postponed and tried again, never dropped."""
    try:
        with uow.savepoint():
            result = fire(deps, uow, timer)
    except Exception as exc:
        log.exception("timer %s (%s on %s) failed", timer.id, timer.kind, timer.subject_id)
        until = deps.clock.now() + retry_delay(timer.attempts)
        uow.timers.postpone(timer.id, until, f"{type(exc).__name__}: {exc}")
        return
    uow.timers.mark_fired(timer.id, deps.clock.now(), result)


def _runs(due: Sequence[DueTimer]) -> list[list[DueTimer]]:
    """Split a batch, in its order, into runs of order timers on distinct orders (fired
    together) and single other timers."""
    runs: list[list[DueTimer]] = []
    current: list[DueTimer] = []
    subjects: set[str] = set()
    for timer in due:
        if timer.kind in _ORDER_STEPS and timer.subject_id not in subjects:
            current.append(timer)
            subjects.add(timer.subject_id)
            continue
        if current:
            runs.append(current)
            current, subjects = [], set()
        if timer.kind in _ORDER_STEPS:
            current, subjects = [timer], {timer.subject_id}
        else:
            runs.append([timer])
    if current:
        runs.append(current)
    return runs


def _fire_order_timers(deps: Deps, uow: UnitOfWork, timers: list[DueTimer]) -> None:
    """Order timers on distinct orders fired together: one read of the orders and one write
    per kind of row. If anything fails unexpectedly the lot is undone and fired one by one."""
    try:
        with uow.savepoint():
            results = _fire_order_batch(deps, uow, timers)
    except Exception:
        log.warning("a batch of %d order timers failed; firing them one by one", len(timers))
        for timer in timers:
            _fire_one(deps, uow, timer)
        return
    uow.timers.mark_fired_many(
        [(timer.id, result) for timer, result in zip(timers, results, strict=True)],
        deps.clock.now(),
    )


def _fire_order_batch(deps: Deps, uow: UnitOfWork, timers: list[DueTimer]) -> list[str]:
    found = {o.id: o for o in uow.orders.get_many([t.subject_id for t in timers], for_update=True)}
    results: list[str] = []
    changed: list[Order] = []
    outcomes: list[Outcome] = []
    # Each order's escrow from its own figures, read under its lock (no ledger read).
    held = {escrow_account(o.id): escrow_balance(o) for o in found.values()}
    for timer in timers:
        order = found.get(timer.subject_id)
        if order is None:
            results.append("skipped: order gone")
            continue
        ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
        try:
            outcomes.append(_ORDER_STEPS[timer.kind](ctx, order))
        except (InvalidTransition, Forbidden, NotFound) as refusal:
            results.append(f"skipped: {refusal.detail}")
            continue
        changed.append(order)
        results.append(f"fired: {order.status.value}")
    uow.orders.save_many(changed)
    transactions.record_many(uow, outcomes, held=held)
    return results


def fire_due(deps: Deps, *, batch: int = 100) -> int:
    """Fire every timer due by now; each batch commits with the changes it caused."""
    fired = 0
    while True:

        def one_batch(uow: UnitOfWork) -> int:
            due = uow.timers.claim_due(deps.clock.now(), batch)
            for run in _runs(due):
                if len(run) > 1:
                    _fire_order_timers(deps, uow, run)
                else:
                    _fire_one(deps, uow, run[0])
            return len(due)

        count = transactions.run(deps, one_batch)
        fired += count
        if count < batch:
            return fired


class SandboxClock:
    """A clock that stands still until the platform moves it; kept in the database so every
    process of one deployment reads the same time."""

    def __init__(self, store: SandboxClockStore, start: datetime) -> None:
        self._store = store
        self._lock = threading.Lock()
        if store.read() is None:
            store.write(start)

    def now(self) -> datetime:
        now = self._store.read()
        assert now is not None
        return now

    def set(self, now: datetime) -> None:
        self._store.write(now)


_advance_lock = threading.Lock()


def advance_clock(deps: Deps, clock: SandboxClock, by: timedelta) -> datetime:
    """Move sandbox time forward, firing every timer that falls due, in order, each at its
    own due time (so what it schedules is computed from the right moment)."""
    if by < timedelta(0):
        raise InvalidTransition("the sandbox clock only moves forward")
    with _advance_lock:
        target = clock.now() + by
        while True:
            due_at = transactions.run(deps, lambda uow: uow.timers.next_due_at(), readonly=True)
            if due_at is None or due_at > target:
                break
            clock.set(max(due_at, clock.now()))
            fire_due_at_current_time(deps)
        clock.set(target)
        fire_due(deps)
        return target


def fire_due_at_current_time(deps: Deps) -> None:
    fire_due(deps, batch=1)
