"""Generates ``docs/chargebacks.md`` from the chargeback state machine table, with the same
engine-wide diagram and table as ``docs_gen`` for orders; a unit test keeps the committed
page equal to this output."""

from __future__ import annotations

from refundkit.docs_gen import REGENERATE_COMMAND
from refundkit.docs_gen import mermaid_diagram as _diagram
from refundkit.docs_gen import transitions_table as _table
from refundkit.domain.chargebacks.machine import CHARGEBACK
from refundkit.domain.chargebacks.model import ChargebackStatus

_INTRO = f"""\
# Chargeback lifecycle

<!-- Generated from refundkit.domain.chargebacks.machine.CHARGEBACK.
     Do not edit by hand: run `{REGENERATE_COMMAND}`. -->

A chargeback is the buyer asking the bank, not refundkit, to reverse the payment. Only the
payment provider moves it (every row is the `system`'s): its webhooks
(`POST /v1/psp-webhooks/stripe`, Stripe's `charge.dispute.*` events) or, in sandbox mode,
the platform standing in for the bank (`POST /v1/sandbox/orders/{{id}}/chargeback`,
`POST /v1/sandbox/chargebacks/{{id}}/close`). A chargeback opens as an `inquiry` (nothing
withdrawn, the order stays refundable) or straight as `needs_response` (the money and the
fee withdrawn). What each state does to the order, the dispute and the books is in
docs/decisions.md, "Chargebacks".
"""


def mermaid_diagram() -> str:
    return _diagram(CHARGEBACK, ChargebackStatus.INQUIRY, tuple(ChargebackStatus))


def chargebacks_markdown() -> str:
    return (
        f"{_INTRO}\n## Diagram\n\n```mermaid\n{mermaid_diagram()}\n```\n\n"
        f"## Transitions\n\n{_table(CHARGEBACK)}\n"
    )
