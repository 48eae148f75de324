"""What the standing use cases need from storage (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from refundkit.domain.standing.buyer import BuyerFacts
from refundkit.domain.standing.seller import ChargebackFact, DisputeFact


@dataclass(frozen=True, slots=True)
class SellerFacts:
    orders: int
    """The seller's orders paid in the window."""
    disputes: tuple[DisputeFact, ...]
    chargebacks: tuple[ChargebackFact, ...]
    excluded: frozenset[str] = frozenset()
    """Orders whose defect an agent agreed to exclude."""


@dataclass(frozen=True, slots=True)
class BuyerFactsRead:
    facts: BuyerFacts
    cleared: dict[str, datetime]
    """Each signal's latest clearance by an agent."""


@dataclass
class Exclusion:
    id: str
    seller_id: str
    order_id: str
    reason: str
    status: str
    """``pending``, ``accepted`` or ``refused``."""
    requested_at: datetime
    decided_by: str | None = None
    note: str | None = None
    decided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Clearance:
    id: str
    buyer_id: str
    signal: str
    note: str
    cleared_by: str
    cleared_at: datetime


@dataclass
class UsedReturnReport:
    id: str
    dispute_id: str
    buyer_id: str
    condition: str
    """``used`` or ``incomplete``."""
    note: str
    status: str
    """``pending``, then ``accepted`` (a deduction) or ``refused`` (none)."""
    deduction: int
    reported_at: datetime
    decided_by: str | None = None
    decision_note: str | None = None
    decided_at: datetime | None = None


class StandingRepository(Protocol):
    def seller_facts(self, seller_id: str, since: datetime) -> SellerFacts: ...
    def buyer_facts(self, buyer_id: str, since: datetime) -> BuyerFactsRead: ...
    def parties_facts(
        self, seller_id: str, seller_since: datetime, buyer_id: str, buyer_since: datetime
    ) -> tuple[SellerFacts, BuyerFactsRead]:
        """Both reads above in one statement."""

    def exclusions(self, seller_id: str) -> list[Exclusion]: ...
    def exclusion(self, exclusion_id: str, *, for_update: bool = False) -> Exclusion | None: ...
    def add_exclusion(self, exclusion: Exclusion) -> bool:
        """False when the order already has a request (the unique order id)."""

    def save_exclusion(self, exclusion: Exclusion) -> None: ...
    def clearances(self, buyer_id: str) -> list[Clearance]: ...
    def add_clearance(self, clearance: Clearance) -> None: ...
    def report(self, report_id: str, *, for_update: bool = False) -> UsedReturnReport | None: ...
    def report_for(self, dispute_id: str) -> UsedReturnReport | None: ...
    def add_report(self, report: UsedReturnReport) -> bool: ...
    def save_report(self, report: UsedReturnReport) -> None: ...
