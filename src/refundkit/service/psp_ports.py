"""What the payment provider's side needs beyond refunds: its events, stored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


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
