"""The reliability suite's two sizes and its figures.

``REFUNDKIT_LONG_TESTS=1`` runs the long variants (more steps, events, kills and fuzzed
requests; minutes instead of seconds). ``REFUNDKIT_RELIABILITY_FIGURES=FILE`` appends each
test's figures to FILE as JSON lines, from which docs/reliability.md takes its numbers; the
figures are also printed (``pytest -s`` shows them)."""

from __future__ import annotations

import json
import os
import threading
from typing import TypeVar

T = TypeVar("T")
LONG = os.environ.get("REFUNDKIT_LONG_TESTS") == "1"
_lock = threading.Lock()


def size(short: T, long: T) -> T:
    """The short figure in the normal suite, the long one with REFUNDKIT_LONG_TESTS=1."""
    return long if LONG else short


def record(test: str, **figures: object) -> None:
    line = json.dumps({"test": test, "long": LONG, **figures}, sort_keys=True, default=str)
    print(f"FIGURES {line}")
    path = os.environ.get("REFUNDKIT_RELIABILITY_FIGURES")
    if path:
        with _lock, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
