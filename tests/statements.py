"""Counting the SQL statements a piece of work sends: SQLAlchemy's cursor hook for every
statement, its commit and rollback hooks for the ends of a transaction (on SQLite the
explicit ``BEGIN`` is a statement of its own; on PostgreSQL the driver opens the
transaction with the first statement, so it is not counted there)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


@contextmanager
def counted(
    engine: sa.Engine, *, rollbacks: bool = False, whole: bool = False
) -> Iterator[list[str]]:
    """The statements sent while the block runs (``COMMIT``, and ``ROLLBACK`` when
    ``rollbacks``, included), each as its first word and the start of its text (all of it,
    whitespace collapsed, when ``whole``)."""
    seen: list[str] = []
    length = None if whole else 90

    def count(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        text = " ".join(statement.split())
        seen.append(statement.split()[0].upper() + " " + text[:length])

    def commit(_c: Any) -> None:
        seen.append("COMMIT")

    def rollback(_c: Any) -> None:
        seen.append("ROLLBACK")

    hooks: list[tuple[str, Any]] = [("before_cursor_execute", count), ("commit", commit)]
    if rollbacks:
        hooks.append(("rollback", rollback))
    for name, hook in hooks:
        sa.event.listen(engine, name, hook)
    try:
        yield seen
    finally:
        for name, hook in hooks:
            sa.event.remove(engine, name, hook)
