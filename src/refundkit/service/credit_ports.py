"""What the store-credit and returnless use cases need from storage (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from refundkit.domain.credit_policy import SellerReturnless


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One journal entry as it touched a buyer's credit: ``amount`` is signed (positive:
    credit granted)."""

    entry_id: str
    kind: str
    occurred_at: datetime
    order_id: str | None
    currency: str
    amount: int
    memo: str


class CreditRepository(Protocol):
    def seller_returnless(self, seller_id: str) -> SellerReturnless | None: ...
    def set_seller_returnless(
        self, seller_id: str, rules: SellerReturnless, *, now: datetime, by: str
    ) -> None: ...
    def balances(self, buyer_id: str) -> dict[str, int]:
        """The buyer's credit by currency (currencies never credited are absent)."""

    def entries(
        self, buyer_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> list[CreditEntry]:  # fmt: skip
        """Newest first."""

    def granted_for_order(self, order_id: str, kind: str) -> bool:
        """Whether an entry of ``kind`` already paid credit on this order."""
