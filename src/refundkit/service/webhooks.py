"""Webhooks through the outbox (DESIGN §6).

Every state change writes its events in the same transaction (the outbox). The relay turns
each new event into one delivery per endpoint that wants it; the sender leases due
deliveries, posts them signed (Standard Webhooks), and books each attempt. A delivery is
retried with backoff for three days; one that still fails is given up and its endpoint
disabled, with an event saying so. A worker that dies mid-send loses nothing: its lease runs
out and another worker sends again, under the same ``webhook-id``.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from refundkit.domain.errors import NotFound, ValidationError
from refundkit.domain.events import Event
from refundkit.domain.roles import Role
from refundkit.domain.webhook_targets import TargetRules, literal_refusal
from refundkit.domain.webhooks import (
    LEASE,
    DeliveryStatus,
    EndpointStatus,
    WebhookEndpoint,
    check_endpoint,
    next_attempt,
)
from refundkit.service.deps import Deps
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent, User
from refundkit.service.transactions import run
from refundkit.service.webhook_records import (
    Attempt,
    Delivery,
    DueDelivery,
    Outgoing,
    WebhookSender,
)

RELAY_BATCH = 500
SEND_BATCH = 32
"""Sent concurrently, at most 8 at once to one endpoint: a batch's worst case (four rounds of
15 s timeouts) ends well inside its two-minute lease."""
MANAGES_WEBHOOKS = frozenset({Role.PLATFORM, Role.ADMIN})


def _require_manager(user: User) -> None:
    if user.role not in MANAGES_WEBHOOKS:
        raise NotFound("no such endpoint for this key")


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def create_endpoint(
    deps: Deps, uow: UnitOfWork, user: User, url: str, events: Sequence[str]
) -> WebhookEndpoint:
    _require_manager(user)
    url, patterns = check_endpoint(url, events)
    _check_target(deps, url)
    endpoint = WebhookEndpoint(deps.ids.new("we"), url, patterns, new_secret(),
                               EndpointStatus.ENABLED, deps.clock.now())  # fmt: skip
    uow.webhooks.add_endpoint(endpoint)
    return endpoint


def _check_target(deps: Deps, url: str) -> None:
    """Outside the sandbox no loopback, private, link-local or metadata host (SSRF); the
    sender checks again at each delivery, on the address it connects to. The sandbox does
    not resolve names here (no DNS wait for a test's made-up host): its deliveries do."""
    if deps.webhook_targets is not None:
        why = deps.webhook_targets.refusal(url, resolve=not deps.sandbox)
    else:
        why = literal_refusal(url, TargetRules(allow_loopback=deps.sandbox))
    if why is not None:
        raise ValidationError(
            f"url may not be called: {why}. Webhooks go to public addresses only; "
            "REFUNDKIT_WEBHOOK_ALLOW_PRIVATE lists private receivers",
            field="url",
        )


def list_endpoints(uow: UnitOfWork, user: User) -> list[WebhookEndpoint]:
    _require_manager(user)
    return uow.webhooks.endpoints()


def get_endpoint(uow: UnitOfWork, user: User, endpoint_id: str) -> WebhookEndpoint:
    _require_manager(user)
    found = uow.webhooks.get_endpoint(endpoint_id)
    if found is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return found


def enable_endpoint(uow: UnitOfWork, user: User, endpoint_id: str) -> WebhookEndpoint:
    get_endpoint(uow, user, endpoint_id)
    uow.webhooks.set_endpoint_status(endpoint_id, EndpointStatus.ENABLED, None)
    return get_endpoint(uow, user, endpoint_id)


def list_deliveries(
    uow: UnitOfWork, user: User, endpoint_id: str, *, starting_after: int | None, limit: int,
    ending_before: int | None = None,
) -> tuple[list[Delivery], bool]:  # fmt: skip
    get_endpoint(uow, user, endpoint_id)
    found = uow.webhooks.deliveries(endpoint_id, starting_after=starting_after, limit=limit + 1,
                                    ending_before=ending_before)  # fmt: skip
    return window(found, limit, backwards=ending_before is not None)


def redeliver(deps: Deps, uow: UnitOfWork, user: User | None, delivery_id: int) -> Delivery:
    """Send a delivery again now, whatever became of it (``user`` None: the operator's CLI)."""
    if user is not None:
        _require_manager(user)
    if not uow.webhooks.redeliver(delivery_id, deps.clock.now()):
        raise NotFound(f"no webhook delivery {delivery_id}")
    found = uow.webhooks.delivery(delivery_id)
    assert found is not None
    return found


def relay(deps: Deps) -> int:
    """Fan new events out to the endpoints that want them; answers how many events."""

    def work(uow: UnitOfWork) -> int:
        events = uow.webhooks.unpublished_events(RELAY_BATCH)
        if not events:
            return 0
        endpoints = uow.webhooks.endpoints(enabled_only=True)
        pairs = [(ep.id, ev.id) for ev in events for ep in endpoints if ep.wants(ev.type)]
        uow.webhooks.publish([ev.id for ev in events], pairs, deps.clock.now())
        return len(events)

    return run(deps, work)


def payload_of(event: StoredEvent) -> str:
    """The body sent: the event's stable id, its type, when, what it is about, and (for
    ``order.*``, ``dispute.*``, ``return.*`` and ``refund.*``) the object itself as the API
    showed it when the event's transaction committed."""
    body: dict[str, Any] = {
        "id": event.id,
        "type": event.type,
        "created_at": event.occurred_at.isoformat(),
        "data": {
            "object_id": event.subject_id,
            "order_id": event.order_id,
            "actor": {"role": event.actor_role, "id": event.actor_id},
            **event.data,
        },
    }
    if event.object is not None:
        body["data"]["object"] = event.object
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def send_due(deps: Deps, sender: WebhookSender) -> int:
    """Lease a batch of due deliveries, send them concurrently outside any transaction, and
    book every result in one transaction (one statement for the attempts, one for the
    deliveries that succeeded). A worker that dies before booking loses nothing: the lease
    runs out and the batch is sent again under the same ``webhook-id``s."""
    now = deps.clock.now()
    due = run(deps, lambda uow: uow.webhooks.claim_due(now, now + LEASE, SEND_BATCH))
    if not due:
        return 0
    results = sender.send_many([
        Outgoing(d.endpoint.url, d.endpoint.secret, d.event.id, payload_of(d.event)) for d in due
    ])  # fmt: skip
    attempts = [Attempt(d.id, now, r.status_code, r.duration_ms, r.error)
                for d, r in zip(due, results, strict=True)]  # fmt: skip
    run(deps, lambda uow: _book_all(deps, uow, due, attempts))
    return len(due)


def _book_all(deps: Deps, uow: UnitOfWork, due: Sequence[DueDelivery],
              attempts: Sequence[Attempt]) -> None:  # fmt: skip
    uow.webhooks.record_attempts(attempts)
    now = deps.clock.now()
    done = [(d.id, d.attempt) for d, a in zip(due, attempts, strict=True) if a.succeeded]
    uow.webhooks.finish_succeeded(done, now)
    for delivery, attempt in zip(due, attempts, strict=True):
        if not attempt.succeeded:
            _book_failure(deps, uow, delivery)


def _book_failure(deps: Deps, uow: UnitOfWork, delivery: DueDelivery) -> None:
    now = deps.clock.now()
    retry_at = next_attempt(delivery.attempt, delivery.first_attempt_at, now)
    if retry_at is not None:
        uow.webhooks.finish(delivery.id, delivery.attempt, DeliveryStatus.PENDING,
                            next_attempt_at=retry_at, delivered_at=None)  # fmt: skip
        return
    if uow.webhooks.finish(delivery.id, delivery.attempt, DeliveryStatus.FAILED,
                           next_attempt_at=now, delivered_at=None):  # fmt: skip
        _disable(uow, delivery.endpoint, now, delivery)


def _disable(uow: UnitOfWork, endpoint: WebhookEndpoint, now: datetime,
             delivery: DueDelivery) -> None:  # fmt: skip
    reason = (f"delivery {delivery.id} of event {delivery.event.id} failed every attempt "
              f"for 3 days")  # fmt: skip
    if uow.webhooks.set_endpoint_status(endpoint.id, EndpointStatus.DISABLED, reason):
        uow.events.add([Event("webhook_endpoint.disabled", endpoint.id, None, now, Role.SYSTEM,
                              None, {"url": endpoint.url, "reason": reason})])  # fmt: skip
