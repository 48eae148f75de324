"""What every database test shares outside fixtures: the sandbox's start and the proof of
the books. A module of its own, because ``from conftest import`` finds whichever conftest.py
was imported first (tests/browser has one too)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from refundkit.adapters.db.ledger_repository import invariant_violations

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def assert_ledger_invariants(engine: sa.Engine) -> None:
    """The same proof as ``refundkit ledger verify``: entries balance, no escrow is negative,
    nothing is refunded beyond what was paid, each order's escrow matches its amounts."""
    with engine.connect() as conn:
        problems = invariant_violations(conn)
    assert problems == [], problems
