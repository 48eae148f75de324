"""The disputes holding an order (``Order.dispute_holds``) as its row keeps them: a JSON
list of ``[dispute id, parts or null]`` in the order they began to hold it; the column
``open_dispute_id`` keeps the latest one for readers of the row."""

from __future__ import annotations

from typing import Any


def holds_of(stored: Any) -> dict[str, tuple[int, ...] | None]:
    return {
        dispute_id: None if parts is None else tuple(int(p) for p in parts)
        for dispute_id, parts in stored or []
    }


def stored_holds(holds: dict[str, tuple[int, ...] | None]) -> list[list[Any]]:
    return [[dispute_id, None if parts is None else list(parts)]
            for dispute_id, parts in holds.items()]  # fmt: skip
