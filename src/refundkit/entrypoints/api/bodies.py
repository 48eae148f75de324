"""Request bodies: the one cap every body passes, and the shape a JSON body may have.

A body whose ``Content-Length`` is past its limit is refused before a byte of it is read; one
sent without ``Content-Length`` (chunked) is cut off as soon as it passes the limit, before
the rest is read. The JSON API's bodies (``guards``), the uploads, the pages' forms and the
AfterShip webhook all use ``capped_receive`` with their own limit (docs/api.md "Limits")."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import Message, Receive

from refundkit.domain.errors import BodyTooLarge, RefundkitError, ValidationError

MAX_JSON_BODY = 1024 * 1024
"""The largest JSON body the API takes (1 MiB; a batch of 1,000 tracking events is ~250 KB)."""
MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects a JSON body may have (the API's own go to 4)."""


def json_too_large(limit: int = MAX_JSON_BODY) -> BodyTooLarge:
    return BodyTooLarge(f"the body is larger than the limit of {limit} bytes", field="body",
                        limit=limit)  # fmt: skip


def declared_length(request: Request) -> int | None:
    """The body's ``Content-Length``, None when not declared (chunked)."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    try:
        length = int(raw)
    except ValueError:
        raise ValidationError("Content-Length is not a number") from None
    if length < 0:
        raise ValidationError("Content-Length is negative")
    return length


def capped_receive(
    request: Request, limit: int, too_large: Callable[[], RefundkitError]
) -> Receive:
    """``request``'s ``receive``, refusing the body with ``too_large()`` at once when its
    ``Content-Length`` says it is past ``limit``, else as soon as more than ``limit`` bytes
    have come in (a chunked body, which no header announces)."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise too_large()  # before a byte of the body is read
    seen = 0
    receive = request.receive

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large()
        return message

    return capped


def capped_request(
    request: Request, limit: int, too_large: Callable[[], RefundkitError]
) -> Request:
    """``request`` reading its body through ``capped_receive``."""
    return Request(request.scope, capped_receive(request, limit, too_large))


async def capped_body(
    request: Request, limit: int = MAX_JSON_BODY,
    too_large: Callable[[], RefundkitError] = json_too_large,
) -> bytes:  # fmt: skip
    """The whole body, at most ``limit`` bytes of it."""
    return await capped_request(request, limit, too_large).body()


_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def check_depth(body: bytes, limit: int = MAX_JSON_DEPTH, field: str = "body") -> None:
    """Refuse JSON nested deeper than ``limit`` before it is parsed (a parser, and every
    walk over what it returns, would recurse once per level). Brackets inside strings do not
    count; the scan stops at the first level past the limit."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            raise ValidationError(f"the JSON is nested deeper than {limit} levels",
                                  field=field, limit=limit)  # fmt: skip
