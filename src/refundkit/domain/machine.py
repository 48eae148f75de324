"""One state-machine engine for every stateful thing refundkit keeps.

A machine is a table of rows: in ``source`` state, ``action`` taken by one of ``roles``
leads to ``target`` when the row's ``guard`` holds; ``due`` names the deadline the actor
has to act by and ``on_timeout`` says what happens when nobody does; a ``system`` row with
a ``timer`` is what the worker does when that timer fires (a timer kind names one action;
several rows may share it, one per state it can fire in). The same rows decide whether an
action is allowed (``find_transition``, ``allowed``), what each party may do next and by
when (``next_actions``), which command a due timer runs, and the generated pages in docs/.

Declaring a new machine (a chargeback, an order line, a parcel) takes these steps:

1. The states and the actions, each a ``StrEnum``.
2. The *facts* the guards read: any frozen value holding the subject and what the rules
   need (usually the moment and the policy), e.g.
   ``@dataclass(frozen=True) class ParcelFacts: parcel: Parcel; now: datetime``.
3. The table::

       def _delivered(f: ParcelFacts, role: Role) -> str | None:
           return None if f.parcel.delivered_at else "no delivered scan yet"

       PARCEL: Machine[ParcelStatus, ParcelAction, ParcelFacts] = Machine(
           noun="parcel",
           rows=(
               Transition(P.IN_TRANSIT, A.DELIVER, (Role.PLATFORM,), P.DELIVERED, ANYTIME),
               Transition(P.DELIVERED, A.CLOSE, (Role.SYSTEM,), P.CLOSED,
                          Guard("delivered", _delivered), timer="parcel.close"),
           ),
           state_of=lambda f: f.parcel.status,
           deadline_of=lambda f, name: getattr(f.parcel, name),
       )

   and then ``row = PARCEL.find_transition(facts, A.DELIVER, actor.role)`` in the domain
   command before it changes anything (it moves the subject to ``row.target``).
4. Its timers, if it has ``system`` rows: a ``timeouts.py`` beside the table maps each
   system action to its command and ``PARCEL.timers`` (kind -> action) to the commands,
   as ``domain/orders/timeouts.py`` does; the worker (``service/timers.py``) fires them.
5. Its page: ``refundkit.docs_gen.mermaid_diagram(PARCEL, ...)`` and
   ``transitions_table(PARCEL)`` draw it, as ``docs_gen_disputes`` does for disputes.

A guard's check answers None when the action may go ahead, else the reason why not; the
refusal is raised as the guard's ``error`` (``InvalidTransition`` unless a deadline
passed, ``WindowClosed``), carrying the guard's ``fields_of``. ``all_of`` chains
guards, each keeping its own error. Where
several rows share a state, an action and a role, the first whose guard holds is taken.
The module knows no machine in particular: it is standard library only and has no state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from refundkit.domain.errors import Forbidden, InvalidTransition, RefundkitError
from refundkit.domain.roles import Role

S = TypeVar("S", bound=StrEnum)
"""The machine's states."""
A = TypeVar("A", bound=StrEnum)
"""The machine's actions."""
F = TypeVar("F")
"""The facts its guards read (the subject, the moment, the rules)."""
G = TypeVar("G", contravariant=True)


