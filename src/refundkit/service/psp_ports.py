"""What the payment provider's side needs beyond refunds: its events, stored once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from refundkit.domain.chargebacks.model import Chargeback


@dataclass(frozen=True, slots=True)
class PspEvent:
    """An event a payment provider sent (verified already), in the provider's own shape."""

    provider: str
    id: str
    type: str
    created_at: datetime
    object: dict[str, Any]
    """``data.object``: the refund, dispute or charge the event is about."""

    @property
    def object_id(self) -> str | None:
        found = self.object.get("id")
        return str(found) if found is not None else None


class PspEventRepository(Protocol):
    def add_if_new(self, event: PspEvent, received_at: datetime) -> bool:
        """Store the event; False if its id was stored before (then nothing is written).
        A second delivery of the same event waits for the first one's transaction."""

    def set_result(self, provider: str, event_id: str, result: str) -> None: ...
    def result(self, provider: str, event_id: str) -> str | None: ...


class ChargebackRepository(Protocol):
    def add(self, chargeback: Chargeback) -> None: ...
    def get(self, chargeback_id: str, *, for_update: bool = False) -> Chargeback | None: ...
    def by_psp_reference(
        self, psp: str, psp_reference: str, *, for_update: bool = False
    ) -> Chargeback | None: ...
    def save(self, chargeback: Chargeback) -> None: ...
    def for_order(self, order_id: str) -> list[Chargeback]:
        """Oldest first."""

    def for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Chargeback]]:
        """The chargebacks of each order, oldest first, in one read for them all."""
        ...

    def order_paid_with(self, references: Sequence[str]) -> str | None:
        """The order whose ``payment_reference`` is one of these (a charge, an intent)."""
