"""The sandbox clock's time, in the database so every process sees the same moment."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.engine import READONLY_OPTION


class SqlSandboxClockStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def read(self) -> datetime | None:
        with self._engine.connect().execution_options(**{READONLY_OPTION: True}) as conn:
            now: datetime | None = conn.execute(
                sa.select(t.sandbox_clock.c.now).where(t.sandbox_clock.c.id == 1)
            ).scalar()
            conn.rollback()
            return now

    def write(self, now: datetime) -> None:
        with self._engine.begin() as conn:
            updated = conn.execute(
                t.sandbox_clock.update().where(t.sandbox_clock.c.id == 1).values(now=now)
            )
            if updated.rowcount == 0:
                conn.execute(t.sandbox_clock.insert(), {"id": 1, "now": now})
