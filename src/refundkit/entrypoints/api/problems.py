"""Errors as RFC 9457 problem details, each with a stable ``code``; the only place that
knows HTTP status codes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from refundkit.adapters.metrics import PROBLEMS
from refundkit.domain import errors as e
from refundkit.service import request_context

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_ERROR: tuple[tuple[type[e.RefundkitError], int], ...] = (
    (e.BodyTooLarge, 413),
    (e.BodyTimedOut, 408),
    (e.ChargebackOpen, 409),
    (e.DefectExclusionExists, 409),
    (e.DeductionExceedsCap, 422),
    (e.InvalidSignature, 400),
    (e.WebhooksNotConfigured, 400),
    (e.ValidationError, 422),
    (e.InvalidAmount, 422),
    (e.CurrencyMismatch, 422),
    (e.LooserThanPolicy, 422),
    (e.PolicyError, 422),
    (e.EvidenceRequired, 422),
    (e.FileTooLarge, 413),
    (e.QuotaExceeded, 413),
    (e.FileTypeNotAllowed, 415),
    (e.TooManyFiles, 422),
    (e.EmptyFile, 422),
    (e.EvidenceNotUsable, 422),
    (e.NotFound, 404),
    (e.Forbidden, 403),
    (e.Unauthenticated, 401),
    (e.InvalidTransition, 409),
    (e.WindowClosed, 409),
    (e.UnitsAlreadyDisputed, 409),
    (e.AmountExceedsRefundable, 422),
    (e.IdempotencyKeyReused, 422),
    (e.IdempotencyRequestInProgress, 409),
    (e.ConcurrentUpdate, 409),
    (e.Conflict, 409),
    (e.RateLimited, 429),
    (e.LedgerInvariantBroken, 500),
)
"""Every error of the tree by its own class: a unit test fails when one is missing (an
unmapped error would answer 500, never a silent 400)."""

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal error",
}


UNREAD_BODY = frozenset({408, 413})
"""Answers given before the body was read: the connection is closed after them (the rest of
the body is never read, so the connection cannot carry another request)."""

_RESERVED = frozenset({"type", "title", "status", "code", "detail", "instance", "errors"})


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://refundkit.dev/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    PROBLEMS.labels(code).inc()
    request_id = request_context.current()
    if request_id is not None:  # this occurrence: ``urn:request:<X-Request-Id>``
        body["instance"] = instance_of(request_id)
        headers = {**(headers or {}), "X-Request-Id": request_id}
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if status in UNREAD_BODY:
        headers = {**(headers or {}), "Connection": "close"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def instance_of(request_id: str) -> str:
    """A problem's ``instance``: this occurrence, named by the request's X-Request-Id."""
    return f"urn:request:{request_id}"


def status_of(error: e.RefundkitError) -> int:
    """The status of the error's own class, else of its nearest mapped ancestor; an error
    with none (a bug the unit test catches) is a 500."""
    by_class = dict(STATUS_BY_ERROR)
    for kind in type(error).__mro__:
        if kind in by_class:
            return by_class[kind]
    log.error("no HTTP status for %s", type(error).__name__)
    return 500


class NoNulInAddress:
    """An id or a filter with NUL can match nothing, and PostgreSQL cannot even compare it:
    such an address is answered 422. A plain ASGI middleware (``@app.middleware("http")``
    ran every request and its answer through extra tasks and streams, issue 16)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            answer = problem(422, "validation_error", "the address may not contain NUL characters")
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(NoNulInAddress)

    @app.exception_handler(e.RefundkitError)
    async def _domain(request: Request, exc: e.RefundkitError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("invariant broken on %s: %s", request.url.path, exc.detail)
        extra = {
            k: v for k, v in exc.extra.items() if isinstance(v, str | int) and k not in _RESERVED
        }
        retry_after = exc.extra.get("retry_after")
        headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
        return problem(status, exc.code, exc.detail, headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [issue_of(err) for err in exc.errors()]
        first = issues[0] if issues else {"field": "", "message": "invalid request"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem(422, "validation_error", detail, field=first["field"], errors=issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework could not read the body at all (not UTF-8, not a form): as
            # invalid as malformed JSON, and answered the same way.
            detail = f"body: the body could not be read ({exc.detail})"
            return problem(422, "validation_error", detail, field="body")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem(exc.status_code, code, str(exc.detail), headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem(
            500, "internal_error", "something went wrong on our side; nothing was changed"
        )


_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", "items", 0, "unit_price")`` as ``items[0].unit_price``: the one form of a
    field's path in every answer (the same the service's own checks name)."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def issue_of(err: Mapping[str, Any]) -> dict[str, str]:
    if err.get("type") == "json_invalid":
        # pydantic names the failing character's offset: say which input and why instead.
        reason = (err.get("ctx") or {}).get("error", "invalid JSON")
        return {"field": "body", "message": f"the body is not valid JSON ({reason})"}
    return {"field": field_path(err.get("loc", ())), "message": str(err.get("msg", "invalid"))}


def allowed_methods(request: Request) -> str:
    """The methods the requested path answers (RFC 9110 ``Allow`` on a 405)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex, found = getattr(route, "path_regex", None), route.methods
        if regex is not None and found and regex.match(request.url.path):
            methods |= found
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))
