"""Workload 2 in process, on the service layer: refunds racing on hot orders, beside plain
SQL through the same driver; and the statement audit of single commands."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.domain.errors import RefundkitError
from refundkit.entrypoints.bench.market import People, paid_order
from refundkit.entrypoints.bench.measure import PeakRss, Result, StatementCounter
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import orders, refunds, transactions
from refundkit.service.ports import UnitOfWork, UnitOfWorkFactory

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
def raw_connection(engine: sa.Engine) -> Iterator[Any]:
    """A DBAPI connection of the engine's own driver (sqlite3 or psycopg), no SQLAlchemy."""
    conn = engine.raw_connection()
    try:
        yield conn
    finally:
        conn.close()


def raw_sql(engine: sa.Engine, text: str) -> str:
    return text.replace("?", "%s") if engine.dialect.name == "postgresql" else text


def begin_raw(engine: sa.Engine, cursor: Any) -> None:
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
                lambda uow: refunds.refund_order(deps, uow, people.platform, oid, amount, "bench"),
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
    with raw_connection(engine) as conn:
        cur = conn.cursor()
        begin_raw(engine, cur)
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
            raw_sql(engine, "INSERT INTO bench_hot VALUES (?, 0, ?)"),
            [(f"hot{n}", cap) for n in range(hot)],
        )
        conn.commit()
    select = raw_sql(engine, f"SELECT refunded, cap FROM bench_hot WHERE id = ?{lock_clause}")
    update = raw_sql(engine, "UPDATE bench_hot SET refunded = refunded + ? WHERE id = ?")
    insert = raw_sql(engine, "INSERT INTO bench_hot_refunds VALUES (?, ?, ?)")
    local = threading.local()

    def op(thread: int, n: int) -> None:
        if not hasattr(local, "conn"):
            local.conn = engine.raw_connection()
        conn = local.conn
        cur = conn.cursor()
        oid = f"hot{(thread + n) % hot}"
        begin_raw(engine, cur)
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


def statement_audit(runtime: Runtime, people: People) -> list[tuple[str, int, int]]:
    """Statements (BEGIN and COMMIT included) of single commands, against their targets."""
    deps = runtime.deps
    buyer, seller = people.buyers[0], people.sellers[0]
    from refundkit.entrypoints.bench.market import draft_for

    audits: list[tuple[str, int, int]] = []

    def create() -> str:
        return transactions.run(
            deps,
            lambda uow: orders.create_order(
                deps, uow, people.platform, draft_for, buyer.id, seller.id
            ),
        ).order.id

    create()  # the process now knows the buyer and the seller (service/user_cache.py)
    counter = StatementCounter()
    with counter.on(runtime.engine):
        oid = create()
    audits.append(("order create (service, one transaction)", counter.count, 6))
    transactions.run(deps, lambda uow: orders.pay_order(deps, uow, people.platform, oid, "p"))
    counter = StatementCounter()
    with counter.on(runtime.engine):
        refund = transactions.run(
            deps,
            lambda uow: refunds.refund_order(deps, uow, people.platform, oid, 100, "audit"),
        )
    audits.append(("refund request (service, one transaction)", counter.count, 10))
    counter = StatementCounter()
    with counter.on(runtime.engine):
        transactions.run(deps, lambda uow: refunds.execute_refund(deps, uow, refund.id))
    audits.append(("refund execution at the PSP (worker step)", counter.count, 10))
    return audits
