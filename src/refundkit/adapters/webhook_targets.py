"""Resolving a webhook's host and vetting every address it answers (no SSRF, no DNS
rebinding): the sender then connects to the vetted address itself, never to a name a
resolver could answer differently a moment later."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from refundkit.domain.webhook_targets import (
    Address,
    TargetRules,
    literal_address,
    literal_refusal,
)

Resolve = Callable[[str, int], list[str]]
"""(host, port) -> the addresses the host has; OSError when it has none."""


def system_resolve(host: str, port: int) -> list[str]:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class TargetRefused(Exception):
    """The URL's host may not be called: ``str(error)`` says why (for the operator, at
    registration; the attempt log keeps a generic text)."""


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    """The name as in the URL: the Host header, the TLS server name and certificate check."""
    port: int
    address: Address
    """Where to connect: vetted."""


class WebhookTargets:
    def __init__(self, rules: TargetRules, resolve: Resolve = system_resolve) -> None:
        self.rules = rules
        self._resolve = resolve

    def vet(self, url: str) -> Target:
        """The vetted address to call for ``url``; TargetRefused when none may be called
        (every address the host resolves to must be allowed, not just one of them)."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        if parts.scheme not in ("http", "https") or not host:
            raise TargetRefused("not an http or https URL with a host")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:
            raise TargetRefused("the URL's port is not a number from 0 to 65535") from error
        why = self.rules.name_refusal(host)
        if why is not None:
            raise TargetRefused(f"{host} is {why}")
        literal = literal_address(host)
        if literal is not None:
            addresses: list[Address] = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(a.split("%", 1)[0])
                             for a in self._resolve(host, port)]  # fmt: skip
            except (OSError, UnicodeError, ValueError) as error:
                raise TargetRefused(f"{host} does not resolve") from error
        if not addresses:
            raise TargetRefused(f"{host} does not resolve")
        for address in addresses:
            why = self.rules.refusal(host, address)
            if why is not None:
                raise TargetRefused(f"{host} resolves to {address}, {why}")
        return Target(host, port, addresses[0])

    def refusal(self, url: str, *, resolve: bool) -> str | None:
        """Why a webhook may not be registered at ``url`` (None: it may). A literal
        address and a loopback name are judged as they are; with ``resolve`` a name is
        resolved and judged by its addresses, and one that does not resolve yet passes
        (every delivery resolves and vets it again)."""
        if not resolve:
            return literal_refusal(url, self.rules)
        try:
            self.vet(url)
        except TargetRefused as refused:
            return None if str(refused).endswith("does not resolve") else str(refused)
        return None
