"""Generates ``docs/disputes.md`` from the dispute state machine table, with the same
engine-wide diagram and table as ``docs_gen`` for orders; a unit test keeps the committed
page equal to this output."""

from __future__ import annotations

from refundkit.docs_gen import REGENERATE_COMMAND
from refundkit.docs_gen import mermaid_diagram as _diagram
from refundkit.docs_gen import transitions_table as _table
from refundkit.domain.disputes.machine import DISPUTE_MACHINE
from refundkit.domain.disputes.model import DisputeStatus

_INTRO = f"""\
# Dispute lifecycle

<!-- Generated from refundkit.domain.disputes.machine.DISPUTE_MACHINE.
     Do not edit by hand: run `{REGENERATE_COMMAND}`. -->

A dispute moves through the states below (DESIGN §3). The diagram and the table come from
`DISPUTE_MACHINE`, the table the service checks every action against, builds each
dispute's `next_actions` from, and reads to know what the worker does when a dispute's
timer fires.

- **role**: `buyer`, `seller`, `agent`/`admin`, or `system` (the worker, when a deadline
  passes; the outcome then names the policy rule, e.g. `disputes.seller_answer_days`).
- **next state** `terms` means: settled on the agreed terms. With goods to send back the
  dispute goes to `awaiting_return`, then `return_in_transit` (the buyer ships it back);
  otherwise it is `resolved`, the refund leaves escrow at once and the order resumes (it
  completes and releases the rest when its own window closes; a full refund makes it
  `refunded`).
- Opening a dispute is the order's row `open_dispute` (docs/lifecycle.md): by the order's
  buyer, inside the order's dispute window, on units no other dispute (but a withdrawn
  one) covers. Several disputes may be open at once on different units of one order,
  each moving through this table on its own (offers, decision, return, escalation,
  appeal, Fast Refund and timers). The message thread and added evidence are not
  transitions.
"""


def mermaid_diagram() -> str:
    return _diagram(DISPUTE_MACHINE, DisputeStatus.AWAITING_SELLER, tuple(DisputeStatus))


def transitions_table() -> str:
    return _table(DISPUTE_MACHINE)


def disputes_markdown() -> str:
    return (
        f"{_INTRO}\n## Diagram\n\n```mermaid\n{mermaid_diagram()}\n```\n\n"
        f"## Transitions\n\n{transitions_table()}\n"
    )
