"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from refundkit.entrypoints.api import (
    problems,
    routes_aftership,
    routes_disputes,
    routes_files,
    routes_money,
    routes_notifications,
    routes_orders,
    routes_platform,
    routes_webhooks,
)
from refundkit.service.deps import Deps


def create_app(deps: Deps) -> FastAPI:
    app = FastAPI(
        title="refundkit",
        version="0.1.0",
        summary="Buyer protection, disputes, escrow and refunds for online marketplaces",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.deps = deps
    problems.install(app)
    app.include_router(routes_orders.router)
    app.include_router(routes_platform.router)
    app.include_router(routes_aftership.router)
    app.include_router(routes_money.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_notifications.router)
    app.include_router(routes_disputes.router)
    routes_files.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
