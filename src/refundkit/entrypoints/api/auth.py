"""Bearer API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from refundkit.domain.errors import Unauthenticated
from refundkit.service.deps import Deps
from refundkit.service.records import User
from refundkit.service.users import authenticate, kept_user

_bearer = HTTPBearer(auto_error=False)


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


def key_user(deps: Deps, credentials: HTTPAuthorizationCredentials | None) -> User:
    """The user whose API key ``credentials`` carry."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send your API key as 'Authorization: Bearer <key>'")
    return authenticate(deps, credentials.credentials)


async def request_user(deps: Deps, credentials: HTTPAuthorizationCredentials | None) -> User:
    """``key_user``; a key kept in memory is answered here, on the event loop, and only one
    to be read from the database goes to a worker thread."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        kept = kept_user(deps, credentials.credentials)
        if kept is not None:
            return kept
    return await run_in_threadpool(key_user, deps, credentials)


async def current_user(
    request: Request,
    deps: DepsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller; ``guards`` checked the key before the body was read, and left the user
    on the request."""
    known = getattr(request.state, "api_user", None)
    if isinstance(known, User):
        return known
    return await request_user(deps, credentials)


UserDep = Annotated[User, Depends(current_user)]
