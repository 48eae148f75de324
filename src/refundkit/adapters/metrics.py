"""Prometheus metrics, all under ``refundkit_``.

Counters of committed work (timers fired, ledger entries, refunds, disputes, deliveries)
are counted by the unit of work after its commit (``Tally``), so a rolled-back transaction
counts nothing. HTTP metrics are counted by the API's middleware. Levels that live in the
database (timers due, the outbox's backlog, the oldest of each) are read when scraped, in
three statements (``DatabaseCollector``).

With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), every process writes its
counters to files there and a scrape of any process adds them all up
(``prometheus_client.multiprocess``); the database levels are the same from any process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from refundkit.adapters.db import tables as t

# No ``_created`` series: half as many, and the same as in multiprocess mode.
disable_created_metrics()  # type: ignore[no-untyped-call]
CONTENT_TYPE = CONTENT_TYPE_LATEST
OVERDUE_AFTER = timedelta(minutes=5)
"""A due timer not fired this long after its time is overdue (the worker polls each second)."""

HTTP_REQUESTS = Counter(
    "refundkit_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)  # fmt: skip
HTTP_DURATION = Histogram(
    "refundkit_http_request_duration_seconds", "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)  # fmt: skip
HTTP_IN_FLIGHT = Gauge(
    "refundkit_http_requests_in_flight", "HTTP requests being answered right now.",
    multiprocess_mode="livesum",
)  # fmt: skip
PROBLEMS = Counter("refundkit_problems", "Problem answers, by their stable code.", ["code"])
IDEMPOTENT_REPLAYS = Counter(
    "refundkit_idempotent_replays", "Answers replayed for a repeated Idempotency-Key."
)
RATE_LIMITED = Counter(
    "refundkit_rate_limit_refusals", "Requests refused for a rate limit (429), by route.",
    ["route"],
)  # fmt: skip
TIMERS_FIRED = Counter("refundkit_timers_fired", "Timers fired, by kind.", ["kind"])
LEDGER_ENTRIES = Counter("refundkit_ledger_entries", "Journal entries written, by kind.", ["kind"])
REFUNDS = Counter(
    "refundkit_refunds", "Refunds entering a status, by status and payment provider.",
    ["status", "provider"],
)  # fmt: skip
DISPUTES_OPENED = Counter("refundkit_disputes_opened", "Disputes opened, by reason.", ["reason"])
DISPUTES_ESCALATED = Counter("refundkit_disputes_escalated", "Disputes escalated to an agent.")
WEBHOOK_DELIVERIES = Counter(
    "refundkit_webhook_deliveries", "Webhook delivery attempts booked, by result.", ["result"]
)
MAIL_DELIVERIES = Counter(
    "refundkit_mail_deliveries", "Notification sending attempts booked, by result.", ["result"]
)
PSP_CALLS = Histogram(
    "refundkit_psp_call_duration_seconds",
    "Calls to the payment provider, by provider, operation and outcome (ok or error).",
    ["provider", "operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)  # fmt: skip

_provider = "sandbox"


def set_provider(name: str) -> None:
    """The payment provider this process refunds through (the ``provider`` label)."""
    global _provider
    _provider = name


@contextmanager
def psp_call(operation: str, provider: str | None = None) -> Iterator[None]:
    """Time one call to the payment provider: ``with metrics.psp_call("refund"): ...``;
    an exception counts as ``outcome="error"`` and goes on."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        PSP_CALLS.labels(provider or _provider, operation, outcome).observe(
            time.perf_counter() - started
        )


@dataclass
class Tally:
    """What one transaction did, counted only once it committed; a savepoint that rolls
    back forgets its own (``mark`` / ``forget_after``)."""

    counts: list[tuple[Counter, tuple[str, ...]]] = field(default_factory=list)

    def add(self, counter: Counter, *labels: str) -> None:
        self.counts.append((counter, labels))

    def mark(self) -> int:
        return len(self.counts)

    def forget_after(self, mark: int) -> None:
        del self.counts[mark:]

    def events(self, types_and_data: Sequence[tuple[str, dict[str, object]]]) -> None:
        for kind, data in types_and_data:
            if kind == "dispute.opened":
                self.add(DISPUTES_OPENED, str(data.get("reason", "unknown")))
            elif kind == "dispute.escalated":
                self.add(DISPUTES_ESCALATED)

    def refund(self, status: str, provider: str | None = None) -> None:
        self.add(REFUNDS, status, provider or _provider)

    def committed(self) -> None:
        for counter, labels in self.counts:
            (counter.labels(*labels) if labels else counter).inc()
        self.counts.clear()


class DatabaseCollector(Collector):
    """Levels read from the database at scrape time: three statements."""

    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now

    def collect(self) -> Iterator[Metric]:
        now = self._now()
        tm, ev, d = t.timers, t.events, t.webhook_deliveries
        pending = tm.c.fired_at.is_(None)
        with self._engine.connect() as conn:
            due, overdue, oldest_due = conn.execute(
                sa.select(
                    sa.func.count().filter(tm.c.due_at <= now),
                    sa.func.count().filter(tm.c.due_at <= now - OVERDUE_AFTER),
                    sa.func.min(tm.c.due_at),
                ).where(pending, tm.c.due_at <= now)
            ).one()
            backlog, oldest_event = conn.execute(
                sa.select(sa.func.count(), sa.func.min(ev.c.occurred_at)).where(
                    ev.c.published_at.is_(None)
                )
            ).one()
            waiting, oldest_delivery = conn.execute(
                sa.select(sa.func.count(), sa.func.min(d.c.next_attempt_at)).where(
                    d.c.status == "pending", d.c.next_attempt_at <= now
                )
            ).one()
        yield _gauge("refundkit_timers_due", "Timers due now and not yet fired.", due)
        yield _gauge("refundkit_timers_overdue",
                     f"Timers due more than {OVERDUE_AFTER.seconds // 60} minutes ago and "
                     "not yet fired.", overdue)  # fmt: skip
        yield _gauge("refundkit_timer_oldest_due_age_seconds",
                     "How long the oldest due timer has waited (0 when none is due).",
                     _age(now, oldest_due))  # fmt: skip
        yield _gauge("refundkit_outbox_backlog", "Events not yet relayed by the worker.", backlog)
        yield _gauge("refundkit_outbox_oldest_age_seconds",
                     "Age of the oldest event not yet relayed: the outbox's lag.",
                     _age(now, oldest_event))  # fmt: skip
        yield _gauge("refundkit_webhook_deliveries_due", "Webhook deliveries due to be sent.",
                     waiting)  # fmt: skip
        yield _gauge("refundkit_webhook_delivery_lag_seconds",
                     "How long the longest-waiting due webhook delivery has waited.",
                     _age(now, oldest_delivery))  # fmt: skip


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


def exposition(database: Collector | None) -> bytes:
    """The text a scrape gets: this process's counters (every process's, in multiprocess
    mode), and the database's levels."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        text = generate_latest(merged)
    else:
        text = generate_latest(REGISTRY)
    if database is not None:
        levels = CollectorRegistry()
        levels.register(database)
        text += generate_latest(levels)
    return text
