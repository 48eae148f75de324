"""The platform reports payouts of sellers' balances; a seller reads their own balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.context import Outcome
from refundkit.domain.errors import NotFound
from refundkit.domain.events import Event
from refundkit.domain.ledger import seller_debt_account, seller_payable_account
from refundkit.domain.payouts import payout_entry
from refundkit.domain.roles import Role
from refundkit.service.access import SEES_EVERYTHING
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.transactions import record


@dataclass(frozen=True, slots=True)
class SellerBalance:
    seller_id: str
    at: datetime | None
    payable: dict[str, int]
    """Held for the seller: released to them, not yet paid out."""
    owed: dict[str, int]
    """What the seller owes the platform for refunds it covered (positive amounts)."""


def _seller(uow: UnitOfWork, seller_id: str) -> User:
    seller = uow.users.get(seller_id)
    if seller is None or seller.role is not Role.SELLER:
        raise NotFound(f"no seller {seller_id}")
    return seller


def record_payout(
    deps: Deps, uow: UnitOfWork, user: User, seller_id: str, currency: str,
    amount: int, reference: str,
) -> SellerBalance:  # fmt: skip
    if user.role not in (Role.PLATFORM, Role.ADMIN):
        raise NotFound("no such endpoint for this key")
    _seller(uow, seller_id)
    account = seller_payable_account(seller_id)
    uow.ledger.lock_account(account)
    balance = uow.ledger.balances_by_currency([account]).get((account, currency), 0)
    now = deps.clock.now()
    entry = payout_entry(entry_id=deps.ids.new("je"), seller_id=seller_id, currency=currency,
                         amount=amount, balance=balance, now=now, reference=reference)  # fmt: skip
    event = Event("seller.paid_out", entry.id, None, now, user.role, user.id,
                  {"seller_id": seller_id, "amount": amount, "currency": currency,
                   "reference": reference})  # fmt: skip
    record(uow, Outcome(events=[event], entries=[entry]))
    return seller_balance(uow, user, seller_id, None)


def seller_balance(
    uow: UnitOfWork, user: User, seller_id: str, at: datetime | None
) -> SellerBalance:
    """A seller sees their own; the platform and agents see every seller's."""
    if user.role not in SEES_EVERYTHING and user.id != seller_id:
        raise NotFound(f"no seller {seller_id}")
    _seller(uow, seller_id)
    payable = uow.ledger.balance(seller_payable_account(seller_id), at=at)
    debt = uow.ledger.balance(seller_debt_account(seller_id), at=at)
    return SellerBalance(
        seller_id=seller_id,
        at=at,
        payable={c: v for c, v in sorted(payable.items()) if v},
        owed={c: -v for c, v in sorted(debt.items()) if v},
    )
