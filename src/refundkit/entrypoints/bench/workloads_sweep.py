"""Workload 3: the timer sweep releasing orders whose delivery deadline has passed, beside
plain SQL writing the same rows in the same batches through the same driver."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

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
    chunk = 100_000
    for start in range(0, count, chunk):
        progress(f"writing due orders {start:,}/{count:,}")
        with engine.begin() as conn:
            _copy_in_the_database(conn, template, order, timer, start, min(count, start + chunk))
    due: datetime = timer["due_at"]
    return due


def _series(conn: sa.Connection, start: int, stop: int) -> tuple[Any, Any]:
    """The numbers ``start`` .. ``stop`` - 1 as rows (a selectable and its column), and the
    ten-digit text of each (``0000000042``), in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        series = sa.select(sa.func.generate_series(start, stop - 1).label("n")).subquery("s")
        return series, sa.func.lpad(sa.cast(series.c.n, sa.Text), 10, "0")
    base = sa.select(sa.literal(start).label("n")).cte("s", recursive=True)
    counted = base.union_all(sa.select(base.c.n + 1).where(base.c.n < stop - 1))
    return counted, sa.func.printf("%010d", counted.c.n)


def _copy_in_the_database(
    conn: sa.Connection, template: str, order: dict[str, Any], timer: dict[str, Any],
    start: int, stop: int,
) -> None:  # fmt: skip
    """Copies ``start`` .. ``stop`` - 1 of the template's rows, one INSERT ... SELECT per
    table (no row crosses into Python): the order, its lines, its payment's journal entry
    and two postings, its completion timer."""
    rows, digits = _series(conn, start, stop)
    oid = sa.literal("ord_sweep", sa.String) + digits
    eid = sa.literal("je_sweep", sa.String) + digits
    o, lines = t.orders, t.order_lines
    conn.execute(o.insert().from_select(
        [c.name for c in o.c],
        sa.select(*(oid if c.name == "id" else c for c in o.c))
        .select_from(rows.join(o, sa.true())).where(o.c.id == template),
    ))  # fmt: skip
    conn.execute(lines.insert().from_select(
        [c.name for c in lines.c],
        sa.select(*(oid if c.name == "order_id" else c for c in lines.c))
        .select_from(rows.join(lines, sa.true())).where(lines.c.order_id == template),
    ))  # fmt: skip
    paid_at = sa.literal(order["paid_at"], t.journal_entries.c.occurred_at.type)
    conn.execute(t.journal_entries.insert().from_select(
        ["id", "kind", "occurred_at", "order_id", "memo"],
        sa.select(eid, sa.literal("payment_held"), paid_at, oid,
                  sa.literal("payment held (bench copy)")).select_from(rows),
    ))  # fmt: skip
    paid = order["paid_amount"]
    for account, amount in ((sa.literal("psp_clearing", sa.String), -paid),
                            (sa.literal("escrow:", sa.String) + oid, paid)):  # fmt: skip
        conn.execute(t.postings.insert().from_select(
            ["entry_id", "account", "currency", "amount", "occurred_at"],
            sa.select(eid, account, sa.literal("USD"), sa.literal(amount, sa.BigInteger),
                      sa.literal(order["paid_at"], t.postings.c.occurred_at.type))
            .select_from(rows),
        ))  # fmt: skip
    conn.execute(t.timers.insert().from_select(
        ["kind", "subject_id", "due_at"],
        sa.select(sa.literal("order.complete"), oid,
                  sa.literal(timer["due_at"], t.timers.c.due_at.type)).select_from(rows),
    ))  # fmt: skip


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
