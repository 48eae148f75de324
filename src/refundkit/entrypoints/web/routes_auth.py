"""Signing in and out, and the home page that sends each person to their own pages."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from refundkit.adapters.passwords import verify_password
from refundkit.domain.errors import RateLimited, Unauthenticated
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.guards import GuardedRoute, own_body
from refundkit.entrypoints.web.session import (
    FormRefused,
    PostedDep,
    Viewer,
    clear_session_cookie,
    deps_of,
    optional_viewer,
    pages_of,
    read_form,
    same_origin,
    set_session_cookie,
    sign_in_url,
    wall_now,
)
from refundkit.service import sign_in_limits, transactions, web_sessions

router = APIRouter(include_in_schema=False, route_class=GuardedRoute)
SIGN_IN_COOKIE = "rk_signin"
HOME_BY_ROLE = {Role.BUYER: "/orders", Role.SELLER: "/seller", Role.AGENT: "/agent",
                Role.ADMIN: "/dashboard"}  # fmt: skip


def safe_next(value: str | None) -> str:
    """Only a path of this site: never ``//elsewhere`` or ``https://elsewhere``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    return value


@router.get("/")
def home(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in", 303)
    return RedirectResponse(HOME_BY_ROLE.get(viewer.user.role, "/orders"), 303)


def _sign_in_page(
    request: Request, *, next_path: str, email: str = "", error: str = "", status: int = 200
) -> Response:
    token = secrets.token_urlsafe(24)
    pages = pages_of(request)
    response = pages.render(
        request, "sign_in.html", status, next_path=next_path, email=email, error=error,
        sign_in_token=token, demo_logins=pages.demo_logins,
    )  # fmt: skip
    # Login CSRF: the form's token must match this cookie, which another site cannot set.
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, path="/sign-in",
                        secure=request.url.scheme == "https", httponly=True,
                        samesite="lax")  # fmt: skip
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _sign_in_page(request, next_path=safe_next(next))


@router.post("/sign-in")
@own_body
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    sent = form.get("sign_in_token")
    if not same_origin(request) or not expected or not isinstance(sent, str) \
            or not hmac.compare_digest(sent, expected):  # fmt: skip
        raise FormRefused("the sign-in form expired or came from another site")
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or ""))
    deps = deps_of(request)
    address = request.client.host if request.client else ""
    try:
        await run_in_threadpool(transactions.run, deps, lambda uow: sign_in_limits.attempt(
            uow, email, address, wall_now()))  # fmt: skip
    except RateLimited as exc:
        response = _sign_in_page(request, next_path=next_path, email=email, error=exc.detail,
                                 status=429)  # fmt: skip
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
        return response
    try:
        token, session = await run_in_threadpool(
            web_sessions.sign_in, deps, email, password, verify_password, wall_now()
        )
    except Unauthenticated as exc:
        return _sign_in_page(request, next_path=next_path, email=email, error=exc.detail,
                             status=401)  # fmt: skip
    await run_in_threadpool(transactions.run, deps, lambda uow: sign_in_limits.succeeded(
        uow, email, address, wall_now()))  # fmt: skip
    target = next_path or HOME_BY_ROLE.get(session.user.role, "/orders")
    response = RedirectResponse(target, 303)
    set_session_cookie(response, request, token)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, posted: PostedDep) -> Response:
    token = request.cookies.get("rk_session")
    if token:
        web_sessions.sign_out(deps_of(request), token)
    response = RedirectResponse("/sign-in", 303)
    clear_session_cookie(response, request)
    return response


def redirect_to_sign_in(next_path: str) -> RedirectResponse:
    return RedirectResponse(sign_in_url(next_path), 303)
