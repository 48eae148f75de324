"""How ``refundkit serve`` runs uvicorn (docs/operations.md "Limits at the edge").

- ``REFUNDKIT_TRUSTED_PROXIES``: the reverse proxies (addresses or networks, comma
  separated) whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed. Default none:
  the address a request came from is the client's, whatever headers it sends (uvicorn's own
  default believes anyone on 127.0.0.1, which let a client pick a new address for the
  sign-in limit with every try). Behind a trusted proxy the client is the last address the
  proxies did not add themselves, so what a client writes into the header is ignored.
- ``REFUNDKIT_MAX_CONNECTIONS`` (default 200): connections and requests in flight at once;
  past it uvicorn answers 503 at once instead of holding more.
- ``REFUNDKIT_KEEP_ALIVE_SECONDS`` (default 5): how long an idle connection stays open.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn


@dataclass(frozen=True, slots=True)
class ServerLimits:
    trusted_proxies: tuple[str, ...] = ()
    max_connections: int = 200
    keep_alive_seconds: int = 5


def server_limits_from_env(environ: dict[str, str] | None = None) -> ServerLimits:
    env = dict(os.environ) if environ is None else environ
    proxies = tuple(p.strip() for p in env.get("REFUNDKIT_TRUSTED_PROXIES", "").split(",")
                    if p.strip())  # fmt: skip
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ValueError(
                f"REFUNDKIT_TRUSTED_PROXIES: {proxy!r} is not an IP address or network "
                "(name each proxy; '*' would let every client choose its own address)"
            ) from None
    default = ServerLimits()
    connections = int(env.get("REFUNDKIT_MAX_CONNECTIONS") or default.max_connections)
    keep_alive = int(env.get("REFUNDKIT_KEEP_ALIVE_SECONDS") or default.keep_alive_seconds)
    if connections < 1 or keep_alive < 1:
        raise ValueError("REFUNDKIT_MAX_CONNECTIONS and REFUNDKIT_KEEP_ALIVE_SECONDS must be "
                         "positive")  # fmt: skip
    return ServerLimits(proxies, connections, keep_alive)


def uvicorn_config(
    app: Any, host: str, port: int, limits: ServerLimits, **options: Any
) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        app, host=host, port=port,
        proxy_headers=bool(limits.trusted_proxies),
        forwarded_allow_ips=list(limits.trusted_proxies),
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=limits.keep_alive_seconds,
        server_header=False,
        **options,
    )  # fmt: skip
