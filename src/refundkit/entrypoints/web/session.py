"""Who is signed in, and the checks every posted form passes: a session cookie (Secure over
https, HttpOnly, SameSite=Lax), the session's CSRF token in the form, and an Origin that is
this site's own."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from refundkit.domain.errors import ValidationError
from refundkit.entrypoints.api.bodies import capped_request
from refundkit.entrypoints.api.guards import own_body
from refundkit.entrypoints.api.routes_files import MULTIPART_OVERHEAD
from refundkit.entrypoints.web.render import Pages
from refundkit.service import files
from refundkit.service.deps import Deps
from refundkit.service.file_ports import Uploads
from refundkit.service.records import User
from refundkit.service.web_sessions import SESSION_LIFETIME, current_session

COOKIE = "rk_session"
MAX_FILES = 10
MAX_FIELDS = 60
MAX_FIELD_BYTES = 1024 * 1024
"""The longest text field (a description, a note); files have the upload limit."""


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    csrf_token: str


@dataclass(frozen=True, slots=True)
class Posted:
    viewer: Viewer
    form: FormData

    @property
    def user(self) -> User:
        return self.viewer.user

    def text(self, name: str, default: str = "") -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else default

    def values(self) -> dict[str, str]:
        """What was typed, to show back in a form that failed."""
        return {
            k: v for k, v in self.form.multi_items() if isinstance(v, str) and k != "csrf_token"
        }


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class FormRefused(Exception):
    """A post without this session's CSRF token, or from another site."""


def wall_now() -> datetime:
    return datetime.now(UTC)


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def deps_of(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _lookup(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    session = current_session(deps_of(request), token, wall_now())
    if session is None:
        return None
    viewer = Viewer(session.user, session.csrf_token)
    request.state.viewer = viewer
    return viewer


def optional_viewer(request: Request) -> Viewer | None:
    return _lookup(request)


def signed_in(request: Request) -> Viewer:
    viewer = _lookup(request)
    if viewer is None:
        raise SignInRequired(request.url.path)
    return viewer


def same_origin(request: Request) -> bool:
    """The post came from a page of this site. A browser names the page a form came from in
    ``Origin`` (``null`` from a sandboxed or privacy-stripped page), else in ``Referer``, and
    says ``Sec-Fetch-Site: cross-site`` for another site's form: each, when sent, must point
    here. (A request with none of them is not a browser's cross-site form; the token
    decides.)"""
    host = request.headers.get("host", "")
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    return referer is None or urlsplit(referer).netloc == host


def form_body_limit(request: Request) -> int:
    """The most a posted form may carry: ``MAX_FILES`` files of the upload limit, each with
    room for its part's headers and the text fields around it."""
    uploads: Uploads = request.app.state.uploads
    return MAX_FILES * (uploads.max_bytes + MULTIPART_OVERHEAD)


async def read_form(request: Request) -> FormData:
    """The posted form. A body announced larger than every file a form may carry is refused
    before a byte of it is read; one sent without ``Content-Length`` (chunked) is cut off as
    soon as it passes that size, before the rest is written anywhere (each file is checked
    again, against the file limit, when it is stored). No field may hold a NUL character,
    as on the API (PostgreSQL cannot store one, SQLite would)."""
    uploads: Uploads = request.app.state.uploads
    capped = capped_request(request, form_body_limit(request),
                            lambda: files.too_large(uploads.max_bytes))  # fmt: skip
    form = await capped.form(max_files=MAX_FILES, max_fields=MAX_FIELDS,
                             max_part_size=MAX_FIELD_BYTES)  # fmt: skip
    for name, value in form.multi_items():
        text = value if isinstance(value, str) else (value.filename or "")
        if "\x00" in name or "\x00" in text:
            await form.close()
            raise ValidationError("a field of the form holds a NUL character, which no text "
                                  "may contain", field=name.replace("\x00", ""))  # fmt: skip
    return form


@own_body
async def posted(request: Request) -> Posted:
    viewer = await run_in_threadpool(_lookup, request)
    if viewer is None:
        raise SignInRequired("/")
    if not same_origin(request):
        raise FormRefused("this form was sent from another site")
    form = await read_form(request)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not hmac.compare_digest(token, viewer.csrf_token):
        raise FormRefused("this form has no valid security token")
    return Posted(viewer, form)


ViewerDep = Annotated[Viewer, Depends(signed_in)]
PostedDep = Annotated[Posted, Depends(posted)]


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
        secure=request.url.scheme == "https", httponly=True, samesite="lax",
    )  # fmt: skip


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", secure=request.url.scheme == "https",
                           httponly=True, samesite="lax")  # fmt: skip


def sign_in_url(next_path: str) -> str:
    return "/sign-in" if next_path in ("", "/") else f"/sign-in?next={quote(next_path)}"
