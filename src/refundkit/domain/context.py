"""What every domain command is given: the time, who acts, the rules, and the ports it needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from refundkit.domain.calendar import HolidayCalendar
from refundkit.domain.credit_policy import SellerReturnless
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.ledger import JournalEntry
from refundkit.domain.policy import Policy
from refundkit.domain.refunds import Refund
from refundkit.domain.roles import Role


class IdGenerator(Protocol):
    def new(self, prefix: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    id: str | None = None


SYSTEM_ACTOR = Actor(Role.SYSTEM, None)


@dataclass(frozen=True, slots=True)
class Context:
    now: datetime
    actor: Actor
    policy: Policy
    calendar: HolidayCalendar
    ids: IdGenerator
    seller_returnless: Callable[[str], SellerReturnless | None] = field(
        default=lambda seller_id: None
    )
    """A seller's own returnless limits (read only when a policy rule would waive a
    return); the default knows none."""


@dataclass
class Outcome:
    """Everything one command produced; the service writes it all in one transaction."""

    events: list[Event] = field(default_factory=list)
    timers: list[TimerRequest] = field(default_factory=list)
    entries: list[JournalEntry] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)

    def merge(self, other: Outcome) -> Outcome:
        self.events.extend(other.events)
        self.timers.extend(other.timers)
        self.entries.extend(other.entries)
        self.refunds.extend(other.refunds)
        return self
