"""The chargeback's table on the one state-machine engine (``domain/machine.py``).

Only the payment provider moves a chargeback (the bank decides; refundkit answers with
evidence): every row is the ``system``'s, driven by the provider's events or, in sandbox
mode, by the platform standing in for the bank."""

from __future__ import annotations

from dataclasses import dataclass

from refundkit.domain.chargebacks.model import Chargeback, ChargebackAction, ChargebackStatus
from refundkit.domain.machine import ANYTIME, Machine, Transition
from refundkit.domain.roles import Role

C = ChargebackStatus
A = ChargebackAction
BANK = (Role.SYSTEM,)


@dataclass(frozen=True, slots=True)
class ChargebackFacts:
    chargeback: Chargeback


def _row(source: C, action: A, target: C) -> Transition[C, A, ChargebackFacts]:
    return Transition(source, action, BANK, target, ANYTIME)


CHARGEBACK: Machine[C, A, ChargebackFacts] = Machine(
    noun="chargeback",
    rows=(
        _row(C.INQUIRY, A.ESCALATE, C.NEEDS_RESPONSE),
        _row(C.INQUIRY, A.CLOSE_INQUIRY, C.INQUIRY_CLOSED),
        _row(C.NEEDS_RESPONSE, A.RESPOND, C.UNDER_REVIEW),
        _row(C.NEEDS_RESPONSE, A.WIN, C.WON),
        _row(C.NEEDS_RESPONSE, A.LOSE, C.LOST),
        _row(C.UNDER_REVIEW, A.WIN, C.WON),
        _row(C.UNDER_REVIEW, A.LOSE, C.LOST),
    ),
    state_of=lambda facts: facts.chargeback.status,
    deadline_of=lambda facts, name: None,
)


def move(chargeback: Chargeback, action: ChargebackAction) -> None:
    """Take ``action`` if the table allows it now (else its error), moving the chargeback."""
    row = CHARGEBACK.find_transition(ChargebackFacts(chargeback), action, Role.SYSTEM)
    assert row.target is not None
    chargeback.status = row.target
