"""When to try again what failed (a webhook delivery, a mail): waits growing by a factor up
to a longest wait, given up once too long has passed since the first try."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    first: timedelta
    factor: int
    longest: timedelta
    give_up_after: timedelta

    def next_attempt(self, attempts: int, started_at: datetime, now: datetime) -> datetime | None:
        """After ``attempts`` failures: ``first``, then ``factor`` times longer each time,
        at most ``longest``; None once the next try would fall more than ``give_up_after``
        past ``started_at``."""
        wait: timedelta = min(self.first * self.factor ** max(attempts - 1, 0), self.longest)
        due: datetime = now + wait
        return None if due - started_at > self.give_up_after else due
