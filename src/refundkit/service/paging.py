"""One page out of what a repository returned for ``limit + 1`` items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def window(found: Sequence[T], limit: int, *, backwards: bool) -> tuple[list[T], bool]:
    """The page and whether more lie beyond it: the extra item is the last one going
    forwards, the first one (the farthest from the cursor) going backwards."""
    more = len(found) > limit
    if not more:
        return list(found), False
    return (list(found[-limit:]) if backwards else list(found[:limit])), True
