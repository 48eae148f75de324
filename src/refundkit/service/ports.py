"""The ports the use cases need; adapters implement them (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Protocol

from refundkit.domain.disputes.appeals import Appeal
from refundkit.domain.disputes.model import Dispute, DisputeStatus
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.ledger import JournalEntry
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.refunds import Eta, PaymentMethod, Refund
from refundkit.domain.roles import Role
from refundkit.domain.webhooks import DeliveryStatus, EndpointStatus, WebhookEndpoint
from refundkit.service.credit_ports import CreditRepository
from refundkit.service.file_ports import FileRepository
from refundkit.service.notification_records import NotificationRepository
from refundkit.service.psp_ports import ChargebackRepository, PspEventRepository
from refundkit.service.records import (
    DisputeNote,
    DueTimer,
    IdempotencyRecord,
    StoredEvent,
    TrackingScan,
    User,
)
from refundkit.service.standing_ports import StandingRepository
from refundkit.service.web_ports import ReportRepository, WebSessionRepository
from refundkit.service.webhook_records import Attempt, Delivery, DueDelivery


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class PspRefund:
    status: Literal["pending", "succeeded", "failed"]
    psp_reference: str | None
    """The provider's own id of the refund (None: refused before the provider made one)."""
    eta: Eta | None = None
    failure_reason: str | None = None


class PspUnavailable(Exception):
    """The provider could not answer now (rate limit, connection, its own outage): the
    worker retries later with the same idempotency key, so nothing is refunded twice."""


class PaymentGateway(Protocol):
    """The PSP. ``idempotency_key`` is the refund's id: a retry never refunds twice.

    A call the provider could not answer raises ``PspUnavailable`` (or ``TimeoutError``);
    a refusal is a ``failed`` answer with the provider's reason (kept for staff)."""

    name: str
    """``sandbox`` or ``stripe``: stored on each refund it executes."""

    def refund(
        self,
        *,
        idempotency_key: str,
        order_id: str,
        payment_reference: str | None,
        amount: int,
        currency: str,
        method: PaymentMethod,
        buyer_country: str,
        now: datetime,
    ) -> PspRefund: ...

    def refund_status(self, psp_reference: str, now: datetime) -> PspRefund: ...

    def submit_chargeback_evidence(self, psp_reference: str, evidence: str) -> None:
        """Answer the bank's chargeback with ``evidence`` (the refunds already made)."""


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...
    def get_by_refund(self, refund_id: str, *, for_update: bool = False) -> Order | None:
        """The order a refund belongs to, found by the refund's id in the same statement."""
        ...

    def seen(self, order_id: str) -> Order | None:
        """The instance this transaction last loaded, added or saved (no query), if any."""

    def get_many(self, order_ids: Sequence[str], *, for_update: bool = False) -> list[Order]:
        """The orders that exist among ``order_ids`` (in id order), read together."""

    def save(self, order: Order) -> None:
        """Write the changes; raises ``ConcurrentUpdate`` if someone saved first."""

    def save_many(self, orders: Sequence[Order]) -> None:
        """``save`` for many orders at once (batched statements)."""

    def search(
        self,
        *,
        buyer_id: str | None,
        seller_id: str | None,
        status: OrderStatus | None,
        starting_after: str | None,
        limit: int,
        ending_before: str | None = None,
    ) -> Sequence[Order]: ...


class RefundRepository(Protocol):
    def add(self, refund: Refund) -> None: ...
    def get(self, refund_id: str, *, for_update: bool = False) -> Refund | None: ...
    def seen(self, refund_id: str) -> Refund | None:
        """The instance this transaction last loaded, added or saved (no query), if any."""

    def save(self, refund: Refund) -> None: ...
    def by_psp_reference(self, psp_reference: str, *, for_update: bool = False) -> Refund | None:
        """The refund the provider knows by this id (its webhooks name it so)."""

    def list_for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[Refund]: ...  # fmt: skip


