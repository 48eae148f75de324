"""Generates ``docs/lifecycle.md`` from the order state machine table.

The diagram and the table in that page are built from ``ORDER_TRANSITIONS``, the same
rows that decide what an order may do, so the docs cannot drift from the code: a unit test
compares the committed page with what this module produces.

Run ``python -m refundkit.docs_gen docs/lifecycle.md`` (or
``python scripts/generate_lifecycle_doc.py``) after changing the table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from refundkit.domain.orders.machine import ORDER_TRANSITIONS, Transition
from refundkit.domain.orders.model import OrderStatus

REGENERATE_COMMAND = "python scripts/generate_lifecycle_doc.py"

_INTRO = f"""\
# Order lifecycle

<!-- Generated from refundkit.domain.orders.machine.ORDER_TRANSITIONS.
     Do not edit by hand: run `{REGENERATE_COMMAND}`. -->

Every order moves through the states below. The diagram and the table are generated from
`refundkit.domain.orders.machine.ORDER_TRANSITIONS`, the same table the service uses to
decide whether an action is allowed, and to build the `next_actions` of an order.

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


def _cell(text: str | None) -> str:
    if not text:
        return "—"
    return text.replace("|", "\\|").replace("\n", " ")


def _label(row: Transition) -> str:
    return f"{row.action.value} ({row.role.value})"


def _unique(rows: Iterable[Transition]) -> list[Transition]:
    """Rows that differ only in their guard draw a single edge."""
    seen: set[tuple[str, str, str, str]] = set()
    unique: list[Transition] = []
    for row in rows:
        key = (row.source.value, row.target.value, row.action.value, row.role.value)
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _final_states(rows: Sequence[Transition]) -> list[OrderStatus]:
    sources = {row.source for row in rows}
    reached = {row.target for row in rows} | sources
    return [status for status in OrderStatus if status in reached and status not in sources]


def mermaid_diagram(rows: Sequence[Transition] = ORDER_TRANSITIONS) -> str:
    """A Mermaid ``stateDiagram-v2``: one edge per (state, action, role, next state)."""
    lines = ["stateDiagram-v2", f"    [*] --> {OrderStatus.AWAITING_PAYMENT.value}"]
    for row in _unique(rows):
        lines.append(f"    {row.source.value} --> {row.target.value} : {_label(row)}")
    for status in _final_states(rows):
        lines.append(f"    {status.value} --> [*]")
    return "\n".join(lines)


def transitions_table(rows: Sequence[Transition] = ORDER_TRANSITIONS) -> str:
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
                f"`{row.role.value}`",
                _cell(row.guard.description),
                f"`{row.target.value}`",
                f"`{row.due}`" if row.due else "—",
                _cell(row.on_timeout),
            ]
        )
        + " |"
        for row in rows
    ]
    return "\n".join(header + body)


def lifecycle_markdown() -> str:
    """The whole of ``docs/lifecycle.md``; the same table always gives the same text."""
    return (
        f"{_INTRO}\n"
        "## Diagram\n\n"
        "Edges are labelled `action (role)`.\n\n"
        f"```mermaid\n{mermaid_diagram()}\n```\n\n"
        "## Transitions\n\n"
        f"{transitions_table()}\n"
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
