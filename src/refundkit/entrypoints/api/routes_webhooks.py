"""Webhook endpoints of the platform, their deliveries with every attempt, redelivery."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from refundkit.domain.errors import ValidationError
from refundkit.domain.webhooks import DeliveryStatus, EndpointStatus, WebhookEndpoint
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import IdempotencyDep, PageDep, command, page_of, query
from refundkit.service import webhooks
from refundkit.service.webhook_records import Delivery

router = APIRouter(prefix="/v1", tags=["webhooks"], route_class=GuardedRoute)


class EndpointIn(s.Body):
    url: str = Field(max_length=2000, description="Where to POST events (http or https).")
    events: list[str] = Field(
        min_length=1, max_length=50,
        description="Event types to send: an exact type (refund.succeeded), a family "
        "(order.*, dispute.*, refund.*, return.*, seller.*, webhook_endpoint.*) or * for all.",
    )  # fmt: skip


class EndpointOut(BaseModel):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    status: EndpointStatus
    disabled_reason: str | None
    created_at: datetime
    secret: str | None = Field(
        default=None,
        description="The signing secret (Standard Webhooks): shown once, when created.",
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, *, with_secret: bool = False) -> EndpointOut:
        return cls(
            id=endpoint.id, url=endpoint.url, events=list(endpoint.events),
            status=endpoint.status.value, disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at, secret=endpoint.secret if with_secret else None,
        )  # fmt: skip


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id, endpoint_id=d.endpoint_id, event_id=d.event_id, event_type=d.event_type,
            status=d.status.value, attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status.value == "pending" else None,
            delivered_at=d.delivered_at,
            attempt_log=[AttemptOut(attempted_at=a.attempted_at, status_code=a.status_code,
                                    duration_ms=a.duration_ms, error=a.error)
                         for a in d.attempt_log],
        )  # fmt: skip


class EndpointPage(s.Page[EndpointOut]):
    pass


class DeliveryPage(s.Page[DeliveryOut]):
    pass


@router.post("/webhook-endpoints", response_model=EndpointOut, status_code=201)
def create_endpoint(body: EndpointIn, deps: DepsDep, user: UserDep,
                    idem: IdempotencyDep) -> Response:  # fmt: skip
    """Register an endpoint [platform, admin]. The answer carries the signing secret once."""
    return command(
        deps, idem,
        lambda uow: webhooks.create_endpoint(deps, uow, user, body.url, body.events),
        lambda ep: EndpointOut.of(ep, with_secret=True),
        status_code=201,
        stored=lambda ep: EndpointOut.of(ep),
    )  # fmt: skip


@router.get("/webhook-endpoints", response_model=EndpointPage)
def list_endpoints(deps: DepsDep, user: UserDep, page: PageDep) -> EndpointPage:
    found = query(deps, lambda uow: webhooks.list_endpoints(uow, user))
    data, more = page_of([EndpointOut.of(ep) for ep in found], page, lambda ep: ep.id)
    return EndpointPage(data=data, has_more=more)


@router.get("/webhook-endpoints/{endpoint_id}", response_model=EndpointOut)
def get_endpoint(endpoint_id: str, deps: DepsDep, user: UserDep) -> EndpointOut:
    return EndpointOut.of(query(deps, lambda uow: webhooks.get_endpoint(uow, user, endpoint_id)))


@router.post("/webhook-endpoints/{endpoint_id}/enable", response_model=EndpointOut)
def enable_endpoint(endpoint_id: str, deps: DepsDep, user: UserDep,
                    idem: IdempotencyDep) -> Response:  # fmt: skip
    """Turn a disabled endpoint back on (its failed deliveries can then be redelivered)."""
    return command(deps, idem, lambda uow: webhooks.enable_endpoint(uow, user, endpoint_id),
                   EndpointOut.of)  # fmt: skip


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(endpoint_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> DeliveryPage:
    """Newest first, each with every attempt (status code, duration, error)."""
    after = _delivery_id(page.starting_after) if page.starting_after else None
    before = _delivery_id(page.ending_before) if page.ending_before else None
    found, more = query(deps, lambda uow: webhooks.list_deliveries(
        uow, user, endpoint_id, starting_after=after, ending_before=before,
        limit=page.limit))  # fmt: skip
    return DeliveryPage(data=[DeliveryOut.of(d) for d in found], has_more=more)


@router.post("/webhook-deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
def redeliver(delivery_id: str, deps: DepsDep, user: UserDep, idem: IdempotencyDep) -> Response:
    """Send a delivery again now (with a fresh three days of retries)."""
    number = _delivery_id(delivery_id)
    return command(deps, idem, lambda uow: webhooks.redeliver(deps, uow, user, number),
                   DeliveryOut.of)  # fmt: skip


def _delivery_id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise ValidationError("a delivery id is a positive whole number", field="delivery_id")
    return int(text)
