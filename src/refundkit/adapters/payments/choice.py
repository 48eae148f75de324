"""Which payment provider this deployment refunds through: ``REFUNDKIT_PSP``.

``sandbox`` (the default) refunds nothing for real; ``stripe`` refunds through Stripe's API
with ``REFUNDKIT_STRIPE_API_KEY`` (and ``REFUNDKIT_STRIPE_API_BASE``, Stripe's own by
default: set it to a fake Stripe server for tests). A value outside these is refused at
start, with the names it may take.
"""

from __future__ import annotations

from collections.abc import Mapping

from refundkit.adapters.metrics import set_provider
from refundkit.adapters.payments.sandbox import SandboxPsp
from refundkit.adapters.payments.stripe_provider import StripeProvider
from refundkit.domain.calendar import HolidayCalendar
from refundkit.domain.errors import ValidationError
from refundkit.service.ports import PaymentGateway

PROVIDERS = ("sandbox", "stripe")


def provider_name(env: Mapping[str, str]) -> str:
    name = (env.get("REFUNDKIT_PSP") or "sandbox").strip().lower()
    if name not in PROVIDERS:
        raise ValidationError(
            f"REFUNDKIT_PSP={env.get('REFUNDKIT_PSP')!r} is not a payment provider refundkit "
            f"knows; use one of: {', '.join(PROVIDERS)}"
        )
    return name


def payment_gateway(env: Mapping[str, str], calendar: HolidayCalendar) -> PaymentGateway:
    name = provider_name(env)
    set_provider(name)  # the ``provider`` label of refundkit_refunds_total
    if name == "stripe":
        return StripeProvider(
            env.get("REFUNDKIT_STRIPE_API_KEY", ""),
            api_base=env.get("REFUNDKIT_STRIPE_API_BASE") or None,
        )
    return SandboxPsp(calendar)


def webhook_secret(env: Mapping[str, str]) -> str | None:
    """The secret Stripe signs its webhooks with (``whsec_...``); None: webhooks refused."""
    return env.get("REFUNDKIT_STRIPE_WEBHOOK_SECRET") or None
