"""The edge, over real sockets to uvicorn set up as ``refundkit serve`` sets it up (issue 20,
items 5 and 7): ``X-Forwarded-For`` is believed only from a trusted proxy, and then only the
address the proxy added; a body that stalls is cut off with 408 and its connection closed;
past the connection limit a request is answered 503 at once. No test times the server: each
waits on its socket, with a generous timeout, for what the server must do."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from live_server import live_server
from web_client import PASSWORD

from long_runs import record
from market import Market
from refundkit.adapters.passwords import hash_password
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.entrypoints.serving import ServerLimits, server_limits_from_env

WAIT = 60.0
"""Seconds a test waits on its socket before it calls the server stuck."""


def _sign_in(url: str, email: str, password: str, forwarded: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with httpx.Client(base_url=url, headers=headers, timeout=WAIT) as client:
        form = client.get("/sign-in")
        token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = client.post("/sign-in", follow_redirects=False, data={
            "sign_in_token": token.group(1), "email": email, "password": password})  # fmt: skip
        return answer.status_code


@pytest.fixture
def person(market: Market) -> str:
    market.tx(lambda uow: uow.users.set_password_hash(market.buyer.id, hash_password(PASSWORD)))
    return market.buyer.email


def test_a_forged_forwarded_for_does_not_get_round_the_sign_in_limit(
    market: Market, person: str
) -> None:
    """Found by the security probe: uvicorn believed X-Forwarded-For from 127.0.0.1, so each
    try with a new address was a first try, and the right password signed in after 6
    failures."""
    with live_server(market.rt, server_limits_from_env({})) as url:
        tried = [_sign_in(url, person, "wrong", f"10.0.0.{n}") for n in range(5)]
        assert tried == [401] * 5
        assert _sign_in(url, person, PASSWORD, "10.0.0.99") == 429
        assert _sign_in(url, person, PASSWORD, None) == 429


def test_behind_a_trusted_proxy_the_limit_keys_on_the_client_the_proxy_saw(
    market: Market, person: str
) -> None:
    """The proxy (here on 127.0.0.1) appends the address it saw; whatever the client wrote
    before it is ignored, and another client is not held back."""
    limits = server_limits_from_env({"REFUNDKIT_TRUSTED_PROXIES": "127.0.0.1, 10.9.0.0/16"})
    with live_server(market.rt, limits) as url:
        tried = [_sign_in(url, person, "wrong", f"9.9.9.{n}, 203.0.113.7") for n in range(5)]
        assert tried == [401] * 5
        assert _sign_in(url, person, PASSWORD, "8.8.8.8, 203.0.113.7") == 429
        # Two proxies (the inner one trusted by network): still the client before them.
        assert _sign_in(url, person, PASSWORD, "1.1.1.1, 203.0.113.7, 10.9.3.4") == 429
        assert _sign_in(url, person, PASSWORD, "198.51.100.2") == 303  # another client
    record("edge_forwarded_for", database=market.rt.engine.dialect.name, requests=9)


def test_trusted_proxies_are_addresses_not_a_wildcard() -> None:
    assert server_limits_from_env({}).trusted_proxies == ()
    for bad in ("*", "proxy.internal", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="REFUNDKIT_TRUSTED_PROXIES"):
            server_limits_from_env({"REFUNDKIT_TRUSTED_PROXIES": bad})


def _open(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=WAIT)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection (a timeout fails the test)."""
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


def _stalled_post(sock: socket.socket, path: str, headers: str, first: bytes) -> None:
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: test\r\n{headers}"
                 f"Content-Length: 100000\r\n\r\n".encode() + first)  # fmt: skip


@pytest.fixture
def quick_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDKIT_BODY_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("REFUNDKIT_BODY_MIN_RATE", "100000")
    return


@pytest.mark.usefixtures("quick_bodies")
def test_a_stalled_body_is_cut_off_with_408_and_the_connection_closed(market: Market) -> None:
    """Found by the security probe: a body sent a byte every 2 s was still open at 40 s."""
    from api_client import PLATFORM_KEY

    from refundkit.service import transactions
    from refundkit.service.users import ensure_platform_key

    transactions.run(market.deps, lambda uow: ensure_platform_key(market.deps, uow, PLATFORM_KEY))
    doors = [
        ("/v1/orders", f"Authorization: Bearer {PLATFORM_KEY}\r\n"
                       "Content-Type: application/json\r\n", b'{"items": ['),
        ("/sign-in", "Content-Type: application/x-www-form-urlencoded\r\n", b"email=a"),
        ("/v1/tracking-events/aftership", "Content-Type: application/json\r\n", b"{"),
    ]  # fmt: skip
    with live_server(market.rt, ServerLimits()) as url:
        for path, headers, first in doors:
            with _open(url) as sock:
                _stalled_post(sock, path, headers, first)
                answer = _read_until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 408 "), (path, answer[:200])
            assert b"request_timeout" in answer or b"did not arrive in time" in answer, path
    record("edge_stalled_bodies", database=market.rt.engine.dialect.name, requests=len(doors))


def test_past_the_connection_limit_a_request_is_answered_503_at_once(market: Market) -> None:
    """60 stalled bodies were all held; now the server holds at most REFUNDKIT_MAX_CONNECTIONS
    connections and answers the next at once."""
    with live_server(market.rt, ServerLimits(max_connections=3)) as url:
        assert httpx.get(f"{url}/healthz", timeout=WAIT).status_code == 200
        with ExitStack() as stack:
            for _ in range(2):
                sock = stack.enter_context(_open(url))
                _stalled_post(sock, "/sign-in", "", b"e")
            with _open(url) as third:
                third.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                answer = third.recv(65536)
            assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]


def test_every_route_checks_the_key_before_it_reads_the_body(runtime: Runtime) -> None:
    """Every route of the API and the pages is a ``GuardedRoute`` (a router made without
    ``route_class=GuardedRoute`` would read bodies before the key again)."""
    from fastapi.routing import APIRoute

    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.api.guards import GuardedRoute

    def routes(found: list[Any]) -> Iterator[Any]:
        for route in found:
            inner = getattr(route, "original_router", None)
            yield from routes(inner.routes) if inner is not None else [route]

    api_routes = [r for r in routes(create_app(runtime.deps).router.routes)
                  if isinstance(r, APIRoute)]  # fmt: skip
    assert len(api_routes) > 60
    assert [r.path for r in api_routes if not isinstance(r, GuardedRoute)] == []
