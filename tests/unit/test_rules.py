"""Rule names are constants, each a key of the policy, and every automatic outcome (what
the worker does when a deadline passes) cites one of them."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from test_order_machine import POLICY, T0, ctx, new_order

from refundkit.adapters.policy_files import default_policy_text
from refundkit.domain.context import Outcome
from refundkit.domain.disputes import commands, returns
from refundkit.domain.disputes import timeouts as dispute_timeouts
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.orders import extensions, lifecycle
from refundkit.domain.orders import timeouts as order_timeouts
from refundkit.domain.orders.machine import OrderAction
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.domain.rules import FixedRule, Rule, cited_key, fast_refund_rule, not_received_rule


def _policy_keys() -> set[str]:
    data = tomllib.loads(default_policy_text())
    keys: set[str] = set()
    for section, table in data.items():
        keys.add(section)
        if isinstance(table, dict):
            keys.update(f"{section}.{key}" for key in table)
    return keys


KEYS = _policy_keys()


@pytest.mark.parametrize("rule", list(Rule))
def test_every_named_rule_is_a_key_of_the_policy(rule: Rule) -> None:
    assert rule.value in KEYS, f"{rule.name} names {rule.value!r}, which is no policy key"


@pytest.mark.parametrize("rule", list(FixedRule))
def test_a_fixed_rule_is_no_policy_key_and_no_named_rule(rule: FixedRule) -> None:
    assert rule.value not in KEYS and rule.value not in set(Rule)


def test_the_rules_built_from_a_tier_or_a_signal_name_a_policy_key() -> None:
    for tier in ("gold", "platinum", "diamond"):
        assert cited_key(fast_refund_rule(tier)) in KEYS
    assert cited_key(not_received_rule("shared_tracking")) in KEYS


def _shipped(now: datetime = T0) -> Order:
    order = new_order(now)
    lifecycle.pay(ctx(Role.PLATFORM, now), order)
    lifecycle.ship(ctx(Role.SELLER, now), order, "DHL", "1")
    return order


def _disputed(*, goods_back: bool = False) -> tuple[Order, Dispute, datetime]:
    order = _shipped()
    at = T0 + timedelta(days=5)
    form = DisputeForm("damaged", None, True, 1000, goods_back, "Broken.")
    d, _ = commands.open_dispute(ctx(Role.BUYER, at), order, [], form, 1)
    return order, d, at


def _order_cases() -> dict[OrderAction, Callable[[], tuple[Order, datetime]]]:
    def unpaid() -> tuple[Order, datetime]:
        order = new_order()
        assert order.deadlines.pay_by is not None
        return order, order.deadlines.pay_by

    def paid() -> tuple[Order, datetime]:
        order = new_order()
        lifecycle.pay(ctx(Role.PLATFORM, T0), order)
        assert order.deadlines.ship_by is not None
        return order, order.deadlines.ship_by

    def cancel_requested() -> tuple[Order, datetime]:
        order = new_order()
        lifecycle.pay(ctx(Role.PLATFORM, T0), order)
        lifecycle.cancel(ctx(Role.BUYER, T0 + timedelta(days=1)), order, "changed my mind")
        assert order.deadlines.cancel_respond_by is not None
        return order, order.deadlines.cancel_respond_by

    def protection_over() -> tuple[Order, datetime]:
        order = _shipped()
        assert order.deadlines.delivery_deadline is not None
        return order, order.deadlines.delivery_deadline

    def extension_unanswered() -> tuple[Order, datetime]:
        order = _shipped()
        ext, _ = extensions.request_extension(ctx(Role.BUYER, T0), order, 5)
        return order, ext.respond_by

    return {
        OrderAction.EXPIRE: unpaid,
        OrderAction.AUTO_CANCEL: paid,
        OrderAction.APPROVE_CANCELLATION: cancel_requested,
        OrderAction.COMPLETE: protection_over,
        OrderAction.REJECT_EXTENSION: extension_unanswered,
    }


def _dispute_cases() -> dict[DisputeAction, Callable[[], tuple[Order, Dispute, datetime]]]:
    def silent_seller() -> tuple[Order, Dispute, datetime]:
        order, d, _ = _disputed()
        assert d.respond_by is not None
        return order, d, d.respond_by

    def stalled() -> tuple[Order, Dispute, datetime]:
        order, d, at = _disputed()
        commands.make_offer(ctx(Role.SELLER, at), d, order, order.money(500), False, "half")
        assert d.escalate_at is not None
        return order, d, d.escalate_at

    def never_sent_back() -> tuple[Order, Dispute, datetime]:
        order, d, at = _disputed(goods_back=True)
        commands.accept(ctx(Role.SELLER, at), d, order)
        assert d.return_ship_by is not None
        return order, d, d.return_ship_by

    def back_unconfirmed() -> tuple[Order, Dispute, datetime]:
        order, d, at = _disputed(goods_back=True)
        commands.accept(ctx(Role.SELLER, at), d, order)
        returns.ship_return(ctx(Role.BUYER, at), d, order, "DHL", "R1", None)
        returns.return_delivered(ctx(Role.SYSTEM, at + timedelta(days=2)), d,
                                 at + timedelta(days=2))  # fmt: skip
        assert d.return_confirm_by is not None
        return order, d, d.return_confirm_by

    return {
        DisputeAction.AUTO_ACCEPT: silent_seller,
        DisputeAction.AUTO_ESCALATE: stalled,
        DisputeAction.RETURN_LAPSED: never_sent_back,
        DisputeAction.RETURN_SILENCE: back_unconfirmed,
    }


def _decision_rules(outcome: Outcome, subject_id: str) -> list[object]:
    """The ``rule`` of the decision: the first event the command raised about its own
    subject (what follows, such as ``order.funds_released``, is its consequence)."""
    return [e.data.get("rule") for e in outcome.events if e.subject_id == subject_id][:1]


def test_every_automatic_order_outcome_cites_a_named_rule() -> None:
    cases = _order_cases()
    assert set(cases) == set(order_timeouts.COMMANDS), "a system action of the table is untested"
    for action, make in cases.items():
        order, at = make()
        outcome = order_timeouts.COMMANDS[action](ctx(Role.SYSTEM, at), order)
        cited = _decision_rules(outcome, order.id)
        assert cited and all(isinstance(r, Rule) for r in cited), (action, cited)


def test_every_automatic_dispute_outcome_cites_a_named_rule() -> None:
    cases = _dispute_cases()
    assert set(cases) == set(dispute_timeouts.COMMANDS), "a system action is untested"
    for action, make in cases.items():
        order, d, at = make()
        outcome = dispute_timeouts.COMMANDS[action](ctx(Role.SYSTEM, at), d, order)
        cited = _decision_rules(outcome, d.id)
        assert cited and all(isinstance(r, Rule) for r in cited), (action, cited)
        if d.rule is not None or not d.is_open:
            assert isinstance(d.rule, Rule), (action, d.rule)


def test_the_policy_the_tests_use_is_the_default_one() -> None:
    assert POLICY.version == tomllib.loads(default_policy_text())["version"]
