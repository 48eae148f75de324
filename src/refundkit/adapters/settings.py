"""Every ``REFUNDKIT_*`` setting in one typed object (pydantic-settings), checked at start.

``load()`` reads the environment each time it is called (tests change it); ``startup()``
is what ``serve`` and ``worker`` run first: it refuses, with a message naming the setting,
a value of the wrong shape, a production start without a platform key, the sandbox on a
production deployment, and a ``REFUNDKIT_`` name that is not a setting but close to one (a
typo that would otherwise be silently ignored). ``refundkit config`` prints ``shown()``.

A setting added elsewhere is declared here too (and listed in docs/operations.md)."""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from refundkit.domain.errors import ValidationError as RefundkitValidationError

PREFIX = "REFUNDKIT_"

ELSEWHERE = frozenset({
    "TEST_POSTGRES_URL", "REQUIRE_POSTGRES", "REQUIRE_BROWSER", "REQUIRE_NODE", "LONG_TESTS",
    "MODEL_SEED", "RELIABILITY_FIGURES",
})  # fmt: skip
"""Names the test suite reads, not the service: known, so never called a typo."""


class SettingsError(Exception):
    """A setting is wrong; the message names it and says what it should be."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, case_sensitive=False, extra="ignore", frozen=True
    )

    environment: Literal["development", "production"] = Field(
        "development", description="production refuses to start without a platform key or "
        "with the sandbox")  # fmt: skip
    database_url: str | None = Field(
        None, description="SQLAlchemy URL (postgresql://user:pass@host/db); default a SQLite "
        "file under ./var/")  # fmt: skip
    platform_key: SecretStr | None = Field(
        None, description="the platform's API key (made or replaced at start)"
    )
    log_format: Literal["plain", "json"] = Field("plain", description="plain or json lines")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="the lowest level logged"
    )
    metrics_addr: str | None = Field(
        None, description="host:port of a second listener serving only /metrics, without a "
        "key (bind it to an internal interface)")  # fmt: skip
    shutdown_grace_seconds: float = Field(
        30.0, gt=0, le=3600, description="on SIGTERM, how long requests in flight may finish"
    )
    evidence_dir: str = Field("var/evidence", description="where evidence files are stored")
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0, description="largest upload")
    smtp_url: SecretStr | None = Field(
        None, description="smtp://host:25, smtp://user:pass@host:587?starttls or smtps://...; "
        "unset: notifications go to the log")  # fmt: skip
    mail_from: str = Field("refundkit <no-reply@refundkit.invalid>", description="From: line")
    aftership_webhook_secret: SecretStr | None = Field(
        None, description="the AfterShip webhook signing secret"
    )
    psp: Literal["sandbox", "stripe"] = Field(
        "sandbox", description="the payment provider refunds go through"
    )
    stripe_api_key: SecretStr | None = Field(None, description="Stripe secret key (sk_...)")
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Stripe webhook signing secret (whsec_...); unset: refused"
    )
    stripe_api_base: str | None = Field(
        None, description="Stripe's API address; set only for a fake Stripe in tests"
    )
    secret_key: SecretStr | None = Field(
        None, description="at least 32 characters: webhook signing secrets are sealed with it"
    )
    secret_key_previous: SecretStr | None = Field(
        None, description="the key before the last rotation, to open older sealed secrets"
    )
    webhook_allow_private: str = Field(
        "", description="comma-separated hosts or CIDRs of private webhook receivers allowed"
    )
    trusted_proxies: str = Field(
        "", description="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For is believed; default none")  # fmt: skip
    max_connections: int = Field(200, gt=0, description="connections and requests in flight")
    keep_alive_seconds: int = Field(5, gt=0, description="how long an idle connection stays")
    body_timeout_seconds: float = Field(
        20.0, gt=0, description="the time a body has once its request's headers are in"
    )
    body_min_rate: int = Field(
        500, ge=1, description="bytes per second that earn a slow body one more second"
    )
    api_key_cache_seconds: float = Field(
        5.0, ge=0, le=300, description="how long an API process keeps the user behind a "
        "key in memory; a key revoked in another process works here at most this long; 0: "
        "off")  # fmt: skip
    crash_at: str | None = Field(
        None, description="test instrumentation only: kill the process at this point"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("metrics_addr")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9464")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for proxy in (p.strip() for p in value.split(",")):
            if proxy:
                try:
                    ipaddress.ip_network(proxy, strict=False)
                except ValueError:
                    raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        from refundkit.adapters.mail import parse_smtp_url

        try:
            parse_smtp_url(value.get_secret_value().strip())
        except RefundkitValidationError as exc:
            raise ValueError(exc.detail) from None
        return value

    def metrics_bind(self) -> tuple[str, int] | None:
        if self.metrics_addr is None:
            return None
        host, _, port = self.metrics_addr.rpartition(":")
        return host.strip("[]"), int(port)


SECRETS = frozenset({
    "platform_key", "smtp_url", "aftership_webhook_secret", "stripe_api_key",
    "stripe_webhook_secret", "secret_key", "secret_key_previous",
})  # fmt: skip


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def names() -> list[str]:
    return [env_name(f) for f in Settings.model_fields]


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from the environment (or ``environ``); SettingsError names what is
    wrong, never a secret's value."""
    env = os.environ if environ is None else environ
    fields = Settings.model_fields
    given = {k[len(PREFIX) :].lower(): v for k, v in env.items()
             if k.upper().startswith(PREFIX) and k[len(PREFIX) :].lower() in fields}  # fmt: skip
    try:
        return Settings.model_validate(given) if environ is not None else Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{env_name(field)}: {error['msg']}")
        raise SettingsError("; ".join(problems)) from None


