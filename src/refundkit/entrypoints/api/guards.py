"""What every request passes before its route sees its body (docs/operations.md "Limits at
the edge"):

- a route that needs an API key checks it first, so a stranger's body is never read (a
  64 MiB ``POST`` without a key is answered 401 at once);
- a route's body is read here, at most ``MAX_JSON_BODY`` bytes of it (413 before reading when
  ``Content-Length`` says more), refused when nested deeper than ``MAX_JSON_DEPTH``, then
  handed on; routes that stream their own body (uploads, the pages' forms, the AfterShip
  webhook) are marked ``@own_body`` and cap it themselves with ``bodies.capped_receive``;
- a body must arrive in time: ``SlowBodies`` gives it ``REFUNDKIT_BODY_TIMEOUT_SECONDS``
  plus one second for every ``REFUNDKIT_BODY_MIN_RATE`` bytes that came in (a client sending
  a byte at a time runs out of time), then answers 408 and closes the connection."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from refundkit.domain.errors import BodyTimedOut
from refundkit.entrypoints.api import auth
from refundkit.entrypoints.api.bodies import capped_body, check_depth

F = TypeVar("F", bound=Callable[..., Any])
_OWN_BODY = "_refundkit_reads_own_body"
_bearer = HTTPBearer(auto_error=False)


def own_body(function: F) -> F:
    """Mark a route (or a dependency) that reads and caps the request's body itself."""
    setattr(function, _OWN_BODY, True)
    return function


def _calls(dependant: Dependant) -> Iterator[Any]:
    stack = [dependant]
    while stack:
        current = stack.pop()
        yield current.call
        stack.extend(current.dependencies)


class GuardedRoute(APIRoute):
    """Every router of the API and the pages is made with ``route_class=GuardedRoute``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        calls = list(_calls(self.dependant))
        keyed = any(call is auth.current_user for call in calls)
        reads_body = not any(getattr(call, _OWN_BODY, False) for call in calls)

        async def guarded(request: Request) -> Response:
            if keyed:
                credentials = await _bearer(request)
                deps = auth.get_deps(request)
                user = await auth.request_user(deps, credentials)
                request.state.api_user = user  # current_user takes it from here
            if reads_body:
                body = await capped_body(request)
                if body:
                    check_depth(body)
                request = Request(request.scope, _replay(body, request.receive))
            return await handler(request)

        return guarded


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect is left to hear
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def install(app: FastAPI) -> None:
    app.add_middleware(SlowBodies, timeouts=body_timeouts_from_env())


@dataclass(frozen=True, slots=True)
class BodyTimeouts:
    seconds: float = 20.0
    """The time a body has from the moment its request's headers are in."""
    min_rate: int = 500
    """Bytes per second: each ``min_rate`` bytes received give the body one more second."""


def body_timeouts_from_env(environ: dict[str, str] | None = None) -> BodyTimeouts:
    """``REFUNDKIT_BODY_TIMEOUT_SECONDS`` (default 20) and ``REFUNDKIT_BODY_MIN_RATE``
    (bytes per second, default 500)."""
    env = dict(os.environ) if environ is None else environ
    default = BodyTimeouts()
    seconds = float(env.get("REFUNDKIT_BODY_TIMEOUT_SECONDS") or default.seconds)
    min_rate = int(env.get("REFUNDKIT_BODY_MIN_RATE") or default.min_rate)
    if seconds <= 0 or min_rate < 1:
        raise ValueError("REFUNDKIT_BODY_TIMEOUT_SECONDS and REFUNDKIT_BODY_MIN_RATE must be "
                         "positive")  # fmt: skip
    return BodyTimeouts(seconds, min_rate)


class SlowBodies:
    """Cut off a request whose body comes in slower than ``BodyTimeouts`` allow."""

    def __init__(self, app: ASGIApp, timeouts: BodyTimeouts) -> None:
        self.app = app
        self.timeouts = timeouts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        start, received, done = loop.time(), 0, False
        seconds, min_rate = self.timeouts.seconds, self.timeouts.min_rate

        async def timed() -> Message:
            nonlocal received, done
            if done:  # the body is in: waiting for a disconnect is not timed
                return await receive()
            deadline = start + seconds + received / min_rate
            try:
                async with asyncio.timeout_at(deadline):  # no task per chunk, unlike wait_for
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut(
                    f"the request body did not arrive in time (at least {min_rate} bytes a "
                    f"second after the first {seconds:g} s)"
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        await self.app(scope, timed, send)
