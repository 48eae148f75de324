"""The worker: fires due timers, relays the outbox, sends webhooks and notifications until
stopped. Several may run against PostgreSQL at once."""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from refundkit.adapters.ids import default_ids
from refundkit.service import mailing, request_context, webhooks
from refundkit.service.deps import Deps
from refundkit.service.timers import fire_due

log = logging.getLogger(__name__)


class Wake(Protocol):
    def wait(self, stop: threading.Event, seconds: float) -> bool: ...


def run_worker(
    deps: Deps, stop: threading.Event, *, poll_seconds: float = 1.0, batch: int = 100,
    wake: Wake | None = None,
) -> None:  # fmt: skip
    """``batch``: timers fired per transaction (smaller: shorter transactions, more commits).
    ``wake`` (``adapters/db/outbox_wake.py``): an idle worker wakes as soon as events are
    written (PostgreSQL's ``LISTEN``, a short poll on SQLite), not after ``poll_seconds``."""
    while not stop.is_set():
        busy = False
        # Each batch its own id: its log lines, and the events and messages it causes.
        with request_context.bound(default_ids.new("wrk")):
            try:
                fired = fire_due(deps, batch=batch)
                if fired:
                    log.info("fired %d timers", fired)
                busy = deliver_webhooks(deps) or busy
                busy = send_notifications(deps) or busy
            except Exception:
                # Keep the worker alive: the batch rolled back and its timers stay due.
                log.exception("worker batch failed; retrying after a pause")
        if not busy:
            if wake is None:
                stop.wait(poll_seconds)
            else:
                wake.wait(stop, poll_seconds)


def run_sweeper(
    deps: Deps, stop: threading.Event, *, poll_seconds: float = 1.0, batch: int = 100
) -> None:
    """A sweeper beside the worker (``refundkit worker --sweepers N`` on PostgreSQL): due
    timers only; sweepers share the queue with ``FOR UPDATE SKIP LOCKED``."""
    while not stop.is_set():
        fired = 0
        with request_context.bound(default_ids.new("wrk")):
            try:
                fired = fire_due(deps, batch=batch)
            except Exception:
                log.exception("sweeper batch failed; retrying after a pause")
        if not fired:
            stop.wait(poll_seconds)


def deliver_webhooks(deps: Deps) -> bool:
    """One round of the outbox: relay new events, send due deliveries. True if it did work."""
    relayed = webhooks.relay(deps)
    sent = webhooks.send_due(deps, deps.webhook_sender) if deps.webhook_sender else 0
    if relayed or sent:
        log.info("relayed %d events, sent %d webhooks", relayed, sent)
    return bool(relayed or sent)


def send_notifications(deps: Deps) -> bool:
    """One round of the mail outbox: send due notifications. True if it did work."""
    sent = mailing.send_due(deps, deps.mailer) if deps.mailer else 0
    if sent:
        log.info("sent %d notifications", sent)
    return bool(sent)


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
