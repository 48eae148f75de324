"""Start several jobs at the same moment (a barrier) and collect each result or exception:
the tool of every race test; and wait until transactions queue on a PostgreSQL lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa


def together(*jobs: Callable[[], object]) -> list[object]:
    """Run the jobs in threads released together; a job's exception is its result."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i: int, job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_for_lock_waiters(engine: sa.Engine, count: int) -> None:
    """Until ``count`` transactions of this PostgreSQL database wait on a lock (a condition,
    polled; each poll in its own transaction, as pg_stat_activity is a snapshot per
    transaction)."""
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")  # fmt: skip
    give_up = time.monotonic() + 30
    with engine.connect() as conn:
        while True:
            waiting = conn.execute(query).scalar_one()
            conn.rollback()
            if waiting >= count:
                return
            assert time.monotonic() < give_up, f"{count} lock waiters never showed"
            time.sleep(0.005)
