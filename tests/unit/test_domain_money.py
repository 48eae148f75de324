"""Money knows its currency in the domain (issue 13, item 4): the models expose their
amounts as ``Money`` of their order's currency, the amount rules (refund caps, offers, the
escrow split of a refund, a dispute's refund) take and return ``Money``, and an amount of
another currency is refused with ``CurrencyMismatch`` before anything changes."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from test_order_machine import T0, ctx, new_order

from refundkit.domain.disputes import commands, lines
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import CurrencyMismatch
from refundkit.domain.money import Money
from refundkit.domain.orders import escrow, lifecycle
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role


def _disputed() -> tuple[Order, Dispute]:
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    lifecycle.ship(ctx(Role.SELLER, T0), order, "DHL", "1")
    form = DisputeForm("damaged", None, True, 1000, False, "Broken.")
    d, _ = commands.open_dispute(ctx(Role.BUYER, T0 + timedelta(days=5)), order, [], form, 1)
    return order, d


def test_adding_two_moneys_of_different_currencies_raises_currency_mismatch() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "USD") + Money(100, "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = Money(100, "USD") - Money(1, "JPY")
    assert Money(100, "USD") + Money(25, "USD") == Money(125, "USD")


def test_the_models_expose_their_amounts_as_money_of_the_order_currency() -> None:
    order, d = _disputed()
    assert order.total_money == Money(order.total, "USD") == order.paid_money
    assert order.refundable_money == Money(order.refundable, "USD")
    assert d.currency == "USD" and d.requested_money == Money(1000, "USD")
    assert d.refund_money is None
    at = T0 + timedelta(days=5)
    commands.make_offer(ctx(Role.SELLER, at), d, order, order.money(400), False, "some")
    [offer] = d.offers
    assert (offer.refund_amount, offer.refund_money) == (400, Money(400, "USD"))
    commands.accept(ctx(Role.BUYER, at), d, order)
    assert d.refund_money == Money(400, "USD")
    [refund] = escrow.refund_buyer(ctx(Role.PLATFORM, at), order, order.money(100), "x").refunds
    assert refund.amount_money == Money(100, "USD")


def test_the_refund_cap_is_money_of_the_order() -> None:
    order, d = _disputed()
    assert lines.units_cap(order, {}) == order.refundable_money
    assert lines.refund_cap(order, d).currency == order.currency


def test_a_refund_in_another_currency_is_refused_and_changes_nothing() -> None:
    order, _ = _disputed()
    before = copy.deepcopy(order)
    with pytest.raises(CurrencyMismatch):
        escrow.refund_buyer(ctx(Role.PLATFORM, T0), order, Money(100, "EUR"), "wrong currency")
    assert order == before


def test_an_offer_or_a_decision_in_another_currency_is_refused_and_changes_nothing() -> None:
    order, d = _disputed()
    at = T0 + timedelta(days=5)
    before = (copy.deepcopy(order), copy.deepcopy(d))
    with pytest.raises(CurrencyMismatch):
        commands.make_offer(ctx(Role.SELLER, at), d, order, Money(400, "EUR"), False, "x")
    assert (order, d) == before
    commands.reject(ctx(Role.SELLER, at), d, "sent")
    commands.escalate(ctx(Role.BUYER, at), d, order.buyer_country)
    before = (copy.deepcopy(order), copy.deepcopy(d))
    with pytest.raises(CurrencyMismatch):
        commands.decide(ctx(Role.AGENT, at), d, order, "partial_refund", Money(300, "EUR"),
                        False, "half")  # fmt: skip
    assert (order, d) == before


def test_the_escrow_split_of_a_refund_adds_up_in_the_order_currency() -> None:
    """After release the refund is clawed back from the seller less the commission: the
    parts, computed as Money, add up to the refund."""
    order, _ = _disputed()
    order.dispute_holds.clear()
    escrow.release_to_seller(ctx(Role.SYSTEM, T0), order)
    assert escrow.escrow_held(order) == Money(0, "USD")
    [refund] = escrow.refund_buyer(ctx(Role.PLATFORM, T0), order, order.money(1000), "x").refunds
    assert refund.clawback_amount == 1000
    assert 0 < refund.commission_back < 1000
    assert order.refundable_money == order.paid_money - Money(1000, "USD")
