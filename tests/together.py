"""Start several jobs at the same moment (a barrier) and collect each result or exception:
the tool of every race test."""

from __future__ import annotations

import threading
from collections.abc import Callable


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
