"""What the worker does when an order's timer fires: the command of the ``system`` row
that the timer names in ``ORDER_MACHINE`` (its ``timer``)."""

from __future__ import annotations

from collections.abc import Callable

from refundkit.domain.context import Context, Outcome
from refundkit.domain.orders import extensions, lifecycle
from refundkit.domain.orders.machine import ORDER_MACHINE, OrderAction
from refundkit.domain.orders.model import Order

OrderStep = Callable[[Context, Order], Outcome]

COMMANDS: dict[OrderAction, OrderStep] = {
    OrderAction.EXPIRE: lifecycle.expire,
    OrderAction.AUTO_CANCEL: lifecycle.auto_cancel,
    OrderAction.APPROVE_CANCELLATION: lifecycle.approve_cancellation,
    OrderAction.COMPLETE: lifecycle.complete,
    OrderAction.REJECT_EXTENSION: lambda ctx, order: extensions.reject_extension(ctx, order, None),
}
"""The command that takes each action the system takes on a timer."""

STEPS: dict[str, OrderStep] = {
    kind: COMMANDS[action] for kind, action in ORDER_MACHINE.timers.items()
}
"""Timer kind -> the command it runs."""