def unknown_names(environ: Mapping[str, str] | None = None) -> list[tuple[str, str | None]]:
    """``REFUNDKIT_`` names that are no setting, each with the setting it is close to."""
    env = os.environ if environ is None else environ
    known = set(names()) | {PREFIX + n for n in ELSEWHERE}
    found = []
    for name in sorted(env):
        upper = name.upper()
        if upper.startswith(PREFIX) and upper not in known:
            close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.8)
            found.append((name, close[0] if close else None))
    return found


def startup(*, sandbox: bool, environ: Mapping[str, str] | None = None) -> Settings:
    """The checks ``serve`` and ``worker`` run before anything else."""
    settings = load(environ)
    typos = [f"{name} is not a setting; did you mean {close}?"
             for name, close in unknown_names(environ) if close is not None]  # fmt: skip
    if typos:
        raise SettingsError(" ".join(typos))
    if settings.environment == "production":
        if settings.platform_key is None or not settings.platform_key.get_secret_value():
            raise SettingsError(
                "REFUNDKIT_ENVIRONMENT=production needs REFUNDKIT_PLATFORM_KEY (the key the "
                "shop's backend calls with); refusing to start without one"
            )
        if sandbox:
            raise SettingsError(
                "--sandbox (a fake clock and a fake payment provider) on a production "
                "deployment (REFUNDKIT_ENVIRONMENT=production): refusing to start"
            )
    return settings


def shown(settings: Settings) -> list[tuple[str, str, str]]:
    """``(name, effective value, where it came from)``; secrets masked, a database URL's
    password masked."""
    rows = []
    explicit = settings.model_fields_set
    for field in Settings.model_fields:
        value = getattr(settings, field)
        if value is None:
            text = "(unset)"
        elif field in SECRETS:
            text = _mask(field, value)
        elif field == "database_url":
            text = _hide_password(str(value))
        else:
            text = str(value)
        rows.append((env_name(field), text, "environment" if field in explicit else "default"))
    return rows


def _mask(field: str, value: SecretStr) -> str:
    secret = value.get_secret_value()
    if field == "smtp_url":
        return _hide_password(secret)
    return f"****{secret[-4:]}" if len(secret) >= 16 else "****"


def _hide_password(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "****"
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":****@", 1)
