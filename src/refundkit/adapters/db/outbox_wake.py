"""Waking the worker when events are written, instead of sleeping a fixed interval.

PostgreSQL: the worker ``LISTEN``s on ``refundkit_outbox`` (migration 0024 notifies on
every transaction that wrote events) on a connection of its own, and a wait ends when a
notification comes. SQLite cannot notify: a wait there is a short poll."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa

CHANNEL = "refundkit_outbox"
SQLITE_POLL_SECONDS = 0.1
"""How often a worker on SQLite looks for new events while idle."""
_SLICE = 0.5
"""A wait on PostgreSQL looks at the stop flag at least this often."""


class OutboxWake:
    def __init__(self, engine: sa.Engine) -> None:
        self._conn: Any = None
        if engine.dialect.name == "postgresql":
            pooled = engine.raw_connection()
            conn: Any = pooled.driver_connection
            pooled.detach()  # its own connection, never back in the pool
            conn.rollback()
            conn.autocommit = True
            self._conn = conn
            self._conn.execute(f"LISTEN {CHANNEL}")

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Until events are written (True), ``seconds`` pass or ``stop`` is set (False)."""
        if self._conn is None:
            return stop.wait(min(seconds, SQLITE_POLL_SECONDS)) and False
        left = seconds
        while left > 0 and not stop.is_set():
            step = min(left, _SLICE)
            if any(True for _ in self._conn.notifies(timeout=step, stop_after=1)):
                for _ in self._conn.notifies(timeout=0):  # the others already queued
                    pass
                return True
            left -= step
        return False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
