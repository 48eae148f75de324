"""Mounting the pages into the API's FastAPI application (one process serves both)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from refundkit.domain.errors import NotFound, RefundkitError
from refundkit.entrypoints.api.problems import UNREAD_BODY, status_of
from refundkit.entrypoints.web import (
    routes_auth,
    routes_calendar,
    routes_credit,
    routes_dispute_form,
    routes_disputes,
    routes_messages,
    routes_orders,
    routes_staff,
    routes_standing,
)
from refundkit.entrypoints.web.render import Pages
from refundkit.entrypoints.web.session import FormRefused, SignInRequired, sign_in_url

STATIC = Path(__file__).parent / "static"
API_PREFIXES = ("/v1", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PREFIXES)


def install(app: FastAPI, *, demo_logins: list[dict[str, str]] | None = None) -> None:
    """Add the pages; the API keeps its problem+json errors, the pages get HTML ones."""
    pages = Pages(app.state.deps, demo_logins=demo_logins)
    app.state.pages = pages
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        routes_auth,
        routes_orders,
        routes_dispute_form,
        routes_disputes,
        routes_staff,
        routes_calendar,
        routes_messages,
        routes_credit,
        routes_standing,
    ):
        app.include_router(module.router)

    def error_page(request: Request, status: int, title: str, detail: str) -> Response:
        return pages.render(request, "error.html", status, title=title, detail=detail)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(sign_in_url(exc.next_path), 303)

    @app.exception_handler(FormRefused)
    async def _refused(request: Request, exc: FormRefused) -> Response:
        return error_page(request, 403, "Form refused",
                          f"{exc}. Go back, reload the page and send it again.")  # fmt: skip

    api_domain = app.exception_handlers[RefundkitError]
    api_http = app.exception_handlers[StarletteHTTPException]

    async def domain(request: Request, exc: Exception) -> Any:
        if not is_page(request):
            answer = api_domain(request, exc)
            return await answer if not isinstance(answer, Response) else answer
        assert isinstance(exc, RefundkitError)
        if isinstance(exc, NotFound):
            return error_page(request, 404, "Not found",
                              "There is no such page, or it is not yours to see.")  # fmt: skip
        page = error_page(request, status_of(exc), "That did not work", exc.detail)
        if page.status_code in UNREAD_BODY:
            page.headers["Connection"] = "close"
        retry_after = exc.extra.get("retry_after")
        if isinstance(retry_after, int):  # a rate limit: when to try again
            page.headers["Retry-After"] = str(retry_after)
        return page

    async def http(request: Request, exc: Exception) -> Any:
        if not is_page(request):
            answer = api_http(request, exc)
            return await answer if not isinstance(answer, Response) else answer
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_page(request, 404, "Not found", "There is no such page.")
        return error_page(request, exc.status_code, "That did not work", str(exc.detail))

    api_unexpected = app.exception_handlers[Exception]

    async def unexpected(request: Request, exc: Exception) -> Any:
        answer = api_unexpected(request, exc)  # logs it, as for the API
        answer = await answer if not isinstance(answer, Response) else answer
        if not is_page(request):
            return answer
        return error_page(request, 500, "Something went wrong on our side",
                          "Nothing was changed. Try again in a moment.")  # fmt: skip

    app.add_exception_handler(RefundkitError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)
