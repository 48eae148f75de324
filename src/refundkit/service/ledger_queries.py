"""Reading the ledger: an order's entries and any account's balance at any moment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.errors import NotFound
from refundkit.domain.ledger import (
    ESCROW_PREFIX,
    PLATFORM_COMMISSION,
    PLATFORM_COMPENSATION,
    REFUNDS_IN_FLIGHT,
    SELLER_DEBT_PREFIX,
    SELLER_PAYABLE_PREFIX,
    STORE_CREDIT_PREFIX,
    JournalEntry,
    seller_debt_account,
    seller_payable_account,
)
from refundkit.domain.roles import Role
from refundkit.service.access import SEES_EVERYTHING, visible_order
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User


def order_entries(
    uow: UnitOfWork, user: User, order_id: str, *, starting_after: str | None, limit: int,
    ending_before: str | None = None,
) -> tuple[Sequence[JournalEntry], bool]:  # fmt: skip
    visible_order(uow, user, order_id)
    found = uow.ledger.entries_for_order(order_id, starting_after=starting_after, limit=limit + 1,
                                         ending_before=ending_before)  # fmt: skip
    return window(found, limit, backwards=ending_before is not None)


def account_balance(
    uow: UnitOfWork, user: User, account: str, at: datetime | None
) -> dict[str, int]:
    """The platform and agents see every account; a seller sees only their own balance and
    their own debt."""
    own = user.role is Role.SELLER and account in (
        seller_payable_account(user.id),
        seller_debt_account(user.id),
    )
    if user.role not in SEES_EVERYTHING and not own:
        raise NotFound(f"no account {account}")
    return uow.ledger.balance(account, at=at)


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """Where the money is, per currency, now or at a past moment."""

    at: datetime | None
    escrow: dict[str, int]
    """Held for orders not yet completed."""
    sellers_payable: dict[str, int]
    """Owed to sellers (released, not yet paid out)."""
    refunds_in_flight: dict[str, int]
    """Reserved for refunds the PSP has not yet paid."""
    platform_commission: dict[str, int]
    platform_cover: dict[str, int]
    """Paid by the platform for refunds the sellers' balances could not: what sellers owe."""
    store_credit: dict[str, int]
    """Buyers' store credit: what the platform owes buyers to spend in the shop."""
    platform_compensation: dict[str, int]
    """What compensation credit the platform bore itself (late deliveries), positive."""


def summary(uow: UnitOfWork, user: User, at: datetime | None) -> LedgerSummary:
    if user.role not in SEES_EVERYTHING:
        raise NotFound("no such endpoint for this key")
    totals = uow.ledger.totals_by_prefix(
        [ESCROW_PREFIX, SELLER_PAYABLE_PREFIX, SELLER_DEBT_PREFIX, REFUNDS_IN_FLIGHT,
         PLATFORM_COMMISSION, STORE_CREDIT_PREFIX, PLATFORM_COMPENSATION], at=at,
    )  # fmt: skip

    def of(prefix: str, sign: int = 1) -> dict[str, int]:
        return {c: sign * v for (p, c), v in sorted(totals.items()) if p == prefix and v}

    return LedgerSummary(
        at=at,
        escrow=of(ESCROW_PREFIX),
        sellers_payable=of(SELLER_PAYABLE_PREFIX),
        refunds_in_flight=of(REFUNDS_IN_FLIGHT),
        platform_commission=of(PLATFORM_COMMISSION),
        platform_cover=of(SELLER_DEBT_PREFIX, -1),
        store_credit=of(STORE_CREDIT_PREFIX),
        platform_compensation=of(PLATFORM_COMPENSATION, -1),
    )
