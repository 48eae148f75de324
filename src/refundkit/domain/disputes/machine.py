"""The dispute state machine as data: (state, action, role, guard) -> next state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from refundkit.domain.disputes.model import Dispute, DisputeStatus, OfferStatus
from refundkit.domain.errors import Forbidden, InvalidTransition, WindowClosed
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


A = DisputeAction
Check = Callable[[Dispute, datetime, Role], str | None]


@dataclass(frozen=True, slots=True)
class Guard:
    description: str
    check: Check
    error: type[InvalidTransition] = InvalidTransition


@dataclass(frozen=True, slots=True)
class Transition:
    source: DisputeStatus
    action: DisputeAction
    role: Role
    target: DisputeStatus | None
    """None: the target depends on the terms (a return sends it to ``awaiting_return``)."""
    guard: Guard
    due: str | None = None
    on_timeout: str | None = None


def _always(d: Dispute, now: datetime, role: Role) -> str | None:
    return None


def _before(field: str) -> Check:
    def check(d: Dispute, now: datetime, role: Role) -> str | None:
        deadline: datetime | None = getattr(d, field)
        return f"{field} passed" if deadline is not None and now >= deadline else None

    return check


def _passed(field: str) -> Check:
    def check(d: Dispute, now: datetime, role: Role) -> str | None:
        deadline: datetime | None = getattr(d, field)
        return None if deadline is not None and now >= deadline else f"{field} not reached"

    return check


def _other_sides_offer(d: Dispute, now: datetime, role: Role) -> str | None:
    latest = d.latest_offer()
    if latest is None:
        return "there is no offer to accept"
    if latest.by_role == role.value:
        return "a party cannot accept its own offer"
    return None


def _appeal_open(d: Dispute, now: datetime, role: Role) -> str | None:
    if d.appeal_until is None or now >= d.appeal_until:
        return "the appeal window is closed"
    return None


ANYTIME = Guard("always", _always)
_SELLER_WINDOW = Guard("before respond_by", _before("respond_by"), WindowClosed)
_OTHER_OFFER = Guard("the other side's latest offer is open", _other_sides_offer)
_APPEAL = Guard("within 30 days of the end, once per party", _appeal_open, WindowClosed)
_SILENCE = "the dispute is accepted as the buyer asked"
_STALL = "the dispute goes to an agent"
_TERMS: DisputeStatus | None = None

DISPUTE_TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.AWAITING_SELLER, A.ACCEPT, Role.SELLER, _TERMS, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.COUNTER_OFFER, Role.SELLER, S.NEGOTIATING, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.REJECT, Role.SELLER, S.NEGOTIATING, _SELLER_WINDOW,
               "respond_by", _SILENCE),
    Transition(S.AWAITING_SELLER, A.AUTO_ACCEPT, Role.SYSTEM, _TERMS,
               Guard("respond_by passed", _passed("respond_by"))),
    Transition(S.AWAITING_SELLER, A.WITHDRAW, Role.BUYER, S.WITHDRAWN, ANYTIME),
    Transition(S.NEGOTIATING, A.ACCEPT, Role.BUYER, _TERMS, _OTHER_OFFER,
               "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.ACCEPT, Role.SELLER, _TERMS, _OTHER_OFFER,
               "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.OFFER, Role.BUYER, S.NEGOTIATING, ANYTIME,
               "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.OFFER, Role.SELLER, S.NEGOTIATING, ANYTIME,
               "escalate_at", _STALL),
    Transition(S.NEGOTIATING, A.ESCALATE, Role.BUYER, S.ESCALATED, ANYTIME),
    Transition(S.NEGOTIATING, A.ESCALATE, Role.SELLER, S.ESCALATED, ANYTIME),
    Transition(S.NEGOTIATING, A.AUTO_ESCALATE, Role.SYSTEM, S.ESCALATED,
               Guard("escalate_at passed", _passed("escalate_at"))),
    Transition(S.NEGOTIATING, A.WITHDRAW, Role.BUYER, S.WITHDRAWN, ANYTIME),
    Transition(S.ESCALATED, A.REQUEST_EVIDENCE, Role.AGENT, S.ESCALATED, ANYTIME),
    Transition(S.ESCALATED, A.REQUEST_EVIDENCE, Role.ADMIN, S.ESCALATED, ANYTIME),
    Transition(S.ESCALATED, A.DECIDE, Role.AGENT, _TERMS, ANYTIME, "agent_due_by",
               "the case stays in the queue, flagged overdue"),
    Transition(S.ESCALATED, A.DECIDE, Role.ADMIN, _TERMS, ANYTIME, "agent_due_by",
               "the case stays in the queue, flagged overdue"),
    Transition(S.ESCALATED, A.WITHDRAW, Role.BUYER, S.WITHDRAWN, ANYTIME),
    Transition(S.AWAITING_RETURN, A.SHIP_RETURN, Role.BUYER, S.RETURN_IN_TRANSIT,
               Guard("before return_ship_by", _before("return_ship_by"), WindowClosed),
               "return_ship_by", "the dispute closes with no refund and the seller is paid"),
    Transition(S.AWAITING_RETURN, A.RETURN_LAPSED, Role.SYSTEM, S.CLOSED,
               Guard("return_ship_by passed", _passed("return_ship_by"))),
    Transition(S.RETURN_IN_TRANSIT, A.CONFIRM_RETURN, Role.SELLER, _TERMS,
               Guard("before return_confirm_by", _before("return_confirm_by"), WindowClosed),
               "return_confirm_by", "the buyer is refunded as agreed"),
    Transition(S.RETURN_IN_TRANSIT, A.RETURN_SILENCE, Role.SYSTEM, S.RESOLVED,
               Guard("return_confirm_by passed", _passed("return_confirm_by"))),
    *(
        Transition(state, A.APPEAL, role, state, _APPEAL, "appeal_until", None)
        for state in (S.RESOLVED, S.WITHDRAWN, S.CLOSED)
        for role in (Role.BUYER, Role.SELLER)
    ),
)  # fmt: skip


def find_transition(d: Dispute, action: DisputeAction, role: Role, now: datetime) -> Transition:
    rows = [t for t in DISPUTE_TRANSITIONS if t.source is d.status and t.action is action]
    if not rows:
        raise InvalidTransition(
            f"cannot {action.value} a dispute that is {d.status.value}",
            dispute_status=d.status.value,
            action=action.value,
        )
    mine = [t for t in rows if t.role is role]
    if not mine:
        raise Forbidden(f"a {role.value} may not {action.value} this dispute")
    for row in mine:
        reason = row.guard.check(d, now, role)
        if reason is None:
            return row
    guard = mine[0].guard
    raise guard.error(f"cannot {action.value}: {guard.check(d, now, role)}", action=action.value)


@dataclass(frozen=True, slots=True)
class NextAction:
    actor: Role
    action: DisputeAction
    due_by: datetime | None
    on_timeout: str | None


def next_actions(d: Dispute, now: datetime) -> list[NextAction]:
    found: list[NextAction] = []
    seen: set[tuple[Role, DisputeAction]] = set()
    for row in DISPUTE_TRANSITIONS:
        if row.source is not d.status or row.role is Role.SYSTEM:
            continue
        if (row.role, row.action) in seen or row.guard.check(d, now, row.role) is not None:
            continue
        seen.add((row.role, row.action))
        due: datetime | None = getattr(d, row.due) if row.due else None
        found.append(NextAction(row.role, row.action, due, row.on_timeout if due else None))
    return found


def has_open_offer_from(d: Dispute, role: Role) -> bool:
    return any(o.status is OfferStatus.OPEN and o.by_role == role.value for o in d.offers)
