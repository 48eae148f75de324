"""The worker: fires due timers until stopped. Several may run against PostgreSQL at once."""

from __future__ import annotations

import logging
import threading

from refundkit.service.deps import Deps
from refundkit.service.timers import fire_due

log = logging.getLogger(__name__)


def run_worker(deps: Deps, stop: threading.Event, *, poll_seconds: float = 1.0) -> None:
    while not stop.is_set():
        try:
            fired = fire_due(deps)
            if fired:
                log.info("fired %d timers", fired)
        except Exception:
            # Keep the worker alive: the batch rolled back and its timers stay due.
            log.exception("timer batch failed; retrying after a pause")
        stop.wait(poll_seconds)


def start_in_thread(
    deps: Deps, *, poll_seconds: float = 1.0
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(deps, stop), kwargs={"poll_seconds": poll_seconds},
        name="refundkit-worker", daemon=True,
    )  # fmt: skip
    thread.start()
    return thread, stop
