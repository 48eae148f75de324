"""Domain events: what happened, past tense. They feed the timeline and the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from refundkit.domain.roles import Role


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    subject_id: str
    order_id: str | None
    occurred_at: datetime
    actor_role: Role
    actor_id: str | None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TimerRequest:
    """Ask the worker to run ``kind`` on ``subject_id`` once ``due_at`` has passed.

    A timer never needs cancelling: its handler re-checks the deadline stored on the object
    and does nothing when the object has moved on (the deadline changed or the state left).
    """

    kind: str
    subject_id: str
    due_at: datetime
