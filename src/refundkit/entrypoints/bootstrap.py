"""The composition root: builds the service's dependencies from the environment.

It lives with the entry points (not in ``service/``) because it is the one place that
knows every adapter; the service layer only knows the ports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from refundkit.adapters.currencies import Iso4217Catalog
from refundkit.adapters.db.engine import create_engine, database_url
from refundkit.adapters.db.migrate import upgrade
from refundkit.adapters.db.sandbox_clock_store import SqlSandboxClockStore
from refundkit.adapters.db.uow import SqlUnitOfWorkFactory
from refundkit.adapters.db.webhook_repository import seal_stored_secrets
from refundkit.adapters.holiday_calendar import HolidaysCalendar
from refundkit.adapters.ids import default_ids
from refundkit.adapters.mail import mailer_from_env
from refundkit.adapters.payments.choice import payment_gateway
from refundkit.adapters.policy_files import (
    default_policy_text,
    load_policy_text,
    load_stored_policy_text,
)
from refundkit.adapters.secret_box import SecretBox
from refundkit.adapters.settings import load as load_settings
from refundkit.adapters.webhook_sender import HttpWebhookSender
from refundkit.adapters.webhook_targets import WebhookTargets
from refundkit.domain.webhook_targets import parse_allow_list
from refundkit.entrypoints.api.object_views import ObjectViews
from refundkit.service import files, transactions
from refundkit.service.deps import Deps
from refundkit.service.policy_book import PolicyBook
from refundkit.service.ports import Clock
from refundkit.service.timers import SandboxClock
from refundkit.service.user_cache import KeyCache
from refundkit.service.users import ensure_platform_key


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Runtime:
    deps: Deps
    engine: Engine
    sandbox_clock: SandboxClock | None
    clock_engine: Engine | None = None

    def close(self) -> None:
        """Close every database connection this runtime opened."""
        self.engine.dispose()
        if self.clock_engine is not None:
            self.clock_engine.dispose()


def build(
    *,
    url: str | None = None,
    sandbox: bool = False,
    policy_path: Path | None = None,
    migrate: bool = True,
    sandbox_start: datetime | None = None,
    webhook_allow_private: str | None = None,
    secret_key: str | None = None,
) -> Runtime:
    """``webhook_allow_private`` and ``secret_key`` stand for REFUNDKIT_WEBHOOK_ALLOW_PRIVATE
    and REFUNDKIT_SECRET_KEY (the benchmark's own throwaway database sets them)."""
    url = url or database_url()
    engine = create_engine(url)
    if migrate:
        upgrade(engine)
    text = policy_path.read_text() if policy_path else default_policy_text()
    policies = PolicyBook(load_policy_text(text), text, load_stored_policy_text)
    calendar = HolidaysCalendar()
    sandbox_clock: SandboxClock | None = None
    clock_engine: Engine | None = None
    clock: Clock = SystemClock()
    if sandbox:
        start = sandbox_start or datetime.now(UTC).replace(microsecond=0)
        # The clock is read inside other transactions: its own small pool, so a busy main
        # pool can never leave a transaction waiting for a connection to read the time.
        clock_engine = create_engine(url, pool_size=2, max_overflow=100)
        sandbox_clock = SandboxClock(SqlSandboxClockStore(clock_engine), start)
        clock = sandbox_clock
    secrets = (SecretBox(secret_key, sandbox=sandbox) if secret_key is not None
               else SecretBox.from_env(sandbox=sandbox))  # fmt: skip
    with engine.begin() as conn:
        seal_stored_secrets(conn, secrets)
    targets = WebhookTargets(
        parse_allow_list(
            webhook_allow_private if webhook_allow_private is not None
            else os.environ.get("REFUNDKIT_WEBHOOK_ALLOW_PRIVATE", ""),
            allow_loopback=sandbox,
        )
    )  # fmt: skip
    deps = Deps(
        uow=SqlUnitOfWorkFactory(engine, secrets),
        clock=clock,
        policies=policies,
        calendar=calendar,
        ids=default_ids,
        currencies=Iso4217Catalog(),
        payments=payment_gateway(os.environ, calendar),
        sandbox=sandbox,
        webhook_sender=HttpWebhookSender(targets),
        webhook_targets=targets,
        render_object=ObjectViews(),
        mailer=mailer_from_env(),
        wall_clock=SystemClock(),
        keys=KeyCache(load_settings().api_key_cache_seconds),
    )
    deps.attach_evidence = files.attacher(deps)
    transactions.run(deps, lambda uow: policies.register_active(uow, deps.clock.now()))
    secret = load_settings().platform_key
    platform_key = secret.get_secret_value() if secret is not None else None
    if platform_key:
        transactions.run(deps, lambda uow: ensure_platform_key(deps, uow, platform_key))
    return Runtime(deps, engine, sandbox_clock, clock_engine)
