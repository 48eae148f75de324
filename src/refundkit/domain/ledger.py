"""Double-entry ledger of the escrow.

Postings are signed: money moving *into* an account adds to its balance, money moving out
subtracts. The PSP clearing account is where money enters and leaves refundkit's books, so
its balance is the negative of everything held. Every entry sums to zero per currency; an
order's escrow balance may never drop below zero. Entries are only ever appended.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from refundkit.domain.errors import LedgerInvariantBroken

PSP_CLEARING = "psp_clearing"
PLATFORM_COMMISSION = "platform_commission"
REFUNDS_IN_FLIGHT = "refunds_in_flight"
ESCROW_PREFIX = "escrow:"
SELLER_PAYABLE_PREFIX = "seller_payable:"
SELLER_DEBT_PREFIX = "seller_debt:"
"""What a seller owes the platform: negative while the platform has covered a refund the
seller's balance could not. The platform's cover is the sum of these accounts."""


CHARGEBACK_PREFIX = "chargeback:"
"""What the bank holds of ours for one chargeback: negative from the withdrawal until the
chargeback ends (reinstated on a win; recovered or borne on a loss), then zero."""
PLATFORM_CHARGEBACK_LOSSES = "platform_chargeback_losses"
"""What chargebacks cost the platform itself: the seller had proof of delivery, or the bank
repaid money a refund had already given back (negative: a cost)."""


STORE_CREDIT_PREFIX = "store_credit:"
"""A buyer's store credit (issue 19): what the platform owes the buyer to spend in the
shop, never cashed out; it never goes below zero."""
PLATFORM_COMPENSATION = "platform_compensation"
"""What compensation credit cost the platform itself (negative: a cost)."""


def store_credit_account(buyer_id: str) -> str:
    return f"{STORE_CREDIT_PREFIX}{buyer_id}"


def chargeback_account(chargeback_id: str) -> str:
    return f"{CHARGEBACK_PREFIX}{chargeback_id}"


def escrow_account(order_id: str) -> str:
    return f"{ESCROW_PREFIX}{order_id}"


def seller_payable_account(seller_id: str) -> str:
    return f"{SELLER_PAYABLE_PREFIX}{seller_id}"


def seller_debt_account(seller_id: str) -> str:
    return f"{SELLER_DEBT_PREFIX}{seller_id}"


def is_escrow(account: str) -> bool:
    return account.startswith(ESCROW_PREFIX)


class EntryKind(StrEnum):
    PAYMENT_HELD = "payment_held"
    FUNDS_RELEASED = "funds_released"
    REFUND_RESERVED = "refund_reserved"
    REFUND_PAID_OUT = "refund_paid_out"
    REFUND_REVERSED = "refund_reversed"
    PLATFORM_COVERED = "platform_covered"
    DEBT_RECOVERED = "debt_recovered"
    SELLER_PAID_OUT = "seller_paid_out"
    CHARGEBACK_WITHDRAWN = "chargeback_withdrawn"
    CHARGEBACK_FEE = "chargeback_fee"
    CHARGEBACK_REINSTATED = "chargeback_reinstated"
    CHARGEBACK_RECOVERED = "chargeback_recovered"
    CHARGEBACK_BORNE = "chargeback_borne"
    REFUND_TO_CREDIT = "refund_to_credit"
    """A refund the buyer chose to take as store credit: paid at once, no provider."""
    CREDIT_COMPENSATION = "credit_compensation"
    """Compensation credit recovered from the seller (counterfeit)."""
    CREDIT_LATE_DELIVERY = "credit_late_delivery"
    """Compensation credit the platform bears (late delivery)."""
    ADVANCE_REPAID = "advance_repaid"
    """What a seller's balance advanced of a Fast Refund, back from escrow when the dispute
    ends (no commission: the refunded money never pays it)."""


CREDIT_FUNDING: dict[EntryKind, tuple[str, ...]] = {
    EntryKind.REFUND_TO_CREDIT: (ESCROW_PREFIX, SELLER_PAYABLE_PREFIX, PLATFORM_COMMISSION),
    EntryKind.CREDIT_COMPENSATION: (SELLER_PAYABLE_PREFIX,),
    EntryKind.CREDIT_LATE_DELIVERY: (PLATFORM_COMPENSATION,),
}
"""The only entries that may pay into a store-credit account, and the accounts (prefixes)
each may take the money from: ``ledger verify`` refuses any other."""


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class Move:
    source: str
    destination: str
    amount: int


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    kind: EntryKind
    occurred_at: datetime
    order_id: str | None
    postings: tuple[Posting, ...]
    memo: str = ""

    def __post_init__(self) -> None:
        assert_balanced(self.postings)


def assert_balanced(postings: Iterable[Posting]) -> None:
    totals: dict[str, int] = defaultdict(int)
    count = 0
    for posting in postings:
        if isinstance(posting.amount, bool) or not isinstance(posting.amount, int):
            raise LedgerInvariantBroken("posting amounts are integer minor units")
        totals[posting.currency] += posting.amount
        count += 1
    if count < 2:
        raise LedgerInvariantBroken("a journal entry needs at least two postings")
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise LedgerInvariantBroken(f"journal entry does not balance: {unbalanced}")


def journal_entry(
    *,
    entry_id: str,
    kind: EntryKind,
    occurred_at: datetime,
    order_id: str | None,
    currency: str,
    moves: Iterable[Move],
    memo: str = "",
) -> JournalEntry:
    """Build an entry from transfers; zero-amount moves are dropped, negative ones refused."""
    postings: list[Posting] = []
    for move in moves:
        if move.amount < 0:
            raise LedgerInvariantBroken(f"negative transfer {move.amount} in {kind}")
        if move.amount == 0:
            continue
        postings.append(Posting(move.source, currency, -move.amount))
        postings.append(Posting(move.destination, currency, move.amount))
    return JournalEntry(entry_id, kind, occurred_at, order_id, tuple(postings), memo)


def assert_escrow_covers(entry: JournalEntry, balances_before: Mapping[str, int]) -> None:
    """Refuse an entry that would take any escrow account below zero."""
    after: dict[str, int] = defaultdict(int)
    for posting in entry.postings:
        if is_escrow(posting.account):
            after[posting.account] += posting.amount
    for account, delta in after.items():
        if balances_before.get(account, 0) + delta < 0:
            raise LedgerInvariantBroken(
                f"{account} would go negative ({balances_before.get(account, 0)} + {delta})"
            )


def escrow_accounts_touched(entry: JournalEntry) -> set[str]:
    return {p.account for p in entry.postings if is_escrow(p.account)}


def payable_shortfalls(
    entry: JournalEntry, balances_before: Mapping[tuple[str, str], int]
) -> list[Posting]:
    """The seller accounts (with their currency and missing amount) that this entry would
    take below zero, given their balances before it."""
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for posting in entry.postings:
        if posting.account.startswith(SELLER_PAYABLE_PREFIX):
            deltas[(posting.account, posting.currency)] += posting.amount
    short: list[Posting] = []
    for (account, currency), delta in sorted(deltas.items()):
        after = balances_before.get((account, currency), 0) + delta
        if after < 0:
            short.append(Posting(account, currency, -after))
    return short


def seller_payables_credited(entry: JournalEntry) -> list[tuple[str, str]]:
    """Seller accounts (and currencies) this entry pays into: where a debt may be recovered."""
    return sorted(
        {
            (p.account, p.currency)
            for p in entry.postings
            if p.account.startswith(SELLER_PAYABLE_PREFIX) and p.amount > 0
        }
    )


def seller_of(payable_account: str) -> str:
    return payable_account.removeprefix(SELLER_PAYABLE_PREFIX)


@dataclass(frozen=True, slots=True)
class SellerBalanceEntries:
    """What goes with an entry that touches sellers' balances: ``covers`` written before
    it, ``recoveries`` after it."""

    covers: list[JournalEntry]
    recoveries: list[JournalEntry]


def seller_accounts_to_settle(entry: JournalEntry) -> tuple[list[str], list[tuple[str, str]]]:
    """The seller payables this entry takes from (a shortfall may need covering) and those
    it pays into, with their currencies (a debt may be recovered)."""
    debited = sorted({p.account for p in entry.postings
                      if p.account.startswith(SELLER_PAYABLE_PREFIX) and p.amount < 0})  # fmt: skip
    return debited, seller_payables_credited(entry)


def settle_seller_balances(
    entry: JournalEntry, balances_before: Mapping[tuple[str, str], int]
) -> SellerBalanceEntries:
    """The two rules of a seller's balance around one entry, given the balances before it
    (by account and currency) of the seller payables it touches and of their sellers' debt
    accounts:

    - shortfall cover: a clawback the seller's balance cannot pay is paid by the platform,
      and the seller owes it (the debt account goes below zero by as much);
    - debt recovery: money paid into a seller's balance first pays back what the seller
      owes, as far as the balance then allows."""
    covers: list[JournalEntry] = []
    for number, short in enumerate(payable_shortfalls(entry, balances_before), start=1):
        debt = seller_debt_account(seller_of(short.account))
        covers.append(journal_entry(
            entry_id=f"{entry.id}.cover{number}", kind=EntryKind.PLATFORM_COVERED,
            occurred_at=entry.occurred_at, order_id=entry.order_id, currency=short.currency,
            moves=[Move(debt, short.account, short.amount)],
            memo="the platform covers what the seller's balance cannot; the seller owes it",
        ))  # fmt: skip
    after = dict(balances_before)
    for written in (*covers, entry):
        for p in written.postings:
            after[(p.account, p.currency)] = after.get((p.account, p.currency), 0) + p.amount
    recoveries: list[JournalEntry] = []
    for number, (account, currency) in enumerate(seller_payables_credited(entry), start=1):
        debt = seller_debt_account(seller_of(account))
        take = min(-after.get((debt, currency), 0), after.get((account, currency), 0))
        if take <= 0:
            continue
        recoveries.append(journal_entry(
            entry_id=f"{entry.id}.debt{number}", kind=EntryKind.DEBT_RECOVERED,
            occurred_at=entry.occurred_at, order_id=entry.order_id, currency=currency,
            moves=[Move(account, debt, take)],
            memo="paid from the seller's balance towards what the seller owes",
        ))  # fmt: skip
        after[(account, currency)] -= take
        after[(debt, currency)] = after.get((debt, currency), 0) + take
    return SellerBalanceEntries(covers, recoveries)
