"""Ids like ``ord_0J8Z...``: a prefix, then 26 Crockford base32 characters of time and randomness.

They sort by creation (milliseconds, then a per-process counter), which is what cursor
pagination and the timeline need, and carry 60 random bits, so they cannot be guessed.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
"""Every two characters, by the 10 bits they stand for: half the steps per id."""


def _encode(value: int, length: int) -> str:
    """``length`` (even) characters, most significant first."""
    pairs = []
    for _ in range(length // 2):
        value, bits = divmod(value, 1024)
        pairs.append(_PAIRS[bits])
    return "".join(reversed(pairs))


class SortableIds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def new(self, prefix: str) -> str:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                ms = self._last_ms
                self._counter += 1
            else:
                self._last_ms = ms
                self._counter = 0
            counter = self._counter
        # 10 chars of time (50 bits), 4 of counter (20 bits), 12 random (60 bits).
        return f"{prefix}_{_encode(ms, 10)}{_encode(counter, 4)}{_encode(secrets.randbits(60), 12)}"


default_ids = SortableIds()
