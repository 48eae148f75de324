"""Workload 3: the timer sweep releasing orders whose delivery deadline has passed, beside
plain SQL writing the same rows in the same batches through the same driver."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.entrypoints.bench.market import People, paid_order
from refundkit.entrypoints.bench.measure import PeakRss, Result, StatementCounter
from refundkit.entrypoints.bench.workloads_db import begin_raw, raw_connection, raw_sql
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import orders, transactions
from refundkit.service.deps import Deps
from refundkit.service.timers import fire_due


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
    with raw_connection(engine) as conn:
        cur = conn.cursor()
        begin_raw(engine, cur)
        for name in ("orders", "timers", "entries", "postings", "events"):
            cur.execute(f"DROP TABLE IF EXISTS bench_raw_{name}")
        for ddl in _RAW_TABLES:
            cur.execute(ddl)
        cur.executemany(
            raw_sql(
                engine,
                "INSERT INTO bench_raw_orders (id, status, version) VALUES (?, 'shipped', 1)",
            ),
            [(f"o{n}",) for n in range(count)],
        )
        cur.executemany(
            raw_sql(engine, "INSERT INTO bench_raw_timers (id, subject_id) VALUES (?, ?)"),
            [(n, f"o{n}") for n in range(count)],
        )
        conn.commit()
        update_order = raw_sql(
            engine,
            "UPDATE bench_raw_orders SET status = 'completed', "
            "completed_at = ?, released_at = ?, released_amount = ?, "
            "commission_amount = ?, version = version + 1 WHERE id = ?",
        )
        entry = raw_sql(engine, "INSERT INTO bench_raw_entries VALUES (?, ?, ?, ?, ?)")
        posting = raw_sql(engine, "INSERT INTO bench_raw_postings VALUES (?, ?, ?, ?, ?)")
        event = raw_sql(engine, "INSERT INTO bench_raw_events VALUES (?, ?, ?, ?, ?, ?, ?)")
        fired = raw_sql(engine, "UPDATE bench_raw_timers SET fired_at = ?, result = ? WHERE id = ?")
        began = time.perf_counter()
        for start in range(0, count, batch):
            ns = range(start, min(count, start + batch))
            begin_raw(engine, cur)
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
