"""Placing an order: checking what the shop sent and fixing the first deadline."""

from __future__ import annotations

from dataclasses import dataclass, replace

from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import ValidationError
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.orders import timers
from refundkit.domain.orders.model import Address, Deadlines, Order, OrderLine, OrderStatus
from refundkit.domain.refunds import PaymentMethod

MAX_LINES = 100
MAX_QUANTITY = 10_000


@dataclass(frozen=True, slots=True)
class OrderDraft:
    buyer_id: str
    seller_id: str
    buyer_country: str
    seller_country: str
    currency: str
    lines: tuple[OrderLine, ...]
    shipping_fee: int
    payment_method: PaymentMethod
    ship_to: Address
    promised_delivery_days: int
    handling_days: int | None = None


def place_order(ctx: Context, draft: OrderDraft) -> tuple[Order, Outcome]:
    _check_draft(ctx, draft)
    handling = draft.handling_days or ctx.policy.shipping.handling_business_days
    order = Order(
        id=ctx.ids.new("ord"),
        buyer_id=draft.buyer_id,
        seller_id=draft.seller_id,
        buyer_country=draft.buyer_country,
        seller_country=draft.seller_country,
        currency=draft.currency,
        lines=[replace(line, id=ctx.ids.new("li")) for line in draft.lines],
        shipping_fee=draft.shipping_fee,
        payment_method=draft.payment_method,
        ship_to=draft.ship_to,
        promised_delivery_days=draft.promised_delivery_days,
        handling_days=handling,
        policy_version=ctx.policy.version,
        status=OrderStatus.AWAITING_PAYMENT,
        created_at=ctx.now,
        deadlines=Deadlines(pay_by=ctx.now + ctx.policy.payment.pay_within),
        line_refunds=[0] * (len(draft.lines) + 1),
    )
    assert order.deadlines.pay_by is not None
    outcome = Outcome(
        events=[
            Event(
                "order.created",
                order.id,
                order.id,
                ctx.now,
                ctx.actor.role,
                ctx.actor.id,
                {"total": order.total, "currency": order.currency},
            )
        ],
        timers=[TimerRequest(timers.EXPIRE, order.id, order.deadlines.pay_by)],
    )
    return order, outcome


def _check_draft(ctx: Context, draft: OrderDraft) -> None:
    if draft.buyer_id == draft.seller_id:
        raise ValidationError("buyer and seller must be different users", field="seller_id")
    if not draft.lines:
        raise ValidationError("an order needs at least one item", field="items")
    if len(draft.lines) > MAX_LINES:
        raise ValidationError(f"an order has at most {MAX_LINES} items", field="items")
    for index, line in enumerate(draft.lines):
        where = f"items[{index}]"
        if not line.sku.strip() or not line.title.strip():
            raise ValidationError(f"{where}: sku and title are required", field=where)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ValidationError(
                f"{where}.quantity must be between 1 and {MAX_QUANTITY}", field=where
            )
        if line.unit_price <= 0:
            raise ValidationError(f"{where}.unit_price must be greater than zero", field=where)
    if draft.shipping_fee < 0:
        raise ValidationError("shipping_fee cannot be negative", field="shipping_fee")
    max_days = ctx.policy.max_delivery_days_for(draft.ship_to.country)
    if not 1 <= draft.promised_delivery_days <= max_days:
        raise ValidationError(
            f"promised_delivery_days must be between 1 and {max_days} "
            f"for deliveries to {draft.ship_to.country}",
            field="promised_delivery_days",
        )
    max_handling = ctx.policy.shipping.handling_business_days
    if draft.handling_days is not None and not 1 <= draft.handling_days <= max_handling:
        raise ValidationError(
            f"handling_days must be between 1 and {max_handling} business days",
            field="handling_days",
        )
