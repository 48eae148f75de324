"""The dispute state machine: its table on the engine of ``refundkit.domain.machine``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from refundkit.domain.disputes import timers
from refundkit.domain.disputes.model import Dispute, DisputeStatus
from refundkit.domain.errors import ChargebackOpen, Conflict, WindowClosed
from refundkit.domain.machine import (
    ANYTIME,
    Guard,
    Machine,
    NextAction,
    OpenTarget,
    Transition,
    all_of,
)
from refundkit.domain.roles import Role

S = DisputeStatus


class DisputeAction(StrEnum):
    ACCEPT = "accept"
    COUNTER_OFFER = "counter_offer"
    REJECT = "reject"
    OFFER = "offer"
    ESCALATE = "escalate"
    WITHDRAW = "withdraw"
    REQUEST_EVIDENCE = "request_evidence"
    DECIDE = "decide"
    AUTO_ACCEPT = "auto_accept"
    AUTO_ESCALATE = "auto_escalate"
    APPEAL = "appeal"
    SHIP_RETURN = "ship_return"
    RETURN_LAPSED = "return_lapsed"
    CONFIRM_RETURN = "confirm_return"
    RETURN_SILENCE = "return_silence"
    CLOSE_FOR_CHARGEBACK = "close_for_chargeback"
    """The buyer's bank decided the same claim (a chargeback won or lost): the dispute
    closes (docs/decisions.md, "Chargebacks")."""


A = DisputeAction


@dataclass(frozen=True, slots=True)
class DisputeFacts:
    """What the dispute's guards read: the dispute and the moment."""

    dispute: Dispute
    now: datetime


Check = Callable[[DisputeFacts, Role], str | None]
DisputeTransition = Transition[DisputeStatus, DisputeAction, DisputeFacts]


def _before(field: str) -> Check:
    def check(f: DisputeFacts, role: Role) -> str | None:
        deadline: datetime | None = getattr(f.dispute, field)
        return f"{field} passed" if deadline is not None and f.now >= deadline else None

    return check


def _passed(field: str) -> Check:
    def check(f: DisputeFacts, role: Role) -> str | None:
        deadline: datetime | None = getattr(f.dispute, field)
        return None if deadline is not None and f.now >= deadline else f"{field} not reached"

    return check


def _other_sides_offer(f: DisputeFacts, role: Role) -> str | None:
    latest = f.dispute.latest_offer()
    if latest is None:
        return "there is no offer to accept"
    if latest.by_role == role.value:
        return "a party cannot accept its own offer"
    return None


def _appeal_open(f: DisputeFacts, role: Role) -> str | None:
    if f.dispute.appeal_until is None or f.now >= f.dispute.appeal_until:
        return "the appeal window is closed"
    return None


def _not_appealed(f: DisputeFacts, role: Role) -> str | None:
    if f.dispute.appealed:
        return "this dispute was already appealed; a dispute is appealed once"
    return None


def _not_suspended(f: DisputeFacts, role: Role) -> str | None:
    chargeback = f.dispute.open_chargeback_id
    if chargeback is None:
        return None
    return (f"chargeback {chargeback} is open at the buyer's bank: the dispute is suspended "
            "until the bank decides, then it closes")  # fmt: skip


NO_CHARGEBACK = Guard(
    "no chargeback open on the order", _not_suspended, ChargebackOpen,
    fields_of=lambda f: {"chargeback_id": f.dispute.open_chargeback_id or ""},
)  # fmt: skip
"""While the buyer's bank decides the payment nobody moves the dispute
(``domain/chargebacks/suspension.py``): every row a person takes holds this guard first
but ``request_evidence``, which moves nothing."""
_MOVES_NOTHING = frozenset({DisputeAction.REQUEST_EVIDENCE})

_SELLER_WINDOW = Guard("before respond_by", _before("respond_by"), WindowClosed)
_OTHER_OFFER = Guard("the other side's latest offer is open", _other_sides_offer)
_APPEAL = all_of(
    "within 30 days of the end, once per dispute (by either party)",
    Guard("within 30 days of the end", _appeal_open, WindowClosed),
    Guard("not appealed yet", _not_appealed, Conflict),
)
_SILENCE = "the dispute is accepted as the buyer asked"
_STALL = "the dispute goes to an agent"
_TERMS: DisputeStatus | None = None
"""Settled on the agreed terms: ``awaiting_return`` with goods to send back, else
``resolved``."""
B, SL, AG, AD, SY = Role.BUYER, Role.SELLER, Role.AGENT, Role.ADMIN, Role.SYSTEM


def _closed_for_chargeback(state: DisputeStatus) -> DisputeTransition:
    return Transition(state, A.CLOSE_FOR_CHARGEBACK, (SY,), S.CLOSED, ANYTIME)


