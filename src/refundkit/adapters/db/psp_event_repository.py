"""The payment provider's events, one row per (provider, event id)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import insert_or_skip
from refundkit.service.psp_ports import PspEvent


class SqlPspEventRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_if_new(self, event: PspEvent, received_at: datetime) -> bool:
        inserted = self._conn.execute(
            insert_or_skip(self._conn, t.psp_events).returning(t.psp_events.c.id),
            {
                "provider": event.provider,
                "id": event.id,
                "type": event.type[:100],
                "object_id": (event.object_id or "")[:255] or None,
                "created_at": event.created_at,
                "received_at": received_at,
                "result": "received",
            },
        )
        return inserted.first() is not None

    def set_result(self, provider: str, event_id: str, result: str) -> None:
        self._conn.execute(
            t.psp_events.update()
            .where(t.psp_events.c.provider == provider, t.psp_events.c.id == event_id)
            .values(result=result[:500])
        )

    def result(self, provider: str, event_id: str) -> str | None:
        found = self._conn.execute(
            sa.select(t.psp_events.c.result).where(
                t.psp_events.c.provider == provider, t.psp_events.c.id == event_id
            )
        ).scalar()
        return None if found is None else str(found)
