"""Running a command for a request: one transaction, optionally idempotent, one JSON answer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel

from refundkit.domain.errors import ValidationError
from refundkit.entrypoints import crash_points
from refundkit.entrypoints.api.auth import UserDep
from refundkit.entrypoints.api.idempotency import IdempotentRequest, run_idempotent
from refundkit.service import transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork

T = TypeVar("T")
JSON = "application/json"
MAX_KEY_LENGTH = 255


async def idempotency_request(request: Request, user: UserDep) -> IdempotentRequest | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
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


def query(deps: Deps, work: Callable[[UnitOfWork], T]) -> T:
    return transactions.run(deps, work, readonly=True)


class PageParams:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        starting_after: Annotated[str | None, Query(max_length=40)] = None,
    ) -> None:
        self.limit = limit
        self.starting_after = starting_after


PageDep = Annotated[PageParams, Depends()]
