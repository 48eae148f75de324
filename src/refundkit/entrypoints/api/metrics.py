"""``GET /metrics`` (Prometheus text, the platform key only) and the middleware counting
every HTTP answer by route template, method and status, with its latency.

The route is the template (``/v1/orders/{order_id}``), never the raw path, so the number
of series stays bounded; a request no route matched counts as ``unmatched``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refundkit.adapters import metrics
from refundkit.domain.errors import Forbidden
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.service.deps import Deps


def route_of(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        replayed = False

        async def watch(message: Message) -> None:
            nonlocal status, replayed
            if message["type"] == "http.response.start":
                status = message["status"]
                replayed = MutableHeaders(scope=message).get("idempotent-replayed") == "true"
            await send(message)

        metrics.HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, watch)
        finally:
            metrics.HTTP_IN_FLIGHT.dec()
            route, method = route_of(scope), scope["method"]
            metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
            metrics.HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)
            if status == 429:
                metrics.RATE_LIMITED.labels(route).inc()
            if replayed:
                metrics.IDEMPOTENT_REPLAYS.inc()


def database_levels(deps: Deps) -> metrics.DatabaseCollector | None:
    engine = getattr(deps.uow, "engine", None)
    return None if engine is None else metrics.DatabaseCollector(engine, deps.clock.now)


def install(app: FastAPI) -> None:
    app.add_middleware(MetricsMiddleware)

    @app.get("/metrics", tags=["health"], response_class=Response)
    def scrape(deps: DepsDep, user: UserDep) -> Response:
        """Prometheus metrics (text format). [platform]"""
        if user.role is not Role.PLATFORM:
            raise Forbidden("only the platform key reads the metrics")
        body = metrics.exposition(database_levels(deps))
        return Response(body, media_type=metrics.CONTENT_TYPE)
