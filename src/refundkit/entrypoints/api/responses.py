"""Running a command for a request: one transaction, optionally idempotent, one JSON answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from refundkit.domain.errors import NotFound, ValidationError
from refundkit.entrypoints import crash_points
from refundkit.entrypoints.api.auth import UserDep
from refundkit.entrypoints.api.idempotency import IdempotentRequest, run_idempotent
from refundkit.service import transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

T = TypeVar("T")
JSON = "application/json"
MAX_KEY_LENGTH = 255


KEY_DESCRIPTION = (
    "Any unique string (a UUID): a retry with the same key and the same request answers the "
    "first answer again (header Idempotent-Replayed: true) for 24 hours of real time; the "
    "same key with another request is refused (idempotency_key_reused)."
)


async def idempotency_request(
    request: Request,
    user: UserDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> IdempotentRequest | None:
    if key is None:
        return None
    return await _keyed(request, user, key)


async def required_idempotency_request(
    request: Request,
    user: UserDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> IdempotentRequest:
    """The spec marks the header required here (``contract.py``); a request without it is
    answered with this readable 422, not the framework's."""
    if key is None:
        raise ValidationError(
            "this request moves money: it needs an Idempotency-Key header, so a retry never "
            "pays twice",
            field="Idempotency-Key",
        )
    return await _keyed(request, user, key)


async def _keyed(request: Request, user: User, key: str) -> IdempotentRequest:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters",
            field="Idempotency-Key",
        )
    body = await request.body()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return IdempotentRequest(user.id, key, digest.hexdigest())


IdempotencyDep = Annotated[IdempotentRequest | None, Depends(idempotency_request)]
RequiredIdempotencyDep = Annotated[IdempotentRequest, Depends(required_idempotency_request)]
"""For the money movers (refunds, payouts): a retry must never pay twice, so no key, no
request."""


def command(
    deps: Deps,
    idem: IdempotentRequest | None,
    work: Callable[[UnitOfWork], T],
    render: Callable[[T], BaseModel],
    status_code: int = 200,
    stored: Callable[[T], BaseModel] | None = None,
) -> Response:
    """``stored`` renders what a replay may show when the answer carries a secret."""

    def rendered(result: T) -> tuple[int, str]:
        return status_code, render(result).model_dump_json()

    if idem is None:
        status, body = transactions.run(deps, lambda uow: rendered(work(uow)))
        crash_points.reached(crash_points.AFTER_COMMIT)
        return Response(body, status, media_type=JSON)
    redact = (lambda result: stored(result).model_dump_json()) if stored else None
    answer = run_idempotent(deps, idem, work, rendered, redact)
    crash_points.reached(crash_points.AFTER_COMMIT)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(answer.body, answer.status_code, media_type=JSON, headers=headers)


def answer(model: BaseModel) -> Response:
    """A read's answer serialized once, by the model itself: a route that returns its model
    would have FastAPI validate it again (in another worker thread) and serialize it twice.
    The route keeps its ``response_model`` for the spec."""
    return Response(model.model_dump_json(), media_type=JSON)


def query(deps: Deps, work: Callable[[UnitOfWork], T]) -> T:
    return transactions.run(deps, work, readonly=True)


class PageParams:
    """Stripe's cursors: ``starting_after`` an id (the page after it), or ``ending_before``
    (the page before it); an id that is not in the list is a 404, never the list's top."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=100, description="1 to 100 items.")] = 20,
        starting_after: Annotated[
            str | None, Query(max_length=40, description="The last id of the page before.")
        ] = None,
        ending_before: Annotated[
            str | None, Query(max_length=40, description="The first id of the page after.")
        ] = None,
    ) -> None:
        if starting_after is not None and ending_before is not None:
            raise ValidationError(
                "send starting_after or ending_before, not both", field="ending_before"
            )
        self.limit = limit
        self.starting_after = starting_after
        self.ending_before = ending_before


PageDep = Annotated[PageParams, Depends()]


def page_of(
    items: Sequence[T], page: PageParams, id_of: Callable[[T], str]
) -> tuple[list[T], bool]:
    """One page of a list held whole (a dispute's timeline, messages, evidence): the items
    after ``starting_after`` or before ``ending_before``, and whether more lie that way."""
    ids = [id_of(item) for item in items]
    cursor = page.starting_after if page.starting_after is not None else page.ending_before
    if cursor is not None and cursor not in ids:
        raise NotFound(f"no item {cursor!r} in this list", field=_cursor_field(page))
    if page.ending_before is not None:
        end = ids.index(page.ending_before)
        start = max(0, end - page.limit)
        return list(items[start:end]), start > 0
    start = 0 if page.starting_after is None else ids.index(page.starting_after) + 1
    chunk = list(items[start : start + page.limit])
    return chunk, start + page.limit < len(items)


def _cursor_field(page: PageParams) -> str:
    return "starting_after" if page.starting_after is not None else "ending_before"


async def known_query_only(request: Request) -> None:
    """A query parameter the operation does not take is refused (422), not ignored: a typo
    (``limt=5``, ``ending_befor``) must not answer a page the caller did not ask for."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = query_names(route.dependant)
    for name in request.query_params:
        if name not in known:
            raise ValidationError(f"unknown query parameter {name!r}", field=name)
        if len(request.query_params.getlist(name)) > 1:
            raise ValidationError(f"{name} is given more than once", field=name)


KnownQueryOnly = Depends(known_query_only)


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters an operation takes, its dependencies' included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names
