"""The unit of work: one database transaction holding every repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from refundkit.adapters.db.chargeback_repository import SqlChargebackRepository
from refundkit.adapters.db.credit_repository import SqlCreditRepository
from refundkit.adapters.db.dispute_repository import SqlDisputeRepository
from refundkit.adapters.db.engine import READONLY_OPTION
from refundkit.adapters.db.file_repository import SqlFileRepository
from refundkit.adapters.db.ledger_repository import SqlLedgerRepository
from refundkit.adapters.db.notification_repository import SqlNotificationRepository
from refundkit.adapters.db.order_repository import SqlOrderRepository
from refundkit.adapters.db.psp_event_repository import SqlPspEventRepository
from refundkit.adapters.db.rate_limit_repository import SqlRateLimitCounters
from refundkit.adapters.db.refund_repository import SqlRefundRepository
from refundkit.adapters.db.standing_repository import SqlStandingRepository
from refundkit.adapters.db.support_repositories import (
    SqlEventStore,
    SqlIdempotencyStore,
    SqlPolicyRepository,
    SqlTimerStore,
    SqlTrackingRepository,
    SqlUserRepository,
)
from refundkit.adapters.db.web_repository import SqlReportRepository, SqlWebSessionRepository
from refundkit.adapters.db.webhook_repository import SqlWebhookRepository
from refundkit.adapters.metrics import Tally
from refundkit.adapters.secret_box import SecretBox
from refundkit.domain.errors import ConcurrentUpdate, Conflict, ValidationError
from refundkit.service.credit_ports import CreditRepository
from refundkit.service.file_ports import FileRepository
from refundkit.service.notification_records import NotificationRepository
from refundkit.service.ports import (
    DisputeRepository,
    EventStore,
    IdempotencyStore,
    LedgerRepository,
    OrderRepository,
    PolicyRepository,
    RateLimitCounters,
    RefundRepository,
    TimerStore,
    TrackingRepository,
    UserRepository,
    WebhookRepository,
)
from refundkit.service.psp_ports import ChargebackRepository, PspEventRepository
from refundkit.service.standing_ports import StandingRepository
from refundkit.service.web_ports import ReportRepository, WebSessionRepository

# PostgreSQL's serialization failure, deadlock and lock-not-available: safe to retry.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class SqlUnitOfWork:
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

    def __init__(self, engine: Engine, secrets: SecretBox, *, readonly: bool = False) -> None:
        self._engine = engine
        self._secrets = secrets
        self._readonly = readonly
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._readonly:
            conn = conn.execution_options(**{READONLY_OPTION: True})
        conn.begin()
        self._conn = conn
        self._tally = tally = Tally()
        self.orders = self._orders = SqlOrderRepository(conn)
        self.refunds = self._refunds = SqlRefundRepository(conn, tally)
        self.ledger = SqlLedgerRepository(conn, tally)
        self.events = self._events = SqlEventStore(conn)
        self.timers = SqlTimerStore(conn, tally)
        self.users = SqlUserRepository(conn)
        self.policies = SqlPolicyRepository(conn)
        self.idempotency = SqlIdempotencyStore(conn)
        self.tracking = SqlTrackingRepository(conn)
        self.disputes = self._disputes = SqlDisputeRepository(conn)
        self.files = SqlFileRepository(conn)
        self.webhooks = SqlWebhookRepository(conn, self._secrets, tally)
        self.notifications = SqlNotificationRepository(conn, tally)
        self.sessions = SqlWebSessionRepository(conn)
        self.reports = SqlReportRepository(conn)
        self.rate_limits = SqlRateLimitCounters(conn)
        self.psp_events = SqlPspEventRepository(conn)
        self.chargebacks = self._chargebacks = SqlChargebackRepository(conn)
        self.credit = SqlCreditRepository(conn)
        self.standing = SqlStandingRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
        finally:
            self._conn.close()
            self._conn = None
        if isinstance(exc, DBAPIError):
            raise translate_db_error(exc) from exc

    @property
    def connection(self) -> Connection:
        assert self._conn is not None
        return self._conn

    @contextmanager
    def savepoint(self) -> Iterator[object]:
        mark, counted = self._events.mark(), self._tally.mark()
        try:
            with self.connection.begin_nested() as nested:
                yield nested
        except BaseException:
            self._events.forget_after(mark)
            self._tally.forget_after(counted)
            for repository in (self._orders, self._refunds, self._disputes, self._chargebacks):
                repository.forget_seen()
            raise

    def commit(self) -> None:
        try:
            self._tally.events([(e.type, e.data) for e in self._events.written()])
            self._events.flush()
            self.connection.commit()
        except DBAPIError as exc:
            self._tally.counts.clear()
            raise translate_db_error(exc) from exc
        self._tally.committed()

    def rollback(self) -> None:
        self._tally.counts.clear()
        self.connection.rollback()


def translate_db_error(exc: DBAPIError) -> Exception:
    """Turn the database's word for a lost race into the domain's, so callers can retry."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return ConcurrentUpdate("the database asked for a retry")
    if "database is locked" in str(exc.orig):
        return ConcurrentUpdate("the database was busy")
    if isinstance(exc, IntegrityError):
        return Conflict("the change conflicts with existing data")
    if "cannot contain NUL" in str(exc.orig):
        # Text from a door the API's own checks do not guard (a form field, a file name).
        return ValidationError("text may not contain NUL (\\u0000) characters")
    return exc


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        """``secrets`` seals what must be stored encrypted (webhook signing secrets)."""
        self.engine = engine
        self.secrets = secrets

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.secrets, readonly=readonly)
