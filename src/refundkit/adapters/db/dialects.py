"""The few statements that differ between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def locked(
    conn: Connection, query: sa.Select[Any], *, of: sa.Table | None = None
) -> sa.Select[Any]:
    """A row lock on PostgreSQL (on the rows of ``of`` alone, when the query joins others).
    SQLite has one writer at a time (BEGIN IMMEDIATE): no row locks needed or supported."""
    if conn.dialect.name != "postgresql":
        return query
    return query.with_for_update(of=of) if of is not None else query.with_for_update()


def skip_locked(conn: Connection, query: sa.Select[Any]) -> sa.Select[Any]:
    """Claim rows no other worker holds (``FOR UPDATE SKIP LOCKED``) on PostgreSQL; SQLite's
    single writer has nothing to skip."""
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def insert_or_skip(conn: Connection, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


def lock_name(conn: Connection, name: str) -> None:
    """Serialize writers on a name for the rest of the transaction (an advisory lock on
    PostgreSQL; SQLite has a single writer already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
