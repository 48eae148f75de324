"""Which addresses a webhook may be sent to (no SSRF).

A webhook is a request the service makes to a URL someone typed in: pointed at the
service's own network it would reach what only the service may reach (the database, an
admin port, a cloud's metadata service at 169.254.169.254 handing out credentials). So a
webhook goes to public addresses only: never to a loopback, private, link-local, shared
(CGNAT), reserved, documentation, multicast or unspecified address, in any spelling
(``127.1``, ``2130706433``, ``0x7f.1``, ``[::1]``, ``[::ffff:127.0.0.1]``, an IPv4 address
inside 6to4, Teredo or NAT64), nor to a ``localhost`` name. Two exceptions, both explicit:
the sandbox may call loopback receivers (a developer's own machine), and an operator may
list private networks and host names that are allowed
(``REFUNDKIT_WEBHOOK_ALLOW_PRIVATE``). The cloud metadata addresses are never allowed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from refundkit.domain.errors import ValidationError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
"""AWS, GCP, Azure, OpenStack (169.254.169.254), AWS over IPv6, Alibaba Cloud."""
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
_PART = re.compile(r"^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$")


def literal_address(host: str) -> Address | None:
    """The IP address ``host`` spells, in every form a resolver takes (inet_aton's: one to
    four parts, each decimal, octal or hex), or None when it is a name."""
    host = host.strip().rstrip(".").strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_PART.match(p) for p in parts):
        return None
    values = [int(p, 0) if not (len(p) > 1 and p[0] == "0" and p[1] not in "xX")
              else int(p, 8) for p in parts]  # fmt: skip
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(parts)):
        return None
    number = 0
    for v in head:
        number = number << 8 | v
    return ipaddress.IPv4Address(number << 8 * (5 - len(parts)) | last)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


@dataclass(frozen=True, slots=True)
class TargetRules:
    allow_loopback: bool = False
    """The sandbox's receivers run on the developer's machine."""
    allowed_networks: tuple[Network, ...] = ()
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    """Host names (lower case) whose addresses may be private (never metadata)."""

    def refusal(self, host: str, address: Address) -> str | None:
        """Why ``host`` may not be called at ``address``, or None when it may."""
        inner = embedded_ipv4(address)
        if address in METADATA_ADDRESSES or inner in METADATA_ADDRESSES:
            return "a cloud metadata address"
        if any(address in net or (inner is not None and inner in net)
               for net in self.allowed_networks):  # fmt: skip
            return None
        for candidate in (address, inner):
            if candidate is None:
                continue
            if candidate.is_unspecified:
                return "an unspecified address (0.0.0.0 or ::)"
            if candidate.is_loopback:
                return None if self.allow_loopback else "a loopback address"
        if host.lower().rstrip(".") in self.allowed_hosts:
            return None
        for candidate in (address, inner):
            if candidate is not None and (not candidate.is_global or candidate.is_multicast):
                return "a private, link-local or reserved address"
        return None

    def name_refusal(self, host: str) -> str | None:
        """Why a host name may not be called before it is even resolved."""
        if is_loopback_name(host) and not self.allow_loopback:
            return "a loopback name"
        return None


def literal_refusal(url: str, rules: TargetRules) -> str | None:
    """Why ``url`` may not be called, judged from the URL alone (a literal address or a
    loopback name; a name that needs resolving passes here)."""
    host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    why = rules.name_refusal(host)
    if why is not None:
        return f"{host} is {why}"
    address = literal_address(host)
    why = None if address is None else rules.refusal(host, address)
    return None if why is None else f"{host} is {why}"


def parse_allow_list(text: str, *, allow_loopback: bool = False) -> TargetRules:
    """``REFUNDKIT_WEBHOOK_ALLOW_PRIVATE``: networks (``10.20.0.0/16``, ``fd12::/48``, a
    single address) and host names (``hooks.corp.internal``), separated by commas."""
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*\.?",
                            entry):  # fmt: skip
            raise ValidationError(
                f"REFUNDKIT_WEBHOOK_ALLOW_PRIVATE: {entry!r} is neither a network "
                "(10.0.0.0/8, fd00::/8, 10.1.2.3) nor a host name"
            )
        hosts.add(entry.lower().rstrip("."))
    return TargetRules(allow_loopback, tuple(networks), frozenset(hosts))
