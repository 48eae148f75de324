"""Protection extensions: the buyer asks for more time, the seller answers (silence refuses)."""

from __future__ import annotations

from datetime import timedelta

from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import InvalidTransition, NotFound, ValidationError
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.orders import timers
from refundkit.domain.orders.machine import OrderAction, find_transition
from refundkit.domain.orders.model import (
    ExtensionStatus,
    Order,
    ProtectionExtension,
)
from refundkit.domain.orders.parcels import extend_parcels
from refundkit.domain.reminders import window_timers
from refundkit.domain.rules import Rule


def _event(ctx: Context, order: Order, kind: str, ext: ProtectionExtension) -> Event:
    data = {"extension_id": ext.id, "days": ext.days, "respond_by": ext.respond_by.isoformat()}
    return Event(kind, order.id, order.id, ctx.now, ctx.actor.role, ctx.actor.id, data)


def request_extension(ctx: Context, order: Order, days: int) -> tuple[ProtectionExtension, Outcome]:
    find_transition(order, OrderAction.REQUEST_EXTENSION, ctx.actor.role, ctx.now, ctx.policy)
    room = ctx.policy.protection.extension_cap_days - order.extension_days_granted
    if isinstance(days, bool) or not 1 <= days <= room:
        raise ValidationError(
            f"days must be between 1 and {room} (the cap of "
            f"{ctx.policy.protection.extension_cap_days} days in all)",
            field="days",
        )
    ext = ProtectionExtension(
        id=ctx.ids.new("ext"),
        days=days,
        status=ExtensionStatus.PENDING,
        requested_at=ctx.now,
        respond_by=ctx.now + ctx.policy.protection.extension_answer,
    )
    order.extensions.append(ext)
    return ext, Outcome(
        events=[_event(ctx, order, "order.protection_extension_requested", ext)],
        timers=[TimerRequest(timers.EXTENSION_SILENCE, order.id, ext.respond_by)],
    )


def _pending(order: Order, extension_id: str | None) -> ProtectionExtension:
    pending = order.pending_extension
    if extension_id is not None and order.extension(extension_id) is None:
        raise NotFound(f"no extension {extension_id} on this order")
    if pending is None or (extension_id is not None and pending.id != extension_id):
        raise InvalidTransition("this extension request is no longer pending")
    return pending


def approve_extension(ctx: Context, order: Order, extension_id: str) -> Outcome:
    ext = _pending(order, extension_id)
    find_transition(order, OrderAction.APPROVE_EXTENSION, ctx.actor.role, ctx.now, ctx.policy)
    ext.status = ExtensionStatus.APPROVED
    ext.decided_at = ctx.now
    order.extension_days_granted += ext.days
    d = order.deadlines
    assert d.delivery_deadline is not None
    d.delivery_deadline += timedelta(days=ext.days)
    d.dispute_closes_at = d.delivery_deadline
    extend_parcels(order, ext.days)
    return Outcome(
        events=[_event(ctx, order, "order.protection_extension_approved", ext)],
        timers=window_timers(ctx, order),
    )


def reject_extension(ctx: Context, order: Order, extension_id: str | None) -> Outcome:
    """By the seller, or by the policy (``extension_id`` None) when the seller kept silent."""
    ext = _pending(order, extension_id)
    find_transition(order, OrderAction.REJECT_EXTENSION, ctx.actor.role, ctx.now, ctx.policy)
    ext.status = ExtensionStatus.REJECTED
    ext.decided_at = ctx.now
    event = _event(ctx, order, "order.protection_extension_rejected", ext)
    if extension_id is None:
        event.data["rule"] = Rule.EXTENSION_ANSWER
    return Outcome(events=[event])
