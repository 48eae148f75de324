"""Slowing down password guessing on the sign-in form: at most 5 attempts that fail for one
email from one client address within 15 minutes; past that the pair is refused (429) until
the oldest of them is 15 minutes old, even with the right password.

Counted in the database (``rate_limit_counters``, by the minute), so every API process
shares one count. Each attempt is counted *before* its password is checked, in a
transaction that also reads the total, so concurrent attempts from several processes cannot
all slip under the limit; a refused attempt rolls its count back, and a successful sign-in
clears the pair's count. Keyed by a hash of the email and the address together: a stranger
cannot lock a buyer out from elsewhere, and no email or address is stored in the clear.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from refundkit.domain.errors import RateLimited
from refundkit.service.identity_text import email_key
from refundkit.service.ports import UnitOfWork

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
BUCKET = timedelta(minutes=1)
ACTION = "sign_in_failed"


def _key(email: str, address: str) -> str:
    # The email as the sign-in looks it up (NFKC, lower case): every spelling of one
    # address (full-width letters, ligatures) shares one count.
    digest = hashlib.sha256(f"{email_key(email)}\0{address}".encode()).hexdigest()
    return f"signin_{digest[:32]}"


def _bucket(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _oldest_counted(now: datetime) -> datetime:
    """Buckets that began at or after this still count (a failure may count up to one
    bucket longer than the window, never shorter)."""
    return _bucket(now - WINDOW)


def attempt(uow: UnitOfWork, email: str, address: str, now: datetime) -> None:
    """Count one sign-in attempt of this email from this address; ``RateLimited`` when it
    is past the limit (the caller's transaction then rolls the count back)."""
    key, bucket = _key(email, address), _bucket(now)
    if uow.rate_limits.hit(key, ACTION, bucket) == 1:
        # The pair's first attempt this minute: drop every pair's expired counts.
        uow.rate_limits.forget_action_before(ACTION, _oldest_counted(now))
    counts = uow.rate_limits.counts_since(key, ACTION, _oldest_counted(now))
    total = sum(n for _, n in counts)
    if total <= MAX_FAILURES:
        return
    # Refused: this attempt is not counted, so MAX_FAILURES earlier ones are in ``counts``.
    # The pair may try again once enough of the oldest buckets have left the window.
    earlier, wait = total - 1, WINDOW + BUCKET
    for started, n in counts:
        earlier -= n
        if earlier < MAX_FAILURES:
            wait = started + WINDOW + BUCKET - now
            break
    seconds = max(1, math.ceil(wait.total_seconds()))
    raise RateLimited(
        f"too many failed sign-ins: try again in {max(1, math.ceil(seconds / 60))} min",
        retry_after=seconds,
        limit=MAX_FAILURES,
    )


def succeeded(uow: UnitOfWork, email: str, address: str, now: datetime) -> None:
    """The right password: this pair's earlier failures no longer count."""
    uow.rate_limits.forget_before(_key(email, address), _bucket(now) + BUCKET)
