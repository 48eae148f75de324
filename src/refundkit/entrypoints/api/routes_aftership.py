"""Carrier scans from AfterShip's tracking webhook: a second input beside
``POST /v1/tracking-events``, mapped onto the same scans and the same service call."""

from __future__ import annotations

import json
import os
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundkit.adapters.aftership import SIGNATURE_HEADER, scans_from_webhook, signature_matches
from refundkit.domain.errors import Unauthenticated, ValidationError
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.auth import DepsDep, current_user
from refundkit.entrypoints.api.routes_files import declared_length
from refundkit.service import tracking, transactions
from refundkit.service.deps import Deps
from refundkit.service.records import User

router = APIRouter(prefix="/v1", tags=["tracking"])
_bearer = HTTPBearer(auto_error=False)
SECRET_VARIABLE = "REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET"  # noqa: S105 (a variable name)
MAX_BODY = 2_000_000


class AfterShipOut(BaseModel):
    tracking_number: str
    carrier: str
    checkpoints: int
    scans: int
    new: int


@router.post("/tracking-events/aftership", response_model=AfterShipOut)
async def aftership_webhook(
    request: Request, deps: DepsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AfterShipOut:  # fmt: skip
    """AfterShip's ``tracking_update`` webhook. Authenticated by the platform's API key, or
    by AfterShip's ``aftership-hmac-sha256`` signature when
    ``REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET`` holds the webhook secret. [platform, admin]"""
    declared = declared_length(request)
    if declared is not None and declared > MAX_BODY:
        raise _too_large()  # before a byte of the body is read
    user = None
    if credentials is not None:  # a key: known before the body is read
        user = await run_in_threadpool(current_user, deps, credentials)
    body = await capped_body(request)
    if user is None:
        user = await run_in_threadpool(_signed, deps, body, request.headers.get(SIGNATURE_HEADER))
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError("the body must be AfterShip's JSON", field="body") from None
    batch = scans_from_webhook(payload, deps.clock.now())

    def ingest() -> int:
        return transactions.run(deps, lambda uow: tracking.ingest_scans(
            deps, uow, user, tracking.as_shipped(uow, batch.scans)))  # fmt: skip

    new = await run_in_threadpool(ingest)
    return AfterShipOut(tracking_number=batch.tracking_number, carrier=batch.carrier,
                        checkpoints=len(batch.scans) + batch.skipped, scans=len(batch.scans),
                        new=new)  # fmt: skip


async def capped_body(request: Request) -> bytes:
    """The body, refused as soon as it passes ``MAX_BODY`` (also when sent chunked)."""
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > MAX_BODY:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ValidationError:
    return ValidationError("the webhook body is larger than 2 MB", field="body")


def _signed(deps: Deps, body: bytes, signature: str | None) -> User:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if secret and signature_matches(secret, body, signature):
        return User("aftership", Role.PLATFORM, "AfterShip webhook", "", "", None,
                    deps.clock.now())  # fmt: skip
    raise Unauthenticated(
        "send the platform's API key as 'Authorization: Bearer <key>', or set "
        f"{SECRET_VARIABLE} and let AfterShip sign the body ({SIGNATURE_HEADER})"
    )
