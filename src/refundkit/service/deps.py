"""What the use cases run with: ports and the rules in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from refundkit.domain.calendar import HolidayCalendar
from refundkit.domain.context import Actor, Context, IdGenerator
from refundkit.domain.money import CurrencyCatalog
from refundkit.service.notification_records import Mailer
from refundkit.service.policy_book import PolicyBook
from refundkit.service.ports import Clock, PaymentGateway, UnitOfWork, UnitOfWorkFactory
from refundkit.service.records import User
from refundkit.service.user_cache import KeyCache, PartyCache
from refundkit.service.webhook_records import WebhookSender, WebhookTargetCheck


class EvidenceAttacher(Protocol):
    """Attach uploaded files to a dispute, at most ``max_files`` on it; answers how many the
    dispute now holds."""

    def __call__(
        self, uow: UnitOfWork, user: User, dispute_id: str, file_ids: Sequence[str],
        max_files: int, note: str = "",
    ) -> int: ...  # fmt: skip


class ObjectRenderer(Protocol):
    def __call__(
        self, deps: Deps, uow: UnitOfWork, kind: str, object_id: str
    ) -> dict[str, Any] | None:
        """The ``order``, ``dispute`` or ``refund`` as the API shows it (None: gone)."""


@dataclass
class Deps:
    uow: UnitOfWorkFactory
    clock: Clock
    policies: PolicyBook
    calendar: HolidayCalendar
    ids: IdGenerator
    currencies: CurrencyCatalog
    payments: PaymentGateway
    sandbox: bool = False
    attach_evidence: EvidenceAttacher | None = None
    """Attaches uploaded files to a dispute (the evidence store); None: uploads are off."""
    webhook_sender: WebhookSender | None = None
    """Posts webhooks; None: events stay queued in the outbox until a sender runs."""
    render_object: ObjectRenderer | None = None
    """Renders the object an event is about into the event (webhooks carry it); None: not."""
    mailer: Mailer | None = None
    """Sends notifications (SMTP, or the mail log); None: they stay queued."""
    webhook_targets: WebhookTargetCheck | None = None
    """Vets a webhook endpoint's host when it is registered (resolving it); None: only
    literal addresses and loopback names are vetted then. The sender vets it again."""
    wall_clock: Clock | None = None
    """Real time, for what lives by real time whatever the sandbox clock says (idempotency
    keys: 24 hours of wall-clock time, as Stripe keeps them); None: ``clock``."""
    keys: KeyCache = field(default_factory=KeyCache)
    """The users behind API keys, for a few seconds (``service/user_cache.py``)."""
    parties: PartyCache = field(default_factory=PartyCache)
    """Buyers and sellers by id as an order placement reads them (they never change)."""

    def real_now(self) -> datetime:
        return (self.wall_clock or self.clock).now()

    def context(self, uow: UnitOfWork, actor: Actor, policy_version: str | None = None) -> Context:
        policy = (
            self.policies.active
            if policy_version is None
            else self.policies.for_version(uow, policy_version)
        )
        return Context(self.clock.now(), actor, policy, self.calendar, self.ids,
                       uow.credit.seller_returnless)  # fmt: skip
