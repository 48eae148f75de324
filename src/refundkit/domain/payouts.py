"""Payouts: the marketplace pays a seller's balance out to the seller's bank.

refundkit does not move that money itself; the platform reports each payout so that the
seller's balance in the ledger is the money the platform still holds for them, which is what
a later clawback can take.
"""

from __future__ import annotations

from datetime import datetime

from refundkit.domain.errors import InvalidAmount
from refundkit.domain.ledger import (
    PSP_CLEARING,
    EntryKind,
    JournalEntry,
    Move,
    journal_entry,
    seller_payable_account,
)


def payout_entry(
    *, entry_id: str, seller_id: str, currency: str, amount: int, balance: int, now: datetime,
    reference: str,
) -> JournalEntry:  # fmt: skip
    """Take ``amount`` out of the seller's balance, never more than it holds."""
    if amount <= 0:
        raise InvalidAmount("a payout must be greater than zero", field="amount")
    if amount > balance:
        raise InvalidAmount(
            f"the payout of {amount} exceeds the seller's balance of {balance} {currency}",
            field="amount",
        )
    return journal_entry(
        entry_id=entry_id,
        kind=EntryKind.SELLER_PAID_OUT,
        occurred_at=now,
        order_id=None,
        currency=currency,
        moves=[Move(seller_payable_account(seller_id), PSP_CLEARING, amount)],
        memo=f"payout {reference}" if reference else "payout",
    )
