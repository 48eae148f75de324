"""Test-only crash points, to prove what survives a process dying at the worst moment.

``REFUNDKIT_CRASH_AT=<point>`` in a process's environment makes it kill itself with
SIGKILL (no cleanup, no response, exactly as a power cut or the OOM killer would) the first
time it reaches that point. Unset, a point costs one environment lookup. Points:

- ``api.after_commit``: a command's transaction (its ledger entries, refunds and stored
  idempotent answer) has committed, and its HTTP response has not been sent.
"""

from __future__ import annotations

import os
import signal

ENV = "REFUNDKIT_CRASH_AT"
AFTER_COMMIT = "api.after_commit"


def reached(point: str) -> None:
    if os.environ.get(ENV) == point:
        os.kill(os.getpid(), signal.SIGKILL)
