"""Rate-limit counters in the database, so every API process shares them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t


def _hit_statement(insert: Any) -> Any:
    """Built once per dialect (building it is a good part of its cost), bound per call."""
    c = t.rate_limit_counters.c
    return (
        insert(t.rate_limit_counters)
        .values(principal_id=sa.bindparam("principal"), action=sa.bindparam("action"),
                window_start=sa.bindparam("window", type_=c.window_start.type), count=1)
        .on_conflict_do_update(
            index_elements=[c.principal_id, c.action, c.window_start],
            set_={"count": c.count + 1},
        )
        .returning(c.count)
    )  # fmt: skip


_HIT = {"postgresql": _hit_statement(postgresql.insert), "sqlite": _hit_statement(sqlite.insert)}


class SqlRateLimitCounters:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def hit(self, principal_id: str, action: str, window_start: datetime) -> int:
        """Count one more in the window and answer the new count, in one statement (the row
        lock it takes on PostgreSQL orders concurrent hits; SQLite has one writer)."""
        params = {"principal": principal_id, "action": action, "window": window_start}
        return int(self._conn.execute(_HIT[self._conn.dialect.name], params).scalar_one())

    def forget_before(self, principal_id: str, moment: datetime) -> None:
        c = t.rate_limit_counters.c
        self._conn.execute(
            sa.delete(t.rate_limit_counters).where(
                c.principal_id == principal_id, c.window_start < moment
            )
        )

    def counts_since(self, principal_id: str, action: str, since: datetime) -> list[
        tuple[datetime, int]
    ]:  # fmt: skip
        c = t.rate_limit_counters.c
        rows = self._conn.execute(
            sa.select(c.window_start, c.count)
            .where(c.principal_id == principal_id, c.action == action, c.window_start >= since)
            .order_by(c.window_start)
        )
        return [(started, int(count)) for started, count in rows]

    def forget_action_before(self, action: str, moment: datetime) -> None:
        c = t.rate_limit_counters.c
        self._conn.execute(
            sa.delete(t.rate_limit_counters).where(c.action == action, c.window_start < moment)
        )
