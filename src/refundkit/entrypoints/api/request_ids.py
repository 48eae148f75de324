"""``X-Request-Id``: taken from the request when well-formed, else made (``req_`` and a
sortable id), bound for everything the request does (log lines, events, outbox rows,
webhook deliveries) and returned on every answer. A plain ASGI middleware, so the id is
bound in the request's own task and every handler, sync or async, sees it."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refundkit.adapters.ids import default_ids
from refundkit.service import request_context

HEADER = "X-Request-Id"
log = logging.getLogger("refundkit.http")


def new_request_id() -> str:
    return default_ids.new("req")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Headers(scope=scope).get(HEADER)
        request_id = sent if request_context.well_formed(sent) else new_request_id()
        assert request_id is not None
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if HEADER not in headers:
                    headers.append(HEADER, request_id)
            await send(message)

        # Bound for the rest of this task: an unexpected error's 500, built outside this
        # middleware (``problems``), still finds the id for its ``instance`` and header.
        token = request_context.bind(request_id)
        await self.app(scope, receive, send_with_id)
        # The path only: a query string may carry a token (sign-in links, cursors).
        log.info(
            "%s %s %d %.1fms", scope["method"], scope["path"], status,
            (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        request_context.unbind(token)
