"""Who may see which order: a foreign id answers exactly like an unknown one."""

from __future__ import annotations

from refundkit.domain.context import Actor
from refundkit.domain.errors import NotFound
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User

SEES_EVERYTHING = frozenset({Role.PLATFORM, Role.AGENT, Role.ADMIN})


def actor_of(user: User) -> Actor:
    return Actor(user.role, user.id)


def may_see(user: User, order: Order) -> bool:
    if user.role in SEES_EVERYTHING:
        return True
    return user.id in (order.buyer_id, order.seller_id) and (
        (user.role is Role.BUYER and user.id == order.buyer_id)
        or (user.role is Role.SELLER and user.id == order.seller_id)
    )


def visible_order(uow: UnitOfWork, user: User, order_id: str, *, for_update: bool = False) -> Order:
    order = uow.orders.get(order_id, for_update=for_update)
    if order is None or not may_see(user, order):
        raise NotFound(f"no order {order_id}")
    return order