def _no_objection(facts: object, role: Role) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Guard(Generic[G]):
    """A condition on a row: ``check`` answers None when it holds, else why not."""

    description: str
    check: Callable[[G, Role], str | None] = _no_objection
    error: type[RefundkitError] = InvalidTransition
    parts: tuple[Guard[G], ...] = ()
    """Guards checked first, in order, each raising its own error (see ``all_of``)."""
    fields_of: Callable[[G], dict[str, str]] | None = None
    """Fields the raised error carries besides ``action`` (the problem's extension members,
    e.g. the ``chargeback_id`` that stops a dispute)."""

    def refusal(self, facts: G, role: Role) -> Refusal | None:
        """The error and the reason that stop the action, or None."""
        for part in self.parts:
            found = part.refusal(facts, role)
            if found is not None:
                return found
        reason = self.check(facts, role)
        if reason is None:
            return None
        return Refusal(self.error, reason, self.fields_of(facts) if self.fields_of else {})


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a guard stops an action: the error to raise, the reason, its extra fields."""

    error: type[RefundkitError]
    reason: str
    extra: dict[str, str] = field(default_factory=dict)


def all_of(description: str, *guards: Guard[F]) -> Guard[F]:
    """A guard that holds when every one of ``guards`` does; the first refusal wins."""
    return Guard(description, parts=guards)


ANYTIME: Guard[object] = Guard("always")


@dataclass(frozen=True, slots=True)
class Transition(Generic[S, A, F]):
    source: S
    action: A
    roles: tuple[Role, ...]
    target: S | None
    """None: the command picks the next state (see ``Machine.open_target``)."""
    guard: Guard[F]
    due: str | None = None
    """The name of the deadline (resolved by ``Machine.deadline_of``) to act by."""
    on_timeout: str | None = None
    """What happens when nobody acts by ``due``."""
    timer: str | None = None
    """On a ``system`` row: the timer kind whose firing takes this row."""


@dataclass(frozen=True, slots=True)
class NextAction(Generic[A]):
    actor: Role
    action: A
    due_by: datetime | None
    on_timeout: str | None


@dataclass(frozen=True, slots=True)
class OpenTarget(Generic[S]):
    """What a row with no ``target`` may lead to, and the name the docs give it."""

    label: str
    states: tuple[S, ...]


@dataclass(frozen=True, slots=True)
class Machine(Generic[S, A, F]):
    noun: str
    """What the machine moves, for messages: ``order`` gives "a seller may not ship this
    order" and the error field ``order_status``."""
    rows: tuple[Transition[S, A, F], ...]
    state_of: Callable[[F], S]
    deadline_of: Callable[[F, str], datetime | None]
    open_target: OpenTarget[S] | None = None
    _timers: dict[str, A] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        timers: dict[str, A] = {}
        for row in self.rows:
            if row.target is None and self.open_target is None:
                raise ValueError(f"{row.action} has no target and {self.noun} no open_target")
            if row.timer is None:
                continue
            if row.roles != (Role.SYSTEM,):
                raise ValueError(f"timer {row.timer} is on a row the system alone takes")
            if timers.setdefault(row.timer, row.action) is not row.action:
                raise ValueError(f"timer {row.timer} takes two actions")
        object.__setattr__(self, "_timers", timers)

    @property
    def timers(self) -> dict[str, A]:
        """Timer kind -> the action the system takes when it fires."""
        return dict(self._timers)

    def timer_action(self, kind: str) -> A | None:
        return self._timers.get(kind)

    def find_transition(self, facts: F, action: A, role: Role) -> Transition[S, A, F]:
        """The row that lets ``role`` take ``action`` now, or the error that says why not:
        ``InvalidTransition`` when the state has no such action, ``Forbidden`` when the
        role may not take it, else the first refusing guard's error."""
        state = self.state_of(facts)
        rows = [r for r in self.rows if r.source is state and r.action is action]
        if not rows:
            raise InvalidTransition(
                f"cannot {action.value} {_article(self.noun)} that is {state.value}",
                **{f"{self.noun}_status": state.value, "action": action.value},
            )
        mine = [r for r in rows if role in r.roles]
        if not mine:
            raise Forbidden(f"a {role.value} may not {action.value} this {self.noun}")
        first: Refusal | None = None
        for row in mine:
            refusal = row.guard.refusal(facts, role)
            if refusal is None:
                return row
            first = first or refusal
        assert first is not None
        raise first.error(f"cannot {action.value}: {first.reason}", action=action.value,
                          **first.extra)  # fmt: skip

    def allowed(self, facts: F, action: A, role: Role) -> bool:
        try:
            self.find_transition(facts, action, role)
        except RefundkitError:  # no row, not this role, or a guard's own error
            return False
        return True

    def next_actions(self, facts: F) -> list[NextAction[A]]:
        """Who may do what now (the system aside), by when, and what happens if nobody
        does; in the table's order, once per (role, action)."""
        state = self.state_of(facts)
        seen: set[tuple[Role, A]] = set()
        found: list[NextAction[A]] = []
        for row, role in self._row_roles():
            if row.source is not state or role is Role.SYSTEM or (role, row.action) in seen:
                continue
            if row.guard.refusal(facts, role) is not None:
                continue
            seen.add((role, row.action))
            due = self.deadline_of(facts, row.due) if row.due else None
            found.append(NextAction(role, row.action, due, row.on_timeout if due else None))
        return found

    def targets(self, row: Transition[S, A, F]) -> tuple[S, ...]:
        """The states a row may lead to."""
        if row.target is not None:
            return (row.target,)
        assert self.open_target is not None
        return self.open_target.states

    def _row_roles(self) -> Iterator[tuple[Transition[S, A, F], Role]]:
        for row in self.rows:
            for role in row.roles:
                yield row, role


def _article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"
