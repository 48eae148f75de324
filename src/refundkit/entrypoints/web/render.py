"""Templates and the small formatting rules every page shares."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from refundkit.domain.money import Money, format_major
from refundkit.entrypoints.web.views import describe, done_text
from refundkit.service.deps import Deps

TEMPLATES = Path(__file__).parent / "templates"
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def label(value: object) -> str:
    """``not_received`` -> ``not received``."""
    return str(value).replace("_", " ") if value is not None else ""


def when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%d %b %Y, %H:%M UTC")


def span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def countdown(moment: datetime | None, now: datetime) -> str:
    """``in 3 d 4 h`` or ``2 h ago``: against the service's clock (the sandbox clock in a demo),
    so it is rendered on the server, never from the browser's own clock."""
    if moment is None:
        return ""
    delta = moment - now
    return f"in {span(delta)}" if delta.total_seconds() > 0 else f"{span(delta)} ago"


def urgency(moment: datetime | None, now: datetime) -> str:
    """A CSS class: ``past``, ``soon`` (under 2 days), ``near`` (under 5) or ``later``."""
    if moment is None:
        return "later"
    left = moment - now
    if left <= timedelta(0):
        return "past"
    if left < timedelta(days=2):
        return "soon"
    return "near" if left < timedelta(days=5) else "later"


class Pages:
    def __init__(self, deps: Deps, *, demo_logins: list[dict[str, str]] | None = None) -> None:
        self.deps = deps
        self.demo_logins = demo_logins
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(label=label, when=when)
        self.env.globals.update(
            money=self.money,
            countdown=countdown,
            urgency=urgency,
            action_label=describe,
            done_text=done_text,
        )

    def money(self, minor: int | None, currency: str) -> str:
        if minor is None:
            return ""
        return f"{format_major(Money(minor, currency), self.deps.currencies.exponent(currency))} " \
            f"{currency}"  # fmt: skip

    def major(self, minor: int, currency: str) -> str:
        """The amount as a form field shows it: ``12.50``."""
        return format_major(Money(minor, currency), self.deps.currencies.exponent(currency))

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        viewer = getattr(request.state, "viewer", None)
        body = self.env.get_template(template).render(
            request=request, viewer=viewer, user=viewer.user if viewer else None,
            csrf_token=viewer.csrf_token if viewer else "", now=self.deps.clock.now(),
            sandbox=self.deps.sandbox, major=self.major, **context,
        )  # fmt: skip
        return HTMLResponse(body, status_code, headers=security_headers())


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
