"""The payment provider's webhooks: ``POST /v1/psp-webhooks/stripe``.

No API key: Stripe authenticates itself by signing the body. Each event is stored once by
its id and processed in the same transaction; Stripe is answered 200 for a new event and
for a replay alike (so it stops sending), 400 for a body that does not verify."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from refundkit.adapters.payments.stripe_webhooks import SIGNATURE_HEADER, verified_event
from refundkit.entrypoints.api.auth import DepsDep
from refundkit.entrypoints.api.bodies import capped_body, check_depth
from refundkit.entrypoints.api.guards import GuardedRoute, own_body
from refundkit.service import psp_events, transactions

router = APIRouter(prefix="/v1", tags=["payment provider"], route_class=GuardedRoute)
SECRET_VARIABLE = "REFUNDKIT_STRIPE_WEBHOOK_SECRET"  # noqa: S105 (a variable name)


class PspEventOut(BaseModel):
    id: str
    type: str
    new: bool
    """False: the event was received before; nothing changed this time."""
    result: str
    """What refundkit did with it (or why it ignored it)."""


@router.post("/psp-webhooks/stripe", response_model=PspEventOut)
@own_body
async def stripe_webhook(request: Request, deps: DepsDep) -> PspEventOut:
    """Stripe's events (refunds settled or failed; disputes opened, updated, closed, funds
    withdrawn or reinstated), signed with the endpoint's secret in ``Stripe-Signature``
    and at most five minutes old. [Stripe]"""
    body = await capped_body(request)
    check_depth(body)  # before any parser sees it, as at every other door
    event = verified_event(
        body, request.headers.get(SIGNATURE_HEADER), os.environ.get(SECRET_VARIABLE)
    )
    new, result = await run_in_threadpool(
        transactions.run, deps, lambda uow: psp_events.receive(deps, uow, event)
    )
    return PspEventOut(id=event.id, type=event.type, new=new, result=result)
