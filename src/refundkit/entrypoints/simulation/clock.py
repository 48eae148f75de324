"""The simulator's view of the sandbox clock: moved only by the simulator, written through to
the database's sandbox clock, and read from memory (one process owns it while it runs)."""

from __future__ import annotations

from datetime import datetime

from refundkit.service.timers import SandboxClock


class SimulatedClock:
    def __init__(self, sandbox: SandboxClock) -> None:
        self._sandbox = sandbox
        self._now = sandbox.now()

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now > self._now:
            self._sandbox.set(now)
            self._now = now
