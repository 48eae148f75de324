"""The two rules of a seller's balance, pure: a clawback the balance cannot pay is covered
by the platform (the seller owes it), and money paid in first pays back what is owed."""

from __future__ import annotations

from datetime import UTC, datetime

from refundkit.domain.ledger import (
    PSP_CLEARING,
    EntryKind,
    JournalEntry,
    Move,
    escrow_account,
    journal_entry,
    seller_debt_account,
    seller_payable_account,
    settle_seller_balances,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PAYABLE, DEBT = seller_payable_account("s1"), seller_debt_account("s1")


def _clawback(amount: int) -> JournalEntry:
    return journal_entry(entry_id="je1", kind=EntryKind.REFUND_RESERVED, occurred_at=T0,
                         order_id="o1", currency="EUR",
                         moves=[Move(PAYABLE, PSP_CLEARING, amount)])  # fmt: skip


def _release(amount: int) -> JournalEntry:
    return journal_entry(entry_id="je2", kind=EntryKind.FUNDS_RELEASED, occurred_at=T0,
                         order_id="o2", currency="EUR",
                         moves=[Move(escrow_account("o2"), PAYABLE, amount)])  # fmt: skip


def _net(entries: list[JournalEntry], account: str, start: int) -> int:
    return start + sum(p.amount for e in entries for p in e.postings
                       if p.account == account)  # fmt: skip


def test_a_clawback_the_balance_cannot_pay_is_covered_and_owed() -> None:
    entry = _clawback(1000)
    settled = settle_seller_balances(entry, {(PAYABLE, "EUR"): 300})
    [cover] = settled.covers
    assert cover.kind is EntryKind.PLATFORM_COVERED and cover.id == "je1.cover1"
    everything = [cover, entry]
    assert _net(everything, PAYABLE, 300) == 0
    assert _net(everything, DEBT, 0) == -700
    assert settled.recoveries == []


def test_a_clawback_the_balance_pays_needs_no_cover() -> None:
    settled = settle_seller_balances(_clawback(300), {(PAYABLE, "EUR"): 300})
    assert settled.covers == [] and settled.recoveries == []


def test_money_paid_in_first_pays_back_the_debt_as_far_as_it_goes() -> None:
    entry = _release(500)
    balances = {(PAYABLE, "EUR"): 0, (DEBT, "EUR"): -700}
    [back] = settle_seller_balances(entry, balances).recoveries
    assert back.kind is EntryKind.DEBT_RECOVERED and back.id == "je2.debt1"
    assert _net([entry, back], PAYABLE, 0) == 0
    assert _net([entry, back], DEBT, -700) == -200
    [rest] = settle_seller_balances(_release(900), {(DEBT, "EUR"): -200}).recoveries
    assert _net([rest], DEBT, -200) == 0


def test_a_debt_in_another_currency_is_not_recovered_from_this_one() -> None:
    settled = settle_seller_balances(_release(500), {(DEBT, "USD"): -700})
    assert settled.recoveries == []
