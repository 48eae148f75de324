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

from refundkit.adapters.aftership import (
    SIGNATURE_HEADER,
    check_fresh,
    scans_from_webhook,
    signature_matches,
)
from refundkit.domain.errors import BodyTooLarge, Unauthenticated, ValidationError
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.auth import DepsDep, key_user
from refundkit.entrypoints.api.bodies import capped_body, check_depth
from refundkit.entrypoints.api.guards import GuardedRoute, own_body
from refundkit.entrypoints.api.schemas import holds_nul
from refundkit.service import tracking, transactions
from refundkit.service.deps import Deps
from refundkit.service.records import User

router = APIRouter(prefix="/v1", tags=["tracking"], route_class=GuardedRoute)
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
@own_body
async def aftership_webhook(
    request: Request, deps: DepsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AfterShipOut:  # fmt: skip
    """AfterShip's ``tracking_update`` webhook. Authenticated by the platform's API key, or
    by AfterShip's ``aftership-hmac-sha256`` signature when
    ``REFUNDKIT_AFTERSHIP_WEBHOOK_SECRET`` holds the webhook secret; a signed body's ``ts``
    must be at most 3 days old (AfterShip's last retry comes 2.8 days after the first try).
    At most 2 MB and 1,000 checkpoints. [platform, admin]"""
    user = None
    if credentials is not None:  # a key: known before the body is read
        user = await run_in_threadpool(key_user, deps, credentials)
    body = await capped_body(request, MAX_BODY, _too_large)
    check_depth(body)
    signed = user is None
    if user is None:
        user = await run_in_threadpool(_signed, deps, body, request.headers.get(SIGNATURE_HEADER))
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationError("the body must be AfterShip's JSON", field="body") from None
    if holds_nul(payload):
        raise ValidationError("text may not contain NUL (\\u0000) characters", field="body")
    if signed:  # a captured body replayed later is refused
        check_fresh(payload, deps.clock.now())
    batch = scans_from_webhook(payload, deps.clock.now())

    def ingest() -> int:
        return transactions.run(deps, lambda uow: tracking.ingest_scans(
            deps, uow, user, tracking.as_shipped(uow, batch.scans)))  # fmt: skip

    new = await run_in_threadpool(ingest)
    return AfterShipOut(tracking_number=batch.tracking_number, carrier=batch.carrier,
                        checkpoints=len(batch.scans) + batch.skipped, scans=len(batch.scans),
                        new=new)  # fmt: skip


def _too_large() -> BodyTooLarge:
    return BodyTooLarge("the webhook body is larger than 2 MB", field="body", limit=MAX_BODY)


def _signed(deps: Deps, body: bytes, signature: str | None) -> User:
    secret = os.environ.get(SECRET_VARIABLE, "")
    if secret and signature_matches(secret, body, signature):
        return User("aftership", Role.PLATFORM, "AfterShip webhook", "", "", None,
                    deps.clock.now())  # fmt: skip
    raise Unauthenticated(
        "send the platform's API key as 'Authorization: Bearer <key>', or set "
        f"{SECRET_VARIABLE} and let AfterShip sign the body ({SIGNATURE_HEADER})"
    )
