"""What the worker does when a dispute's timer fires: the command of the ``system`` row
that the timer names in ``DISPUTE_MACHINE`` (its ``timer``)."""

from __future__ import annotations

from collections.abc import Callable

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import commands, returns
from refundkit.domain.disputes.machine import DISPUTE_MACHINE, DisputeAction
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.orders.model import Order

DisputeStep = Callable[[Context, Dispute, Order], Outcome]

COMMANDS: dict[DisputeAction, DisputeStep] = {
    DisputeAction.AUTO_ACCEPT: commands.accept,
    DisputeAction.AUTO_ESCALATE: lambda ctx, d, o: commands.escalate(ctx, d, o.buyer_country),
    DisputeAction.RETURN_LAPSED: returns.return_lapsed,
    DisputeAction.RETURN_SILENCE: lambda ctx, d, o: returns.confirm_return(ctx, d, o, "as_sent"),
}
"""The command that takes each action the system takes on a timer."""

STEPS: dict[str, tuple[DisputeAction, DisputeStep]] = {
    kind: (action, COMMANDS[action]) for kind, action in DISPUTE_MACHINE.timers.items()
}
"""Timer kind -> the action it takes and the command that takes it."""
