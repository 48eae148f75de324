"""Refunds the platform or an agent makes outside any dispute (a goodwill or support refund).

They follow the same money rules as every refund: never past what is still refundable, split
over the order's lines, out of escrow while it holds the money and clawed back from the seller
after release. An order with a dispute open is refunded through that dispute instead.
"""

from __future__ import annotations

from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import Forbidden, InvalidTransition, ValidationError
from refundkit.domain.money import Money
from refundkit.domain.orders.escrow import refund_buyer
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.roles import Role

REFUNDS_BY = frozenset({Role.PLATFORM, Role.AGENT, Role.ADMIN})
REFUNDABLE_STATES = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED,
     # A cancelled or refunded order whose refund the PSP refused holds the money again:
     # the platform refunds it anew (the amount check keeps it to what is left).
     OrderStatus.CANCELLED, OrderStatus.REFUNDED}
)  # fmt: skip


def refund_by_platform(ctx: Context, order: Order, amount: Money, reason: str) -> Outcome:
    """Refund ``amount`` now. Refunding all that is left marks the order refunded (its
    pending deadlines then find nothing to do)."""
    if ctx.actor.role not in REFUNDS_BY:
        raise Forbidden("only the platform or an agent refunds outside a dispute")
    if not reason.strip():
        raise ValidationError("say why the order is refunded", field="reason")
    if order.status not in REFUNDABLE_STATES:
        raise InvalidTransition(f"an order that is {order.status.value} cannot be refunded")
    if order.paid_at is None:
        # Cancelled before it was paid: there is no money to give back.
        raise InvalidTransition("an order that was never paid cannot be refunded")
    if order.disputed:
        raise InvalidTransition(
            f"{', '.join(order.dispute_holds)}: open on this order; refund through the dispute"
        )
    outcome = refund_buyer(ctx, order, amount, reason.strip())
    if order.refundable == 0:
        order.status = OrderStatus.REFUNDED
    return outcome
