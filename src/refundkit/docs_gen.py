"""Generates ``docs/lifecycle.md`` from the order state machine table, and the diagram and
table of any machine on ``refundkit.domain.machine`` (``docs_gen_disputes`` uses them).

The diagram and the table in that page are built from ``ORDER_MACHINE``, the same rows
that decide what an order may do, so the docs cannot drift from the code: a unit test
compares the committed page with what this module produces.

Run ``python -m refundkit.docs_gen docs/lifecycle.md`` (or
``python scripts/generate_lifecycle_doc.py``) after changing the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from refundkit.domain.machine import Machine, Transition
from refundkit.domain.orders.machine import ORDER_MACHINE
from refundkit.domain.orders.model import OrderStatus, ParcelStatus
from refundkit.domain.orders.parcels import PARCEL_MACHINE

REGENERATE_COMMAND = "python scripts/generate_lifecycle_doc.py"

_INTRO = f"""\
# Order lifecycle

<!-- Generated from refundkit.domain.orders.machine.ORDER_MACHINE.
     Do not edit by hand: run `{REGENERATE_COMMAND}`. -->

Every order moves through the states below. The diagram and the table are generated from
`refundkit.domain.orders.machine.ORDER_MACHINE`, the same table the service uses to
decide whether an action is allowed, to build the `next_actions` of an order, and to
pick what the worker does when an order's timer fires.

- **role** is who may take the action: `platform` (the marketplace's back end),
  `buyer`, `seller`, or `system` (the worker, acting when a deadline passes).
- **guard** is the condition that must hold at that moment. When several rows share a
  state, an action and a role, the first row whose guard holds is taken.
- **due** names the deadline on the order (a field of `deadlines`; `extension` is the
  answer deadline of the pending protection extension) by which the actor should act, and
  **on timeout** says what the worker does when nobody acts in time.

A state with no row leaving it is final. The status `refunded` (fully refunded) has no
row in this table.
"""


_PARCELS = """\
## Parcels

An order ships in one or more parcels (`POST /v1/orders/{id}/shipments` names the units,
`/ship` sends everything left). Each parcel is a table of its own, generated from
`refundkit.domain.orders.parcels.PARCEL_MACHINE`: a delivered scan under its carrier and
number, dated after its own shipment, delivers it. The order is `delivered` once every
parcel is and nothing is left to ship (or when the buyer confirms receipt); it is *late*
while any parcel is past its `delivery_deadline` undelivered. At `ship_by`, units not yet
shipped are cancelled and refunded with their share of shipping, and the parcels go on.

## Several disputes on one order

Several disputes may be open at once on different units of an order (never two on one
unit). The order has no state of its own for it: it is *disputed* while at least one
dispute holds it, and each holds its units' money (price and shipping share) in escrow.
The two `complete` rows of each state say what the order's timer does: with no dispute
open the order completes and the seller is paid; with disputes open the money they do
not hold goes to the seller on time and the order stays where it is. When the last
dispute ends, the order completes (at once if its time has come, else when it comes);
each dispute ending after that time sends what it held and did not refund to the seller.
"""


AnyMachine = Machine[Any, Any, Any]
AnyRow = Transition[Any, Any, Any]


def _cell(text: str | None) -> str:
    if not text:
        return "—"
    return text.replace("|", "\\|").replace("\n", " ")


def _edges(machine: AnyMachine) -> list[tuple[str, str, str, str]]:
    """(source, next state, action, role), once each: rows that differ only in their guard
    draw a single edge, and a row with ``roles`` draws one edge per role."""
    seen: list[tuple[str, str, str, str]] = []
    for row in machine.rows:
        for role in row.roles:
            for target in machine.targets(row):
                edge = (row.source.value, target.value, row.action.value, role.value)
                if edge not in seen:
                    seen.append(edge)
    return seen


def final_states(machine: AnyMachine, states: Iterable[StrEnum]) -> list[StrEnum]:
    """States reached with no row leading elsewhere (a row back to the same state, such as
    an appeal, is no way out)."""
    ways_out = {
        row.source for row in machine.rows if any(t is not row.source for t in machine.targets(row))
    }
    reached = {t for row in machine.rows for t in machine.targets(row)}
    return [s for s in states if s in reached and s not in ways_out]


def mermaid_diagram(
    machine: AnyMachine = ORDER_MACHINE,
    initial: StrEnum = OrderStatus.AWAITING_PAYMENT,
    states: Sequence[StrEnum] = tuple(OrderStatus),
) -> str:
    """A Mermaid ``stateDiagram-v2``: one edge per (state, action, role, next state)."""
    lines = ["stateDiagram-v2", f"    [*] --> {initial.value}"]
    for source, target, action, role in _edges(machine):
        lines.append(f"    {source} --> {target} : {action} ({role})")
    for status in final_states(machine, states):
        lines.append(f"    {status.value} --> [*]")
    return "\n".join(lines)


def _target(machine: AnyMachine, row: AnyRow) -> str:
    if row.target is not None:
        return f"`{row.target.value}`"
    assert machine.open_target is not None
    return f"`{machine.open_target.label}`"


def transitions_table(machine: AnyMachine = ORDER_MACHINE) -> str:
    header = [
        "| state | action | role | guard | next state | due | on timeout |",
        "|---|---|---|---|---|---|---|",
    ]
    body = [
        "| "
        + " | ".join(
            [
                f"`{row.source.value}`",
                f"`{row.action.value}`",
                ", ".join(f"`{role.value}`" for role in row.roles),
                _cell(row.guard.description),
                _target(machine, row),
                f"`{row.due}`" if row.due else "—",
                _cell(row.on_timeout),
            ]
        )
        + " |"
        for row in machine.rows
    ]
    return "\n".join(header + body)


def lifecycle_markdown() -> str:
    """The whole of ``docs/lifecycle.md``; the same table always gives the same text."""
    parcel_diagram = mermaid_diagram(PARCEL_MACHINE, ParcelStatus.IN_TRANSIT, tuple(ParcelStatus))
    return (
        f"{_INTRO}\n"
        "## Diagram\n\n"
        "Edges are labelled `action (role)`.\n\n"
        f"```mermaid\n{mermaid_diagram()}\n```\n\n"
        "## Transitions\n\n"
        f"{transitions_table()}\n\n"
        f"{_PARCELS}\n"
        f"```mermaid\n{parcel_diagram}\n```\n\n"
        f"{transitions_table(PARCEL_MACHINE)}\n"
    )


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lifecycle_markdown(), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m refundkit.docs_gen PATH  (e.g. docs/lifecycle.md)", file=sys.stderr)
        return 2
    target = Path(args[0])
    write(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
