"""Workloads in process, on the service layer: refunds racing on hot orders, and the timer
sweep releasing orders whose delivery deadline has passed. Each beside plain SQL writing the
same rows through the same driver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.domain.errors import RefundkitError
from refundkit.entrypoints.bench.market import People, paid_order
from refundkit.entrypoints.bench.measure import PeakRss, Result, StatementCounter
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import orders, refunds, transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork, UnitOfWorkFactory
from refundkit.service.timers import fire_due

THREADS = 8


class _CountingUow:
    """Counts transactions begun, so retries after lost races can be told from operations."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner
        self.begun = 0
        self._lock = threading.Lock()

    def __call__(self, *, readonly: bool = False) -> UnitOfWork:
        with self._lock:
            self.begun += 1
        return self.inner(readonly=readonly)


@contextmanager
def _raw(engine: sa.Engine) -> Iterator[Any]:
    """A DBAPI connection of the engine's own driver (sqlite3 or psycopg), no SQLAlchemy."""
    conn = engine.raw_connection()
    try:
        yield conn
    finally:
        conn.close()


def _sql(engine: sa.Engine, text: str) -> str:
    return text.replace("?", "%s") if engine.dialect.name == "postgresql" else text


def _begin(engine: sa.Engine, cursor: Any) -> None:
    if engine.dialect.name == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")


def hot_refunds(runtime: Runtime, people: People, hot: int, per_thread: int) -> Result:
    """Workload 2: 8 threads refund small parts of a few hot orders until nothing is left."""
    result = Result(
        2,
        "partial refunds on hot orders",
        "refund",
        targets=[
            ">= 0.5 of raw SELECT ... FOR UPDATE",
            "0 over-refunds",
            "<= 10 statements per refund",
        ],
    )
    ids = [paid_order(runtime, people, 900_000 + n, unit_price=50_000) for n in range(hot)]
    total = 2 * 50_000 + 500
    attempts_per_order = THREADS * per_thread // hot
    amount = max(1, total // int(attempts_per_order * 0.9))  # about 10 % find nothing left
    counting = _CountingUow(runtime.deps.uow)
    deps = replace(runtime.deps, uow=counting)
    refused: list[str] = []
    lock = threading.Lock()

    def refund_one(thread: int, n: int) -> None:
        oid = ids[(thread + n) % hot]
        try:
            transactions.run(
                deps,
                lambda uow: orders.refund_order(
                    deps, uow, people.platform, oid, lambda _c: amount, "bench"
                ),
            )
        except RefundkitError as exc:
            with lock:
                refused.append(exc.code)

    counter = StatementCounter()
    with counter.on(runtime.engine), PeakRss() as rss:
        latencies, seconds = _threads(THREADS, per_thread, refund_one)
    result.ops, result.seconds, result.latencies = len(latencies), seconds, latencies
    result.statements, result.peak_rss_mb = counter.count, rss.peak
    retries = counting.begun - result.ops
    over = _over_refunds(runtime.engine, ids)
    result.notes.append(
        f"{hot} hot orders, {THREADS} threads; {retries} retries after lost "
        f"races; {len(refused)} refused (nothing left to refund); "
        f"{over} over-refunds"
    )
    result.ceiling_ops_per_s = _raw_hot_ceiling(runtime.engine, hot, per_thread, amount, total)
    result.ceiling_name = "plain SQL: SELECT ... FOR UPDATE, UPDATE, INSERT, COMMIT"
    return result


def _threads(
    threads: int, per_thread: int, op: Callable[[int, int], None]
) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def run(thread: int) -> None:
        mine = []
        barrier.wait()
        for n in range(per_thread):
            began = time.perf_counter()
            op(thread, n)
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    return latencies, time.perf_counter() - began


def _over_refunds(engine: sa.Engine, ids: list[str]) -> int:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.orders.c.id, t.orders.c.paid_amount, t.orders.c.refunded_amount).where(
                t.orders.c.id.in_(ids)
            )
        ).all()
        booked = dict(
            conn.execute(
                sa.select(t.refunds.c.order_id, sa.func.sum(t.refunds.c.amount))
                .where(t.refunds.c.order_id.in_(ids))
                .group_by(t.refunds.c.order_id)
            ).all()
        )
        problems = invariant_violations(conn)
    over = sum(1 for oid, paid, refunded in rows if refunded > paid or booked.get(oid, 0) > paid)
    return over + len(problems)


