"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from refundkit.entrypoints.api import (
    contract,
    docs_page,
    guards,
    health,
    metrics,
    problems,
    routes_aftership,
    routes_calendar_feed,
    routes_chargebacks,
    routes_credit,
    routes_disputes,
    routes_files,
    routes_money,
    routes_notifications,
    routes_orders,
    routes_platform,
    routes_psp,
    routes_shipments,
    routes_standing,
    routes_webhooks,
)
from refundkit.entrypoints.api.request_ids import RequestIdMiddleware
from refundkit.entrypoints.api.responses import KnownQueryOnly
from refundkit.entrypoints.web import app as web_app
from refundkit.service.deps import Deps


def create_app(deps: Deps, *, demo_logins: list[dict[str, str]] | None = None) -> FastAPI:
    """The API under /v1 and the web pages beside it. ``demo_logins`` (``serve --demo``
    only): the demo people the sign-in page lists."""
    app = FastAPI(
        title="refundkit",
        version="0.1.0",
        summary="Buyer protection, disputes, escrow and refunds for online marketplaces",
        openapi_url="/openapi.json",
        docs_url=None,  # docs_page: Swagger UI from this site, not a CDN
        swagger_ui_oauth2_redirect_url=None,
        redoc_url=None,
        # operationId = the route's function name (create_order, open_dispute): what a
        # generated client names its functions.
        generate_unique_id_function=lambda route: route.name,
    )
    app.router.route_class = guards.GuardedRoute
    app.state.deps = deps
    guards.install(app)  # first: inside every other middleware, so its 408 is a problem
    problems.install(app)
    app.include_router(routes_orders.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_shipments.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_platform.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_aftership.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_money.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_webhooks.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_notifications.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_disputes.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_psp.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_chargebacks.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_credit.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_standing.router, dependencies=[KnownQueryOnly])
    app.include_router(routes_calendar_feed.router, dependencies=[KnownQueryOnly])
    routes_files.install(app)
    web_app.install(app, demo_logins=demo_logins)
    docs_page.install(app)
    health.install(app)
    metrics.install(app)
    app.add_middleware(RequestIdMiddleware)  # outermost: last added
    contract.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
