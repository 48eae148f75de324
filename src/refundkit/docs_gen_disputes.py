"""Generates ``docs/disputes.md`` from the dispute state machine table, as ``docs_gen``
does for orders; a unit test keeps the committed page equal to this output."""

from __future__ import annotations

from refundkit.domain.disputes.machine import DISPUTE_TRANSITIONS, Transition
from refundkit.domain.disputes.model import DisputeStatus

_INTRO = """\
# Dispute lifecycle

<!-- Generated from refundkit.domain.disputes.machine.DISPUTE_TRANSITIONS.
     Do not edit by hand: run `python scripts/generate_lifecycle_doc.py`. -->

A dispute moves through the states below (DESIGN §3). The diagram and the table come from
`DISPUTE_TRANSITIONS`, the table the service checks every action against and builds each
dispute's `next_actions` from.

- **role**: `buyer`, `seller`, `agent`/`admin`, or `system` (the worker, when a deadline
  passes; the outcome then names the policy rule, e.g. `disputes.seller_answer_days`).
- **next state** `terms` means: settled on the agreed terms. With goods to send back the
  dispute goes to `awaiting_return`, then `return_in_transit` (the buyer ships it back);
  otherwise it is `resolved`, the refund leaves escrow at once and the order resumes (it
  completes and releases the rest when its own window closes; a full refund makes it
  `refunded`).
- Opening (by the order's buyer, inside the order's dispute window, one open dispute per
  order, a second only after a withdrawal) and the message thread are not transitions.
"""


def _target(row: Transition) -> str:
    return row.target.value if row.target else "terms"


def mermaid_diagram() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {DisputeStatus.AWAITING_SELLER.value}"]
    seen: set[tuple[str, str, str, str]] = set()
    for row in DISPUTE_TRANSITIONS:
        targets = (
            [row.target.value]
            if row.target
            else [DisputeStatus.RESOLVED.value, DisputeStatus.AWAITING_RETURN.value]
        )
        for target in targets:
            key = (row.source.value, target, row.action.value, row.role.value)
            if key not in seen:
                seen.add(key)
                lines.append(f"    {key[0]} --> {target} : {key[2]} ({key[3]})")
    return "\n".join(lines)


def transitions_table() -> str:
    rows = [
        "| state | action | role | guard | next state | due | on timeout |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in DISPUTE_TRANSITIONS:
        rows.append(
            f"| `{row.source.value}` | `{row.action.value}` | `{row.role.value}` | "
            f"{row.guard.description} | `{_target(row)}` | "
            f"{f'`{row.due}`' if row.due else '—'} | {row.on_timeout or '—'} |"
        )
    return "\n".join(rows)


def disputes_markdown() -> str:
    return (
        f"{_INTRO}\n## Diagram\n\n```mermaid\n{mermaid_diagram()}\n```\n\n"
        f"## Transitions\n\n{transitions_table()}\n"
    )
