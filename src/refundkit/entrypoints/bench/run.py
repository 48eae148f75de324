"""The benchmark run: one fresh database, the workloads in turn, the table."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from refundkit.entrypoints.bench import workloads_db, workloads_http, workloads_sweep
from refundkit.entrypoints.bench.market import SINK_ALLOWED, THROWAWAY_KEY, make_people
from refundkit.entrypoints.bench.measure import Result
from refundkit.entrypoints.bench.workloads_http import Sizes
from refundkit.entrypoints.bootstrap import build
from refundkit.entrypoints.scratch_db import fresh_database, shown

SCHEMA = "refundkit_bench"


@dataclass(frozen=True, slots=True)
class Plan:
    sizes: Sizes
    hot_orders: int
    refunds_per_thread: int
    sweep_orders: int
    sweep_batch: int


QUICK = Plan(
    Sizes(orders_per_client=25, reads_per_client=50, escalated=20, uploads_per_size=3),
    hot_orders=4,
    refunds_per_thread=25,
    sweep_orders=5_000,
    sweep_batch=500,
)
FULL = Plan(
    Sizes(orders_per_client=400, reads_per_client=800, escalated=200, uploads_per_size=10),
    hot_orders=10,
    refunds_per_thread=250,
    sweep_orders=1_000_000,
    sweep_batch=1000,
)


@dataclass
class BenchRun:
    database: str
    dialect: str
    results: list[Result] = field(default_factory=list)
    audit: list[tuple[str, int, int]] = field(default_factory=list)
    machine: str = ""


def bench(
    database_url: str | None,
    work: Path,
    plan: Plan,
    only: set[int] | None,
    progress: Callable[[str], None],
) -> BenchRun:
    work.mkdir(parents=True, exist_ok=True)
    url = fresh_database(database_url, work / "bench.sqlite3", SCHEMA)
    runtime = build(url=url, webhook_allow_private=SINK_ALLOWED, secret_key=THROWAWAY_KEY)
    run = BenchRun(shown(url), runtime.engine.dialect.name, machine=_machine())
    wanted = only or {1, 2, 3, 4, 5, 6}
    try:
        people = make_people(runtime)
        progress("statement audit")
        run.audit = workloads_db.statement_audit(runtime, people)
        if 1 in wanted:
            progress("1: order create + pay over HTTP")
            run.results.append(workloads_http.orders_over_http(url, work, people, plan.sizes))
        if 4 in wanted:
            progress("4: outbox relay")
            run.results.append(workloads_http.outbox_relay(url, work, runtime, people, plan.sizes))
        if 5 in wanted:
            progress("5: read paths")
            run.results += workloads_http.read_paths(url, work, runtime, people, plan.sizes)
        if 6 in wanted:
            progress("6: evidence uploads")
            run.results += workloads_http.uploads(url, work, runtime, people, plan.sizes)
        if 2 in wanted:
            progress("2: refunds on hot orders")
            run.results.append(
                workloads_db.hot_refunds(runtime, people, plan.hot_orders, plan.refunds_per_thread)
            )
        if 3 in wanted:
            progress("3: timer sweep")
            run.results.append(
                workloads_sweep.timer_sweep(
                    runtime, people, plan.sweep_orders, plan.sweep_batch, progress
                )
            )
    finally:
        runtime.close()
    run.results.sort(key=lambda r: r.number)
    return run


def _machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
