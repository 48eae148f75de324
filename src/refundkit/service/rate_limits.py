"""Per-account rate limits (policy ``[limits]``): disputes opened, offers made and refunds
made outside disputes, each counted over fixed one-hour windows in the database, so the
limit holds across every API process.

A charge is counted in the transaction of the action it guards: an action that fails for
another reason rolls its count back, and a refused one (429) changes nothing at all."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from refundkit.domain.errors import RateLimited
from refundkit.domain.roles import Role
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

WINDOW = timedelta(hours=1)
DISPUTE_OPENED = "dispute_opened"
OFFER_MADE = "offer_made"
REFUND_MADE = "refund_made"


def _limit(deps: Deps, user: User, action: str) -> int:
    limits = deps.policies.active.limits
    if action == DISPUTE_OPENED:
        return limits.disputes_opened_per_hour
    if action == OFFER_MADE:
        return limits.offers_per_hour
    if user.role is Role.PLATFORM:
        return limits.platform_refunds_per_hour
    return limits.refunds_per_hour


def window_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def charge(deps: Deps, uow: UnitOfWork, user: User, action: str) -> None:
    """Count one ``action`` by ``user``; past the limit, ``RateLimited`` (which rolls the
    count back with the rest of the transaction)."""
    now = deps.clock.now()
    start = window_of(now)
    limit = _limit(deps, user, action)
    count = uow.rate_limits.hit(user.id, action, start)
    if count == 1:
        # The account's first of this window: its older windows are of no more use.
        uow.rate_limits.forget_before(user.id, start)
    if count > limit:
        retry_after = max(1, math.ceil((start + WINDOW - now).total_seconds()))
        raise RateLimited(
            f"at most {limit} {action.replace('_', ' ')} per hour for one account; "
            f"try again in {retry_after} seconds",
            retry_after=retry_after,
            limit=limit,
        )
