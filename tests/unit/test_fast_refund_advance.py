"""The split of a Fast Refund taken from the seller's balance first (issue 19, item 2), in
the domain: the balance advances as much as it holds up to the refund, escrow pays the
rest and keeps the advance in the order's hold; the dispute's end repays it without
commission, so the release (and its commission) is what it is without an advance; a refused
refund voids what is outstanding of it, and only that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_order_machine import T0, ctx, new_order

from refundkit.domain.context import Outcome
from refundkit.domain.disputes import advance, commands, returns
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.ledger import (
    PLATFORM_COMMISSION,
    REFUNDS_IN_FLIGHT,
    EntryKind,
    JournalEntry,
    escrow_account,
    seller_payable_account,
)
from refundkit.domain.orders import escrow, holds, lifecycle
from refundkit.domain.orders.escrow import advance_from, escrow_balance, undo_refund
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role

REFUND = 2000
DAY5 = T0 + timedelta(days=5)


def _fast_refunded(balance: int, from_balance: bool = True) -> tuple[Order, Dispute, Outcome]:
    """A Diamond buyer's whole-order return of 20.00 on a 64.96 order; the return ships."""
    order = new_order()
    lifecycle.pay(ctx(Role.PLATFORM, T0), order)
    lifecycle.ship(ctx(Role.SELLER, T0), order, "DHL", "1")
    form = DisputeForm("changed_mind", None, True, REFUND, True, "Not for me.")
    d, _ = commands.open_dispute(ctx(Role.BUYER, DAY5), order, [], form, 0)
    d.fast_refund_from_balance = from_balance
    commands.accept(ctx(Role.SELLER, DAY5), d, order)
    shipped = returns.ship_return(ctx(Role.BUYER, DAY5), d, order, "UPS", "R1", "diamond",
                                  seller_balance=balance)  # fmt: skip
    return order, d, shipped


def _moves(entry: JournalEntry) -> dict[str, int]:
    summed: dict[str, int] = {}
    for p in entry.postings:
        summed[p.account] = summed.get(p.account, 0) + p.amount
    return summed


def _kind(outcome: Outcome, kind: EntryKind) -> list[JournalEntry]:
    return [e for e in outcome.entries if e.kind is kind]


PAYABLE = seller_payable_account("seller_1")


@pytest.mark.parametrize(
    ("balance", "from_escrow", "clawed", "advanced"),
    [(5000, 2000, 0, 2000), (500, 2000, 0, 500), (0, 2000, 0, 0), (3000, 1000, 1000, 1000),
     (900, 1000, 1000, 0), (-50, 2000, 0, 0)],
)  # fmt: skip
def test_the_balance_advances_what_it_holds_after_a_clawback_never_more_than_escrow_pays(
    balance: int, from_escrow: int, clawed: int, advanced: int
) -> None:
    assert advance_from(balance, from_escrow, clawed) == advanced


@pytest.mark.parametrize(("balance", "advanced"), [(10_000, REFUND), (REFUND, REFUND), (500, 500)])
def test_the_fast_refund_comes_from_the_balance_first_and_escrow_keeps_it(
    balance: int, advanced: int
) -> None:
    order, d, shipped = _fast_refunded(balance)
    [refund] = shipped.refunds
    [reserved] = _kind(shipped, EntryKind.REFUND_RESERVED)
    moves = _moves(reserved)
    assert moves[PAYABLE] == -advanced
    assert moves.get(escrow_account(order.id), 0) == -(REFUND - advanced)
    assert moves[REFUNDS_IN_FLIGHT] == REFUND
    assert (refund.advanced, refund.advance_dispute_id, refund.clawback_amount) == (
        advanced, d.id, 0)  # fmt: skip
    assert d.advance == order.advanced_amount == advanced
    assert escrow_balance(order) == order.total - REFUND + advanced
    assert holds.held_amount(order) == order.refundable + advanced
    [fast] = [e for e in shipped.events if e.type == "dispute.fast_refunded"]
    assert fast.data["advanced"] == advanced