def _suspendable(row: DisputeTransition) -> DisputeTransition:
    """A person's row holds ``NO_CHARGEBACK`` before its own guard; the system's rows (the
    timers, which skip while suspended, and the close by the bank's decision) do not."""
    if Role.SYSTEM in row.roles or row.action in _MOVES_NOTHING:
        return row
    if row.guard is ANYTIME:
        return replace(row, guard=NO_CHARGEBACK)
    both = all_of(f"{NO_CHARGEBACK.description}; {row.guard.description}", NO_CHARGEBACK,
                  row.guard)  # fmt: skip
    return replace(row, guard=both)


_TABLE: tuple[DisputeTransition, ...] = (
    Transition(S.AWAITING_SELLER, A.ACCEPT, (SL,), _TERMS, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.COUNTER_OFFER, (SL,), S.NEGOTIATING, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.REJECT, (SL,), S.NEGOTIATING, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.AUTO_ACCEPT, (SY,), _TERMS,
               Guard("respond_by passed", _passed("respond_by")), timer=timers.SELLER_SILENCE),
    Transition(S.AWAITING_SELLER, A.WITHDRAW, (B,), S.WITHDRAWN, ANYTIME),
    Transition(S.NEGOTIATING, A.ACCEPT, (B, SL), _TERMS, _OTHER_OFFER, "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.OFFER, (B, SL), S.NEGOTIATING, ANYTIME, "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.ESCALATE, (B, SL), S.ESCALATED, ANYTIME),
    Transition(S.NEGOTIATING, A.AUTO_ESCALATE, (SY,), S.ESCALATED,
               Guard("escalate_at passed", _passed("escalate_at")), timer=timers.AUTO_ESCALATE),
    Transition(S.NEGOTIATING, A.WITHDRAW, (B,), S.WITHDRAWN, ANYTIME),
    Transition(S.ESCALATED, A.REQUEST_EVIDENCE, (AG, AD), S.ESCALATED, ANYTIME),
    Transition(S.ESCALATED, A.DECIDE, (AG, AD), _TERMS, ANYTIME, "agent_due_by",
               "the case stays in the queue, flagged overdue"),
    Transition(S.ESCALATED, A.WITHDRAW, (B,), S.WITHDRAWN, ANYTIME),
    Transition(S.AWAITING_RETURN, A.SHIP_RETURN, (B,), S.RETURN_IN_TRANSIT,
               Guard("before return_ship_by", _before("return_ship_by"), WindowClosed),
               "return_ship_by", "the dispute closes with no refund and the seller is paid"),
    Transition(S.AWAITING_RETURN, A.RETURN_LAPSED, (SY,), S.CLOSED,
               Guard("return_ship_by passed", _passed("return_ship_by")),
               timer=timers.RETURN_LAPSE),
    Transition(S.RETURN_IN_TRANSIT, A.CONFIRM_RETURN, (SL,), _TERMS,
               Guard("before return_confirm_by", _before("return_confirm_by"), WindowClosed),
               "return_confirm_by", "the buyer is refunded as agreed"),
    Transition(S.RETURN_IN_TRANSIT, A.RETURN_SILENCE, (SY,), S.RESOLVED,
               Guard("return_confirm_by passed", _passed("return_confirm_by")),
               timer=timers.RETURN_SILENCE),
    *(
        Transition(state, A.APPEAL, (B, SL), state, _APPEAL, "appeal_until", None)
        for state in (S.RESOLVED, S.WITHDRAWN, S.CLOSED)
    ),
    *(
        _closed_for_chargeback(state)
        for state in (S.AWAITING_SELLER, S.NEGOTIATING, S.ESCALATED, S.AWAITING_RETURN,
                      S.RETURN_IN_TRANSIT)
    ),
)  # fmt: skip
_ROWS = tuple(_suspendable(row) for row in _TABLE)


def _deadline(facts: DisputeFacts, name: str) -> datetime | None:
    due: datetime | None = getattr(facts.dispute, name)
    return due


DISPUTE_MACHINE: Machine[DisputeStatus, DisputeAction, DisputeFacts] = Machine(
    noun="dispute",
    rows=_ROWS,
    state_of=lambda f: f.dispute.status,
    deadline_of=_deadline,
    open_target=OpenTarget("terms", (S.RESOLVED, S.AWAITING_RETURN)),
)
DISPUTE_TRANSITIONS = DISPUTE_MACHINE.rows


def find_transition(
    d: Dispute, action: DisputeAction, role: Role, now: datetime
) -> DisputeTransition:
    return DISPUTE_MACHINE.find_transition(DisputeFacts(d, now), action, role)


def next_actions(d: Dispute, now: datetime) -> list[NextAction[DisputeAction]]:
    return DISPUTE_MACHINE.next_actions(DisputeFacts(d, now))