class LedgerRepository(Protocol):
    def append(self, entry: JournalEntry) -> None: ...
    def append_many(self, entries: Sequence[JournalEntry]) -> None: ...
    def balances(self, accounts: Sequence[str]) -> dict[str, int]: ...
    def balances_by_currency(self, accounts: Sequence[str]) -> dict[tuple[str, str], int]: ...
    def totals_by_prefix(
        self, prefixes: Sequence[str], *, at: datetime | None = None
    ) -> dict[tuple[str, str], int]: ...
    def lock_account(self, account: str) -> None:
        """Serialize the transactions that move one account (a seller's balance)."""

    def balance(self, account: str, *, at: datetime | None = None) -> dict[str, int]:
        """Per currency, counting entries that occurred at or before ``at``."""

    def entries_for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[JournalEntry]: ...  # fmt: skip


class EventStore(Protocol):
    def add(self, events: Sequence[Event]) -> None: ...
    def written(self) -> list[StoredEvent]:
        """The events this transaction wrote and still holds (a savepoint rolled back drops
        its own), oldest first."""

    def attach_objects(self, objects: dict[str, dict[str, Any]]) -> None:
        """Store, by event id, the object each event is about as it stands now."""

    def for_order(
        self, order_id: str, *, starting_after: str | None, limit: int,
        ending_before: str | None = None,
    ) -> Sequence[StoredEvent]: ...  # fmt: skip


class TimerStore(Protocol):
    def schedule(self, requests: Sequence[TimerRequest]) -> None: ...
    def claim_due(self, now: datetime, limit: int) -> Sequence[DueTimer]:
        """Lock unfired timers due by ``now``, oldest first, skipping ones locked elsewhere."""

    def mark_fired(self, timer_id: int, fired_at: datetime, result: str) -> None: ...
    def mark_fired_many(self, fired: Sequence[tuple[int, str]], fired_at: datetime) -> None: ...
    def postpone(self, timer_id: int, until: datetime, error: str) -> None:
        """A handler failed unexpectedly: try again at ``until``, never drop the deadline."""

    def next_due_at(self) -> datetime | None: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User | None: ...
    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        """The users that exist among ``user_ids``, by id (one read)."""

    def by_email(self, email: str) -> User | None: ...
    def add_api_key(self, user_id: str, key_hash: str, created_at: datetime) -> None: ...
    def set_password_hash(self, user_id: str, password_hash: str) -> None: ...
    def by_api_key_hash(self, key_hash: str) -> User | None:
        """The user of a key that is not revoked."""
        ...

    def api_key_revoked(self, key_hash: str) -> bool: ...
    def revoke_api_keys(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        """Revoke every live key of the user but ``keep`` (a hash); answers how many."""
        ...

    def count(self) -> int: ...
    def with_role(self, role: Role) -> list[User]: ...


class PolicyRepository(Protocol):
    def get_text(self, version: str) -> str | None: ...
    def add(self, version: str, text: str, registered_at: datetime) -> None: ...


class IdempotencyStore(Protocol):
    def get(self, principal_id: str, key: str) -> IdempotencyRecord | None: ...
    def add(self, record: IdempotencyRecord) -> None: ...
    def remove(self, principal_id: str, key: str) -> None: ...


class RateLimitCounters(Protocol):
    def hit(self, principal_id: str, action: str, window_start: datetime) -> int:
        """Count one more of ``action`` in the window starting then; the new count."""

    def forget_before(self, principal_id: str, moment: datetime) -> None:
        """Drop the account's counters of windows that began before ``moment``."""

    def counts_since(self, principal_id: str, action: str, since: datetime) -> list[
        tuple[datetime, int]
    ]:  # fmt: skip
        """The counts of ``action`` in the windows that began at or after ``since``, oldest
        window first."""

    def forget_action_before(self, action: str, moment: datetime) -> None:
        """Drop every principal's counters of ``action`` in windows that began before
        ``moment``."""


class TrackingRepository(Protocol):
    def add_if_new(self, scan: TrackingScan) -> bool: ...
    def orders_with_tracking(self, carrier: str, tracking_number: str) -> Sequence[str]: ...
    def for_tracking(self, carrier: str, tracking_number: str) -> Sequence[TrackingScan]: ...
    def buyers_with_tracking(self, carrier: str, tracking_number: str) -> dict[str, str]: ...
    def carriers_of(self, tracking_number: str) -> list[str]:
        """Every carrier name an order or a dispute's return was shipped with under this
        tracking number."""


class DisputeRepository(Protocol):
    def add(self, d: Dispute) -> None: ...
    def get(self, dispute_id: str, *, for_update: bool = False) -> Dispute | None: ...
    def seen(self, dispute_id: str) -> Dispute | None:
        """The instance this transaction last loaded, added or saved (no query), if any."""

    def save(self, d: Dispute) -> None: ...
    def for_order(self, order_id: str) -> list[Dispute]: ...
    def for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Dispute]]:
        """Every dispute of each order, oldest first, in one read for them all."""
        ...

    def search(
        self, *, buyer_id: str | None, seller_id: str | None, status: DisputeStatus | None,
        starting_after: str | None, limit: int, queue: bool = False,
        ending_before: str | None = None,
    ) -> list[Dispute]: ...  # fmt: skip
    def search_with_currency(
        self,
        *,
        buyer_id: str | None,
        seller_id: str | None,
        status: DisputeStatus | None,
        starting_after: str | None,
        limit: int,
        queue: bool = False,
        ending_before: str | None = None,
    ) -> list[tuple[Dispute, str]]:
        """``search``, each dispute with its order's currency, in one statement."""
        ...

    def returns_in_transit(self, carrier: str, tracking_number: str) -> list[Dispute]: ...
    def add_note(self, note: DisputeNote) -> None: ...
    def notes(self, dispute_id: str) -> list[DisputeNote]: ...
    def add_evidence_request(
        self, request_id: str, dispute_id: str, party: str, requested_by: str, note: str,
        due_by: datetime, created_at: datetime,
    ) -> None: ...  # fmt: skip
    def evidence_requests(self, dispute_id: str) -> list[dict[str, Any]]: ...
    def add_appeal(self, appeal: Appeal) -> None: ...
    def appeals(self, *, status: str | None, limit: int) -> list[dict[str, Any]]: ...
    def open_appeal(self, dispute_id: str) -> dict[str, Any] | None: ...
    def close_appeal(self, appeal_id: str, status: str) -> bool: ...


