"""Latencies, peak memory and SQL statement counts of one workload."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa


@dataclass
class Result:
    """One workload's figures, next to the raw ceiling measured beside it."""

    number: int
    name: str
    operation: str
    ops: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds per operation (empty when operations are batched)."""
    peak_rss_mb: float = 0.0
    statements: int = 0
    ceiling_ops_per_s: float | None = None
    ceiling_name: str = ""
    notes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        if not self.ceiling_ops_per_s:
            return None
        return self.ops_per_s / self.ceiling_ops_per_s

    @property
    def statements_per_op(self) -> float:
        return self.statements / self.ops if self.ops else 0.0

    def percentile_ms(self, share: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process now (Linux /proc), in MB."""
    try:
        with open(f"/proc/{pid or os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return 0.0
    return 0.0


class PeakRss:
    """Samples a process's resident memory every 10 ms while a workload runs."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self.start = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb(self.pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))


class StatementCounter:
    """Counts the SQL statements an engine sends (COMMIT and ROLLBACK included)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _seen(self, *_args: Any) -> None:
        with self._lock:
            self.count += 1

    @contextmanager
    def on(self, engine: sa.Engine) -> Iterator[StatementCounter]:
        hooks = ("before_cursor_execute", "commit", "rollback")
        for hook in hooks:
            sa.event.listen(engine, hook, self._seen)
        try:
            yield self
        finally:
            for hook in hooks:
                sa.event.remove(engine, hook, self._seen)


@contextmanager
def timed(result: Result) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        result.seconds = time.perf_counter() - began