def _raw_hot_ceiling(engine: sa.Engine, hot: int, per_thread: int, amount: int, cap: int) -> float:
    lock_clause = " FOR UPDATE" if engine.dialect.name == "postgresql" else ""
    with _raw(engine) as conn:
        cur = conn.cursor()
        _begin(engine, cur)
        cur.execute("DROP TABLE IF EXISTS bench_hot_refunds")
        cur.execute("DROP TABLE IF EXISTS bench_hot")
        cur.execute(
            "CREATE TABLE bench_hot (id VARCHAR(40) PRIMARY KEY, refunded BIGINT, cap BIGINT)"
        )
        cur.execute(
            "CREATE TABLE bench_hot_refunds (id VARCHAR(40) PRIMARY KEY, "
            "order_id VARCHAR(40), amount BIGINT)"
        )
        cur.executemany(
            _sql(engine, "INSERT INTO bench_hot VALUES (?, 0, ?)"),
            [(f"hot{n}", cap) for n in range(hot)],
        )
        conn.commit()
    select = _sql(engine, f"SELECT refunded, cap FROM bench_hot WHERE id = ?{lock_clause}")
    update = _sql(engine, "UPDATE bench_hot SET refunded = refunded + ? WHERE id = ?")
    insert = _sql(engine, "INSERT INTO bench_hot_refunds VALUES (?, ?, ?)")
    local = threading.local()

    def op(thread: int, n: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = engine.raw_connection()
        conn = local.conn
        cur = conn.cursor()
        oid = f"hot{(thread + n) % hot}"
        _begin(engine, cur)
        cur.execute(select, (oid,))
        refunded, limit = cur.fetchone()
        if refunded + amount <= limit:
            cur.execute(update, (amount, oid))
            cur.execute(insert, (f"r{thread}-{n}", oid, amount))
        conn.commit()
        if n == per_thread - 1:
            conn.close()

    _, seconds = _threads(THREADS, per_thread, op)
    return THREADS * per_thread / seconds


@dataclass(frozen=True, slots=True)
class FixedClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


def timer_sweep(
    runtime: Runtime, people: People, count: int, batch: int, progress: Callable[[str], None]
) -> Result:
    """Workload 3: ``count`` shipped orders past their delivery deadline, completed and
    released by the worker's sweep."""
    result = Result(
        3,
        "timer sweep: complete and release",
        "release",
        targets=[">= 20,000/s SQLite, >= 5,000/s PostgreSQL", ">= 0.2 of raw batched insert"],
    )
    due_at = _clone_due_orders(runtime, people, count, progress)
    deps: Deps = replace(runtime.deps, clock=FixedClock(due_at + timedelta(minutes=1)))
    counter = StatementCounter()
    progress(f"sweeping {count:,} due orders")
    with counter.on(runtime.engine), PeakRss() as rss:
        began = time.perf_counter()
        fired = fire_due(deps, batch=batch)
        result.seconds = time.perf_counter() - began
    result.ops, result.statements, result.peak_rss_mb = fired, counter.count, rss.peak
    with runtime.engine.connect() as conn:
        released = conn.execute(
            sa.select(sa.func.count())
            .select_from(t.orders)
            .where(t.orders.c.id.like("ord_sweep%"), t.orders.c.released_at.is_not(None))
        ).scalar_one()
        progress("proving the ledger after the sweep")
        problems = invariant_violations(conn)
    books = "balances" if not problems else f"{len(problems)} violations"
    result.notes.append(
        f"{released:,} of {count:,} orders released in batches of {batch}; ledger: {books}"
    )
    progress("raw batched-insert ceiling")
    result.ceiling_ops_per_s = _raw_sweep_ceiling(runtime.engine, count, batch)
    result.ceiling_name = "plain SQL, batched: the same updates and inserts per release"
    return result


def _clone_due_orders(
    runtime: Runtime, people: People, count: int, progress: Callable[[str], None]
) -> datetime:
    """One real order (paid, shipped) through the service, then ``count`` copies of its rows
    written in bulk: the order, its line, its payment in the ledger and its completion timer."""
    deps = runtime.deps
    template = paid_order(runtime, people, 0)
    seller = people.sellers[0]
    transactions.run(
        deps, lambda uow: orders.ship_order(deps, uow, seller, template, "DHL", "SWEEP-T")
    )
    engine = runtime.engine
    with engine.begin() as conn:
        order = dict(
            conn.execute(sa.select(t.orders).where(t.orders.c.id == template)).mappings().one()
        )
        lines = [
            dict(r)
            for r in conn.execute(
                sa.select(t.order_lines).where(t.order_lines.c.order_id == template)
            ).mappings()
        ]
        timer = dict(
            conn.execute(
                sa.select(t.timers).where(
                    t.timers.c.subject_id == template, t.timers.c.kind == "order.complete"
                )
            )
            .mappings()
            .one()
        )
        conn.execute(t.timers.delete())
    paid = order["paid_amount"]
    chunk = 5000
    for start in range(0, count, chunk):
        progress(f"writing due orders {start:,}/{count:,}")
        n_range = range(start, min(count, start + chunk))
        oids = [f"ord_sweep{n:010d}" for n in n_range]
        with engine.begin() as conn:
            conn.execute(t.orders.insert(), [{**order, "id": o} for o in oids])
            conn.execute(
                t.order_lines.insert(), [{**line, "order_id": o} for o in oids for line in lines]
            )
            conn.execute(
                t.journal_entries.insert(),
                [
                    {
                        "id": f"je_sweep{o[9:]}",
                        "kind": "payment_held",
                        "occurred_at": order["paid_at"],
                        "order_id": o,
                        "memo": "payment held (bench copy)",
                    }
                    for o in oids
                ],
            )
            conn.execute(
                t.postings.insert(),
                [
                    row
                    for o in oids
                    for row in (
                        {
                            "entry_id": f"je_sweep{o[9:]}",
                            "account": "psp_clearing",
                            "currency": "USD",
                            "amount": -paid,
                            "occurred_at": order["paid_at"],
                        },
                        {
                            "entry_id": f"je_sweep{o[9:]}",
                            "account": f"escrow:{o}",
                            "currency": "USD",
                            "amount": paid,
                            "occurred_at": order["paid_at"],
                        },
                    )
                ],
            )
            conn.execute(
                t.timers.insert(),
                [
                    {"kind": "order.complete", "subject_id": o, "due_at": timer["due_at"]}
                    for o in oids
                ],
            )
    due: datetime = timer["due_at"]
    return due


_RAW_TABLES = (
    "CREATE TABLE bench_raw_orders (id VARCHAR(40) PRIMARY KEY, status VARCHAR(24), "
    "completed_at TIMESTAMP, released_at TIMESTAMP, released_amount BIGINT, "
    "commission_amount BIGINT, version INTEGER)",
    "CREATE TABLE bench_raw_timers (id INTEGER PRIMARY KEY, subject_id VARCHAR(40), "
    "fired_at TIMESTAMP, result VARCHAR(200))",
    "CREATE TABLE bench_raw_entries (id VARCHAR(40) PRIMARY KEY, kind VARCHAR(32), "
    "occurred_at TIMESTAMP, order_id VARCHAR(40), memo VARCHAR(500))",
    "CREATE TABLE bench_raw_postings (entry_id VARCHAR(40), account VARCHAR(80), "
    "currency VARCHAR(3), amount BIGINT, occurred_at TIMESTAMP)",
    "CREATE TABLE bench_raw_events (id VARCHAR(40) PRIMARY KEY, type VARCHAR(64), "
    "subject_id VARCHAR(40), order_id VARCHAR(40), occurred_at TIMESTAMP, "
    "actor_role VARCHAR(16), data TEXT)",
)


def _raw_sweep_ceiling(engine: sa.Engine, count: int, batch: int) -> float:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with _raw(engine) as conn:
        cur = conn.cursor()
        _begin(engine, cur)
        for name in ("orders", "timers", "entries", "postings", "events"):
            cur.execute(f"DROP TABLE IF EXISTS bench_raw_{name}")
        for ddl in _RAW_TABLES:
            cur.execute(ddl)
        cur.executemany(
            _sql(
                engine,
                "INSERT INTO bench_raw_orders (id, status, version) VALUES (?, 'shipped', 1)",
            ),
            [(f"o{n}",) for n in range(count)],
        )
        cur.executemany(
            _sql(engine, "INSERT INTO bench_raw_timers (id, subject_id) VALUES (?, ?)"),
            [(n, f"o{n}") for n in range(count)],
        )
        conn.commit()
        update_order = _sql(
            engine,
            "UPDATE bench_raw_orders SET status = 'completed', "
            "completed_at = ?, released_at = ?, released_amount = ?, "
            "commission_amount = ?, version = version + 1 WHERE id = ?",
        )
        entry = _sql(engine, "INSERT INTO bench_raw_entries VALUES (?, ?, ?, ?, ?)")
        posting = _sql(engine, "INSERT INTO bench_raw_postings VALUES (?, ?, ?, ?, ?)")
        event = _sql(engine, "INSERT INTO bench_raw_events VALUES (?, ?, ?, ?, ?, ?, ?)")
        fired = _sql(engine, "UPDATE bench_raw_timers SET fired_at = ?, result = ? WHERE id = ?")
        began = time.perf_counter()
        for start in range(0, count, batch):
            ns = range(start, min(count, start + batch))
            _begin(engine, cur)
            cur.executemany(update_order, [(now, now, 2850, 150, f"o{n}") for n in ns])
            cur.executemany(
                entry, [(f"e{n}", "funds_released", now, f"o{n}", "release") for n in ns]
            )
            cur.executemany(
                posting,
                [
                    row
                    for n in ns
                    for row in (
                        (f"e{n}", f"escrow:o{n}", "USD", -3000, now),
                        (f"e{n}", "seller_payable:s", "USD", 2850, now),
                        (f"e{n}", "platform_commission", "USD", 150, now),
                    )
                ],
            )
            cur.executemany(
                event,
                [(f"v{n}", "order.completed", f"o{n}", f"o{n}", now, "system", "{}") for n in ns],
            )
            cur.executemany(fired, [(now, "fired: completed", n) for n in ns])
            conn.commit()
        seconds = time.perf_counter() - began
    return count / seconds


def statement_audit(runtime: Runtime, people: People) -> list[tuple[str, int, int]]:
    """Statements (BEGIN and COMMIT included) of single commands, against their targets."""
    deps = runtime.deps
    buyer, seller = people.buyers[0], people.sellers[0]
    from refundkit.entrypoints.bench.market import draft_for

    audits: list[tuple[str, int, int]] = []
    counter = StatementCounter()
    with counter.on(runtime.engine):
        oid = transactions.run(
            deps,
            lambda uow: orders.create_order(
                deps, uow, people.platform, draft_for, buyer.id, seller.id
            ),
        ).order.id
    audits.append(("order create (service, one transaction)", counter.count, 6))
    transactions.run(deps, lambda uow: orders.pay_order(deps, uow, people.platform, oid, "p"))
    counter = StatementCounter()
    with counter.on(runtime.engine):
        refund = transactions.run(
            deps,
            lambda uow: orders.refund_order(
                deps, uow, people.platform, oid, lambda _c: 100, "audit"
            ),
        )
    audits.append(("refund request (service, one transaction)", counter.count, 10))
    counter = StatementCounter()
    with counter.on(runtime.engine):
        transactions.run(deps, lambda uow: refunds.execute_refund(deps, uow, refund.id))
    audits.append(("refund execution at the PSP (worker step)", counter.count, 10))
    return audits
