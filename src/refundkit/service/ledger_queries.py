"""Reading the ledger: an order's entries and any account's balance at any moment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from refundkit.domain.errors import NotFound
from refundkit.domain.ledger import SELLER_PAYABLE_PREFIX, JournalEntry
from refundkit.domain.roles import Role
from refundkit.service.access import SEES_EVERYTHING, visible_order
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User


def order_entries(
    uow: UnitOfWork, user: User, order_id: str, *, starting_after: str | None, limit: int
) -> tuple[Sequence[JournalEntry], bool]:
    visible_order(uow, user, order_id)
    found = uow.ledger.entries_for_order(order_id, starting_after=starting_after, limit=limit + 1)
    return found[:limit], len(found) > limit


def account_balance(
    uow: UnitOfWork, user: User, account: str, at: datetime | None
) -> dict[str, int]:
    """The platform and agents see every account; a seller sees only their own payable."""
    own = user.role is Role.SELLER and account == f"{SELLER_PAYABLE_PREFIX}{user.id}"
    if user.role not in SEES_EVERYTHING and not own:
        raise NotFound(f"no account {account}")
    return uow.ledger.balance(account, at=at)
