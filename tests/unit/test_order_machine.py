"""The order state machine, pure: the table, next_actions, and random walks that must keep
the money straight whatever happens in whatever order."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refundkit.adapters.policy_files import load_default_policy
from refundkit.domain.context import Actor, Context, Outcome
from refundkit.domain.errors import (
    Forbidden,
    InvalidTransition,
    LedgerInvariantBroken,
    NotFound,
    ValidationError,
)
from refundkit.domain.ledger import (
    EntryKind,
    JournalEntry,
    Move,
    Posting,
    assert_escrow_covers,
    escrow_account,
    journal_entry,
)
from refundkit.domain.orders import extensions, lifecycle
from refundkit.domain.orders.escrow import escrow_balance
from refundkit.domain.orders.machine import ORDER_TRANSITIONS, OrderAction, next_actions
from refundkit.domain.orders.model import Address, Order, OrderLine, OrderStatus
from refundkit.domain.orders.placement import OrderDraft, place_order
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role

POLICY = load_default_policy()
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class NoHolidays:
    def is_holiday(self, country: str, day: date) -> bool:
        return False


class CountingIds:
    def __init__(self) -> None:
        self._n = itertools.count()

    def new(self, prefix: str) -> str:
        return f"{prefix}_{next(self._n):06d}"


IDS = CountingIds()


def ctx(role: Role, now: datetime) -> Context:
    return Context(now, Actor(role, f"{role.value}_1"), POLICY, NoHolidays(), IDS)


def new_order(now: datetime = T0) -> Order:
    draft = OrderDraft("buyer_1", "seller_1", "DE", "CN", "USD",
                       (OrderLine("s", "Lamp", 3, 1999),), 499, PaymentMethod.CARD,
                       Address("DE", "Berlin"), 20)  # fmt: skip
    return place_order(ctx(Role.PLATFORM, now), draft)[0]


def test_every_state_but_the_final_ones_has_a_way_out() -> None:
    # A row back to its own state (a dispute opened on an order completed early) is no
    # way out.
    sources = {t.source for t in ORDER_TRANSITIONS if t.target is not t.source}
    final = {OrderStatus.EXPIRED, OrderStatus.CANCELLED, OrderStatus.COMPLETED,
             OrderStatus.REFUNDED}  # fmt: skip
    assert set(OrderStatus) - sources == final


def test_next_actions_of_a_paid_order_name_who_acts_by_when_and_what_follows() -> None:
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    actions = {(a.actor, a.action): a for a in next_actions(order, T0, POLICY)}
    cancel = actions[(Role.BUYER, OrderAction.CANCEL)]
    assert cancel.due_by == T0 + timedelta(hours=24)
    assert cancel.on_timeout is not None
    ship = actions[(Role.SELLER, OrderAction.SHIP)]
    assert ship.due_by == order.deadlines.ship_by
    assert ship.on_timeout is not None and "cancelled" in ship.on_timeout
    assert set(actions) == {(Role.BUYER, OrderAction.CANCEL), (Role.SELLER, OrderAction.SHIP)}


def test_a_refused_action_changes_nothing() -> None:
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    before = repr(order)
    with pytest.raises(Forbidden):
        lifecycle.ship(ctx(Role.BUYER, T0), order, "DHL", "1")
    with pytest.raises(InvalidTransition):
        lifecycle.confirm_receipt(ctx(Role.BUYER, T0), order)
    assert repr(order) == before


def test_an_unbalanced_entry_cannot_be_built() -> None:
    with pytest.raises(LedgerInvariantBroken):
        JournalEntry("je", EntryKind.PAYMENT_HELD, T0, None,
                     (Posting("a", "USD", -100), Posting("b", "USD", 99)))  # fmt: skip
    with pytest.raises(LedgerInvariantBroken):
        JournalEntry("je", EntryKind.PAYMENT_HELD, T0, None,
                     (Posting("a", "USD", -100), Posting("b", "EUR", 100)))  # fmt: skip


def test_an_entry_that_would_take_escrow_below_zero_is_refused() -> None:
    entry = journal_entry(entry_id="je", kind=EntryKind.REFUND_RESERVED, occurred_at=T0,
                          order_id="o", currency="USD",
                          moves=[Move(escrow_account("o"), "refunds_in_flight", 101)])  # fmt: skip
    with pytest.raises(LedgerInvariantBroken):
        assert_escrow_covers(entry, {escrow_account("o"): 100})
    assert_escrow_covers(entry, {escrow_account("o"): 101})


def test_an_extension_asks_for_at_least_one_day() -> None:
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    lifecycle.ship(ctx(Role.SELLER, T0), order, "DHL", "1")
    with pytest.raises(ValidationError):
        extensions.request_extension(ctx(Role.BUYER, T0), order, 0)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "cancel", "approve", "reject", "ship", "deliver", "confirm",
                         "extend", "approve_ext", "reject_ext", "tick"]),
        st.sampled_from(list(Role)),
        st.integers(min_value=0, max_value=24 * 40),
    ),
    max_size=25,
)  # fmt: skip


def _apply(order: Order, name: str, role: Role, now: datetime) -> Outcome:
    c = ctx(role, now)
    pending = order.pending_extension
    match name:
        case "pay":
            return lifecycle.pay(c, order)
        case "cancel":
            return lifecycle.cancel(c, order, "r")
        case "approve":
            return lifecycle.approve_cancellation(c, order)
        case "reject":
            return lifecycle.reject_cancellation(c, order, "r")
        case "ship":
            return lifecycle.ship(c, order, "DHL", "1")
        case "deliver":
            return lifecycle.mark_delivered(c, order, now)
        case "confirm":
            return lifecycle.confirm_receipt(c, order)
        case "extend":
            return extensions.request_extension(c, order, 7)[1]
        case "approve_ext":
            return extensions.approve_extension(c, order, pending.id if pending else "x")
        case "reject_ext":
            return extensions.reject_extension(c, order, pending.id if pending else "x")
    return _tick(order, now)


def _tick(order: Order, now: datetime) -> Outcome:
    """What the worker would do at ``now``: every system action that is due."""
    outcome = Outcome()
    c = ctx(Role.SYSTEM, now)
    for step in (lifecycle.expire, lifecycle.auto_cancel, lifecycle.approve_cancellation,
                 lifecycle.complete):  # fmt: skip
        with contextlib.suppress(InvalidTransition, Forbidden):
            outcome.merge(step(c, order))
    return outcome


@settings(max_examples=300, deadline=None)
@given(STEPS)
def test_no_sequence_of_actions_breaks_the_money(steps: list[tuple[str, Role, int]]) -> None:
    order = new_order()
    now = T0
    escrow = 0
    for name, role, hours in steps:
        now += timedelta(hours=hours)
        before = repr(order)
        try:
            outcome = _apply(order, name, role, now)
        except (InvalidTransition, Forbidden, NotFound, ValidationError, LedgerInvariantBroken):
            assert repr(order) == before, f"refused {name} by {role} changed the order"
            continue
        for entry in outcome.entries:
            assert_escrow_covers(entry, {escrow_account(order.id): escrow})
            escrow += sum(p.amount for p in entry.postings if p.account == escrow_account(order.id))
        assert 0 <= order.refunded_amount <= order.paid_amount <= order.total
        assert escrow == escrow_balance(order) >= 0
        if order.status is OrderStatus.COMPLETED:
            assert (
                escrow == 0 and order.released_amount == order.paid_amount - order.refunded_amount
            )
        if order.status is OrderStatus.CANCELLED:
            assert order.refunded_amount == order.paid_amount and escrow == 0


def test_the_buyer_is_offered_a_dispute_only_while_the_window_is_open() -> None:
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    lifecycle.ship(ctx(Role.SELLER, T0), order, "DHL", "1")

    def offered(at: datetime) -> bool:
        return any(a.action is OrderAction.OPEN_DISPUTE for a in next_actions(order, at, POLICY))

    assert not offered(T0 + timedelta(days=4))
    assert offered(T0 + timedelta(days=5))
    assert order.deadlines.delivery_deadline is not None
    assert not offered(order.deadlines.delivery_deadline)