class WebhookRepository(Protocol):
    def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...
    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...
    def endpoints(self, *, enabled_only: bool = False) -> list[WebhookEndpoint]: ...
    def set_endpoint_status(
        self, endpoint_id: str, status: EndpointStatus, reason: str | None
    ) -> bool: ...
    def unpublished_events(self, limit: int) -> list[StoredEvent]: ...
    def publish(
        self, event_ids: Sequence[str], deliveries: Sequence[tuple[str, str]], now: datetime
    ) -> None: ...
    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DueDelivery]: ...
    def record_attempt(self, attempt: Attempt) -> None: ...
    def record_attempts(self, attempts: Sequence[Attempt]) -> None:
        """A batch's attempts in one statement."""
        ...

    def finish_succeeded(self, claimed: Sequence[tuple[int, int]], now: datetime) -> int:
        """Mark delivered the ``(delivery id, claimed attempt)`` pairs still pending at
        that attempt, in one statement; answers how many."""
        ...

    def finish(
        self,
        delivery_id: int,
        claimed_attempt: int,
        status: DeliveryStatus,
        *,
        next_attempt_at: datetime,
        delivered_at: datetime | None,
    ) -> bool:
        """Book a sender's result, only while its claim still holds (still pending, and no
        one claimed it since): a sender whose lease ran out books nothing."""  # fmt: skip

    def redeliver(self, delivery_id: int, now: datetime) -> bool: ...
    def delivery(self, delivery_id: int) -> Delivery | None: ...
    def deliveries(
        self, endpoint_id: str, *, starting_after: int | None, limit: int,
        ending_before: int | None = None,
    ) -> list[Delivery]: ...  # fmt: skip


class SandboxClockStore(Protocol):
    def read(self) -> datetime | None: ...
    def write(self, now: datetime) -> None: ...


class UnitOfWork(Protocol):
    orders: OrderRepository
    refunds: RefundRepository
    ledger: LedgerRepository
    events: EventStore
    timers: TimerStore
    users: UserRepository
    policies: PolicyRepository
    idempotency: IdempotencyStore
    tracking: TrackingRepository
    disputes: DisputeRepository
    files: FileRepository
    webhooks: WebhookRepository
    notifications: NotificationRepository
    sessions: WebSessionRepository
    reports: ReportRepository
    rate_limits: RateLimitCounters
    psp_events: PspEventRepository
    chargebacks: ChargebackRepository
    credit: CreditRepository
    standing: StandingRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def savepoint(self) -> AbstractContextManager[object]:
        """A nested transaction: leaving it by an exception undoes only its own changes."""


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
