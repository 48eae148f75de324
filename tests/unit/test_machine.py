"""The one state-machine engine: a toy table shows the rules every machine inherits, and
the real tables are checked for what the engine promises (each timer takes one action,
each such action has its command)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest

from refundkit.domain.disputes import timeouts as dispute_timeouts
from refundkit.domain.disputes.machine import DISPUTE_MACHINE, DisputeAction
from refundkit.domain.errors import Conflict, Forbidden, InvalidTransition, WindowClosed
from refundkit.domain.machine import ANYTIME, Guard, Machine, Transition, all_of
from refundkit.domain.orders import timeouts as order_timeouts
from refundkit.domain.orders.machine import ORDER_MACHINE
from refundkit.domain.roles import Role

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Lamp(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Flip(StrEnum):
    SWITCH = "switch"
    BURN_OUT = "burn_out"


@dataclass(frozen=True)
class LampFacts:
    state: Lamp
    now: datetime
    switch_by: datetime
    switched: int = 0


def _in_time(f: LampFacts, role: Role) -> str | None:
    return "too late" if f.now >= f.switch_by else None


def _not_worn(f: LampFacts, role: Role) -> str | None:
    return "worn out" if f.switched >= 3 else None


_SWITCH = all_of(
    "in time, not worn",
    Guard("in time", _in_time, WindowClosed),
    Guard("worn", _not_worn, Conflict),
)
LAMP: Machine[Lamp, Flip, LampFacts] = Machine(
    noun="lamp",
    rows=(
        Transition(Lamp.OFF, Flip.SWITCH, (Role.BUYER, Role.SELLER), Lamp.ON, _SWITCH,
                   "switch_by", "it stays dark"),
        Transition(Lamp.ON, Flip.SWITCH, (Role.BUYER,), Lamp.OFF, ANYTIME),
        Transition(Lamp.ON, Flip.BURN_OUT, (Role.SYSTEM,), Lamp.BROKEN,
                   Guard("past switch_by", lambda f, r: None if f.now >= f.switch_by else "early"),
                   timer="lamp.burn_out"),
    ),
    state_of=lambda f: f.state,
    deadline_of=lambda f, name: getattr(f, name),
)  # fmt: skip


def _facts(state: Lamp = Lamp.OFF, *, late: bool = False, switched: int = 0) -> LampFacts:
    return LampFacts(state, T0 + timedelta(days=2 if late else 0), T0 + timedelta(days=1), switched)


def test_a_state_without_the_action_is_an_invalid_transition_naming_the_state() -> None:
    with pytest.raises(InvalidTransition) as refused:
        LAMP.find_transition(_facts(Lamp.BROKEN), Flip.SWITCH, Role.BUYER)
    assert refused.type is InvalidTransition
    assert refused.value.extra == {"lamp_status": "broken", "action": "switch"}
    assert "a lamp that is broken" in refused.value.detail


def test_a_role_outside_the_row_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        LAMP.find_transition(_facts(Lamp.ON), Flip.SWITCH, Role.SELLER)
    assert not LAMP.allowed(_facts(Lamp.ON), Flip.SWITCH, Role.SELLER)


def test_each_part_of_a_guard_refuses_with_its_own_error() -> None:
    with pytest.raises(WindowClosed, match="too late"):
        LAMP.find_transition(_facts(late=True), Flip.SWITCH, Role.BUYER)
    with pytest.raises(Conflict, match="worn out"):
        LAMP.find_transition(_facts(switched=3), Flip.SWITCH, Role.SELLER)
    row = LAMP.find_transition(_facts(), Flip.SWITCH, Role.SELLER)
    assert row.target is Lamp.ON


def test_next_actions_list_each_role_of_a_row_with_its_deadline_and_leave_out_the_system() -> None:
    found = LAMP.next_actions(_facts())
    assert [(a.actor, a.action) for a in found] == [
        (Role.BUYER, Flip.SWITCH),
        (Role.SELLER, Flip.SWITCH),
    ]
    assert {a.due_by for a in found} == {T0 + timedelta(days=1)}
    assert {a.on_timeout for a in found} == {"it stays dark"}
    assert LAMP.next_actions(_facts(late=True)) == []
    assert [a.actor for a in LAMP.next_actions(_facts(Lamp.ON, late=True))] == [Role.BUYER]


def test_a_timer_names_the_system_action_it_takes() -> None:
    assert LAMP.timers == {"lamp.burn_out": Flip.BURN_OUT}
    assert LAMP.timer_action("lamp.unknown") is None


def test_a_table_is_refused_when_a_timer_is_on_a_human_row_or_takes_two_actions() -> None:
    human = Transition(Lamp.OFF, Flip.SWITCH, (Role.BUYER,), Lamp.ON, ANYTIME, timer="t")
    with pytest.raises(ValueError, match="system alone"):
        Machine(noun="lamp", rows=(human,), state_of=lambda f: Lamp.OFF,
                deadline_of=lambda f, n: None)  # fmt: skip
    twice = (
        Transition(Lamp.OFF, Flip.SWITCH, (Role.SYSTEM,), Lamp.ON, ANYTIME, timer="t"),
        Transition(Lamp.ON, Flip.BURN_OUT, (Role.SYSTEM,), Lamp.BROKEN, ANYTIME, timer="t"),
    )
    with pytest.raises(ValueError, match="two actions"):
        Machine(noun="lamp", rows=twice, state_of=lambda f: Lamp.OFF,
                deadline_of=lambda f, n: None)  # fmt: skip


def test_every_timer_of_the_order_and_dispute_tables_runs_a_command() -> None:
    assert set(order_timeouts.STEPS) == set(ORDER_MACHINE.timers)
    assert set(order_timeouts.COMMANDS) == set(ORDER_MACHINE.timers.values())
    assert set(dispute_timeouts.STEPS) == set(DISPUTE_MACHINE.timers)
    assert set(dispute_timeouts.COMMANDS) == set(DISPUTE_MACHINE.timers.values())


def test_every_system_row_of_the_tables_is_taken_by_a_timer() -> None:
    # A chargeback's end closes the dispute: the provider's event takes that row, no timer.
    by_event = {DisputeAction.CLOSE_FOR_CHARGEBACK}
    for machine in (ORDER_MACHINE, DISPUTE_MACHINE):
        for row in machine.rows:
            if Role.SYSTEM in row.roles and row.action not in by_event:
                assert row.timer is not None, f"{machine.noun} {row.action} has no timer"


def test_a_guard_s_fields_travel_with_its_error_and_allowed_says_no_to_any_refusal() -> None:
    named = Guard("not worn", _not_worn, Conflict, fields_of=lambda f: {"switched": "3"})
    lamp: Machine[Lamp, Flip, LampFacts] = Machine(
        noun="lamp", rows=(Transition(Lamp.OFF, Flip.SWITCH, (Role.BUYER,), Lamp.ON, named),),
        state_of=lambda f: f.state, deadline_of=lambda f, name: None,
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        lamp.find_transition(_facts(switched=3), Flip.SWITCH, Role.BUYER)
    assert refused.value.extra == {"action": "switch", "switched": "3"}
    assert not lamp.allowed(_facts(switched=3), Flip.SWITCH, Role.BUYER)
    assert lamp.allowed(_facts(), Flip.SWITCH, Role.BUYER)


def test_every_row_a_person_takes_but_request_evidence_holds_the_chargeback_guard() -> None:
    """The suspension is in the dispute table: a person's rows (which move the dispute)
    refuse while a chargeback is open; the system's rows and request_evidence do not."""
    from refundkit.domain.disputes.machine import NO_CHARGEBACK

    def holds(guard: Guard[object]) -> bool:
        return guard is NO_CHARGEBACK or NO_CHARGEBACK in guard.parts

    for row in DISPUTE_MACHINE.rows:
        by_person = Role.SYSTEM not in row.roles
        expected = by_person and row.action is not DisputeAction.REQUEST_EVIDENCE
        assert holds(row.guard) is expected, (row.source, row.action)  # type: ignore[arg-type]
