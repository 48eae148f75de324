"""Running ``serve`` and ``worker`` as long-lived processes: the settings checked and the
logs set up first, an optional metrics listener, and a graceful stop on SIGTERM or SIGINT.

- The API stops accepting, lets the requests in flight finish (up to
  ``REFUNDKIT_SHUTDOWN_GRACE_SECONDS``), stops its in-process worker after its current
  batch, closes its connections and exits 0.
- The worker finishes the batch it holds (each batch is one bounded transaction per kind:
  its timers fire, its deliveries are booked), so nothing stays leased until a lease runs
  out, and exits 0.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from types import FrameType

from refundkit.adapters.settings import Settings, SettingsError, startup, unknown_names
from refundkit.entrypoints import logs
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.entrypoints.serving import ServerLimits, uvicorn_config

log = logging.getLogger("refundkit.process")


def prepare(*, sandbox: bool) -> Settings:
    """The settings, refused with a clear message when wrong; then the log handler."""
    settings = startup(sandbox=sandbox)
    logs.configure(settings.log_format, settings.log_level)
    for name, _ in unknown_names():  # the ones close to a setting were refused above
        log.warning("%s is not a refundkit setting; it is ignored", name)
    return settings


def metrics_listener(settings: Settings, runtime: Runtime) -> None:
    bind = settings.metrics_bind()
    if bind is not None:
        from refundkit.entrypoints import metrics_server

        metrics_server.start(bind, runtime.engine, runtime.deps.clock)


def serve_api(
    app: object, runtime: Runtime, settings: Settings, *, host: str, port: int,
    limits: ServerLimits, worker: tuple[threading.Thread, threading.Event] | None,
) -> None:  # fmt: skip
    import uvicorn

    grace = settings.shutdown_grace_seconds
    config = uvicorn_config(
        app, host, port, limits, log_level="warning", log_config=None,
        timeout_graceful_shutdown=math.ceil(grace),
    )  # fmt: skip
    server = uvicorn.Server(config)
    stopped = _record_stop_signals()
    server.run()  # on SIGTERM: stops accepting, finishes what is in flight, returns
    if worker is not None:
        thread, stop = worker
        stop.set()
        thread.join(grace)
    runtime.close()
    log.info("api stopped%s", f" on {stopped[0]}" if stopped else "")


def run_worker_process(runtime: Runtime, *, poll: float, batch: int, sweepers: int = 1) -> None:
    """``sweepers`` - 1 extra threads fire due timers beside the worker's own loop."""
    from refundkit.entrypoints.worker import run_sweeper, run_worker

    stop = threading.Event()

    def on_signal(sig: int, frame: FrameType | None) -> None:
        log.info("%s: finishing the current batch, then stopping", signal.Signals(sig).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    extra = [
        threading.Thread(target=run_sweeper, args=(runtime.deps, stop), name=f"sweeper-{n}",
                         kwargs={"poll_seconds": poll, "batch": batch}, daemon=True)
        for n in range(1, sweepers)
    ]  # fmt: skip
    for thread in extra:
        thread.start()
    from refundkit.adapters.db.outbox_wake import OutboxWake

    wake = OutboxWake(runtime.engine)
    try:
        run_worker(runtime.deps, stop, poll_seconds=poll, batch=batch, wake=wake)
    finally:
        wake.close()
    for thread in extra:
        thread.join()
    runtime.close()
    log.info("worker stopped")


def _record_stop_signals() -> list[str]:
    """uvicorn raises the signal it stopped on again once it has shut down, so the default
    action would kill the process after the graceful part (exit status 143): with this
    handler in place, the process goes on to close its worker and exits 0."""
    seen: list[str] = []

    def note(sig: int, frame: FrameType | None) -> None:
        seen.append(signal.Signals(sig).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, note)
    return seen


__all__ = ["SettingsError", "metrics_listener", "prepare", "run_worker_process", "serve_api"]
