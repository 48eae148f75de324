"""Idempotent API requests (docs/api.md "Idempotency"): the answer of a request with an
``Idempotency-Key`` is stored under the key in the transaction of its work, so a request
retried after a crash, even one between commit and response, is answered again, not redone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from refundkit.domain.errors import Conflict, IdempotencyKeyReused
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import IdempotencyRecord
from refundkit.service.transactions import run

T = TypeVar("T")
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
"""Of wall-clock time (``Deps.real_now``): a sandbox clock moved on a week still replays a
key sent a minute ago."""


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    principal_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: str
    replayed: bool = False


def run_idempotent(
    deps: Deps,
    request: IdempotentRequest,
    work: Callable[[UnitOfWork], T],
    render: Callable[[T], tuple[int, str]],
    redact: Callable[[T], str] | None = None,
) -> Answer:
    """Do the work and store its answer under the key in the same transaction, so a request
    retried after a crash (even one between commit and response) is answered, not redone.

    ``redact`` gives the body to store when the live answer holds a secret (a new API key)
    that must never rest in the database; a replay then answers the redacted body."""

    def attempt(uow: UnitOfWork) -> Answer:
        previous = _live_record(deps, uow, request)
        if previous is not None:
            return _replay(previous, request)
        result = work(uow)
        status_code, body = render(result)
        uow.idempotency.add(
            IdempotencyRecord(
                request.principal_id,
                request.key,
                request.fingerprint,
                status_code,
                redact(result) if redact else body,
                deps.real_now(),
            )
        )
        return Answer(status_code, body)

    try:
        return run(deps, attempt)
    except Conflict:
        # Another request with the same key committed first: answer as it did.
        stored = run(deps, lambda uow: _live_record(deps, uow, request), readonly=True)
        if stored is None:
            raise
        return _replay(stored, request)


def _live_record(
    deps: Deps, uow: UnitOfWork, request: IdempotentRequest
) -> IdempotencyRecord | None:
    stored = uow.idempotency.get(request.principal_id, request.key)
    if stored is None:
        return None
    if stored.created_at + IDEMPOTENCY_KEY_TTL < deps.real_now():
        # Expired: the key is free again; the old row goes in this same transaction.
        uow.idempotency.remove(request.principal_id, request.key)
        return None
    return stored


def _replay(stored: IdempotencyRecord, request: IdempotentRequest) -> Answer:
    if stored.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with another request; use a new key"
        )
    return Answer(stored.status_code, stored.body, replayed=True)


def replay_if_known(deps: Deps, request: IdempotentRequest) -> Answer | None:
    """For work that spans several transactions (the sandbox clock): answer a known key."""
    stored = run(deps, lambda uow: _live_record(deps, uow, request))
    return None if stored is None else _replay(stored, request)


def remember(deps: Deps, request: IdempotentRequest, status_code: int, body: str) -> None:
    def store(uow: UnitOfWork) -> None:
        uow.idempotency.add(
            IdempotencyRecord(
                request.principal_id, request.key, request.fingerprint, status_code, body,
                deps.real_now(),
            )
        )  # fmt: skip

    run(deps, store)
