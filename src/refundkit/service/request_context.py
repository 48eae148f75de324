"""The id of the request (or worker batch) the running code serves, so log lines, events,
outbox rows and webhook deliveries can carry it without every call passing it on.

A ``ContextVar``: each HTTP request runs in its own asyncio task (and the threads its sync
handlers run in copy the task's context); the worker binds one per batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_current: ContextVar[str | None] = ContextVar("refundkit_request_id", default=None)

WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}")
"""An incoming ``X-Request-Id`` kept as it came: 1 to 128 characters of letters, digits and
``. _ : @ + = -`` (UUIDs, ULIDs and the usual proxies' ids fit); anything else is replaced."""


def current() -> str | None:
    """The bound request or batch id, or None outside any."""
    return _current.get()


def well_formed(candidate: str | None) -> bool:
    return candidate is not None and WELL_FORMED.fullmatch(candidate) is not None


def bind(request_id: str) -> Token[str | None]:
    """Bind ``request_id`` in the current context; returns a token for ``unbind``."""
    return _current.set(request_id)


def unbind(token: Token[str | None]) -> None:
    _current.reset(token)


@contextmanager
def bound(request_id: str) -> Iterator[str]:
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)