def test_without_the_consequence_or_a_balance_nothing_changes() -> None:
    plain = _fast_refunded(10_000, from_balance=False)
    empty = _fast_refunded(0)
    for order, d, shipped in (plain, empty):
        [reserved] = _kind(shipped, EntryKind.REFUND_RESERVED)
        assert _moves(reserved) == {escrow_account(order.id): -REFUND, REFUNDS_IN_FLIGHT: REFUND}
        assert (d.advance, order.advanced_amount, shipped.refunds[0].advanced) == (0, 0, 0)
    [fast] = [e for e in plain[2].events if e.type == "dispute.fast_refunded"]
    assert "advanced" not in fast.data


def _goods_back(order: Order, d: Dispute) -> Outcome:
    returns.return_delivered(ctx(Role.SYSTEM, DAY5), d, DAY5)
    return returns.confirm_return(ctx(Role.SELLER, DAY5), d, order, "as_sent")


def _release(order: Order) -> dict[str, int]:
    when = T0 + timedelta(days=90)
    [released] = _kind(lifecycle.complete(ctx(Role.SYSTEM, when), order),
                       EntryKind.FUNDS_RELEASED)  # fmt: skip
    return _moves(released)


def test_the_end_repays_the_advance_and_the_release_is_as_without_one() -> None:
    order, d, _ = _fast_refunded(10_000)
    plain, plain_d, _ = _fast_refunded(10_000, from_balance=False)
    ended = _goods_back(order, d)
    [repaid] = _kind(ended, EntryKind.ADVANCE_REPAID)
    assert _moves(repaid) == {escrow_account(order.id): -REFUND, PAYABLE: REFUND}
    assert (d.advance, order.advanced_amount) == (0, 0)
    assert not _kind(_goods_back(plain, plain_d), EntryKind.ADVANCE_REPAID)
    assert escrow_balance(order) == escrow_balance(plain) == order.total - REFUND
    released, as_plain = _release(order), _release(plain)
    assert released[escrow_account(order.id)] == as_plain[escrow_account(plain.id)] == -4496
    assert (released[PAYABLE], released[PLATFORM_COMMISSION]) == (
        as_plain[PAYABLE], as_plain[PLATFORM_COMMISSION]) == (4496 - 225, 225)  # fmt: skip


def test_an_order_released_while_the_dispute_is_open_keeps_the_advance_in_escrow() -> None:
    order, d, _ = _fast_refunded(10_000)
    order.dispute_holds[d.id] = tuple(0 for _ in order.refund_room_by_line)  # named units, taken
    released = escrow.release_to_seller(ctx(Role.SYSTEM, DAY5), order)
    [entry] = _kind(released, EntryKind.FUNDS_RELEASED)
    assert -_moves(entry)[escrow_account(order.id)] == order.total - REFUND
    assert escrow_balance(order) == REFUND == order.advanced_amount


def test_a_refused_refund_voids_only_the_advance_still_outstanding() -> None:
    order, d, shipped = _fast_refunded(500)
    [refund] = shipped.refunds
    back = advance.void(refund, d)
    moves: dict[str, int] = {}
    for m in undo_refund(order, refund, back):
        if m.amount:
            moves[m.destination] = moves.get(m.destination, 0) + m.amount
    assert back == 500 and d.advance == order.advanced_amount == 0
    assert moves == {PAYABLE: 500, escrow_account(order.id): REFUND - 500}
    assert escrow_balance(order) == order.total
    assert advance.repay(ctx(Role.SELLER, DAY5), order, d).entries == []

    later, later_d, later_shipped = _fast_refunded(500)
    _goods_back(later, later_d)  # repaid: the money is escrow's again
    [later_refund] = later_shipped.refunds
    assert advance.void(later_refund, later_d) == 0
    undone = {m.destination: m.amount for m in undo_refund(later, later_refund, 0) if m.amount}
    assert undone == {escrow_account(later.id): REFUND}
