"""Slowing down password guessing: after 5 failed sign-ins for one email from one address
within 15 minutes, that pair is refused until the oldest failure is 15 minutes old.

Kept in the process's memory (each API process counts on its own, so N processes allow N
times as many guesses: still a bound, and no table to clean). Keyed by email and client
address together, so a stranger cannot lock a buyer out from elsewhere.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MAX_KEYS = 100_000


class SignInThrottle:
    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self._max = max_failures
        self._window = window
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def wait(self, email: str, address: str, now: datetime) -> timedelta | None:
        """How long this email from this address must wait, or None if it may try now."""
        with self._lock:
            recent = self._recent((email.strip().lower(), address), now)
            if len(recent) < self._max:
                return None
            return recent[0] + self._window - now

    def failed(self, email: str, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._failures.clear()  # a flood of keys: forget rather than grow
            key = (email.strip().lower(), address)
            self._recent(key, now).append(now)

    def succeeded(self, email: str, address: str) -> None:
        with self._lock:
            self._failures.pop((email.strip().lower(), address), None)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        found = self._failures.setdefault(key, deque())
        while found and found[0] + self._window <= now:
            found.popleft()
        return found
