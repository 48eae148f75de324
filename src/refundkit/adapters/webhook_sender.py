"""Posting webhooks over HTTP, signed with the ``standardwebhooks`` library, several at once.

Each delivery's host is resolved once per batch, every address it answers is vetted
(``adapters/webhook_targets.py``) and the sender connects to the vetted address itself,
keeping the name for the ``Host`` header, the TLS server name (SNI) and the certificate
check: a DNS answer that changes between the check and the connection (rebinding) cannot
lead the request elsewhere. No proxy from the environment is used (it would connect to the
name again) and redirects are not followed.

A batch is sent concurrently on an ``httpx.AsyncClient`` per (name, vetted address, port):
connections are kept alive between deliveries and batches, but two names on one address
never share one (a connection made for one name's certificate never carries another's
request), and an answer that resolves elsewhere gets a client of its own. At most
``PER_ENDPOINT`` deliveries to one endpoint are in flight at once, ``IN_FLIGHT`` in all.
The attempt log keeps generic texts only, so it is no port scanner of the service's own
network; credentials in a URL travel as an ``Authorization`` header and are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from standardwebhooks.webhooks import Webhook

from refundkit.adapters.webhook_targets import Target, TargetRefused, WebhookTargets
from refundkit.domain.webhook_targets import TargetRules
from refundkit.service.webhook_records import Outgoing, SendResult

_T = TypeVar("_T")
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "refundkit-webhooks/1"
REFUSED = "not sent: the endpoint's host does not resolve to an address webhooks may go to"
NO_ANSWER = "no answer: the connection failed or timed out"
PER_ENDPOINT = 8
"""Deliveries in flight to one endpoint at once (Standard Webhooks does not promise order;
docs/decisions.md, 2026-12-01)."""
IN_FLIGHT = 64
KEPT_CLIENTS = 64
"""Connection pools kept between batches (the least recently used one closes past this)."""

logging.getLogger("httpx").setLevel(logging.WARNING)
"""httpx logs every request's full URL (credentials, query) at INFO."""

_PoolKey = tuple[str, str, str, int]
"""(scheme, name, vetted address, port)."""


class HttpWebhookSender:
    """The signature's timestamp is the wall clock's (a receiver checks it against its own
    clock), even when the service runs on the sandbox clock. One thread sends at a time
    (the worker's): the sender keeps its own event loop and pools between batches."""

    def __init__(self, targets: WebhookTargets | None = None, *,
                 verify: ssl.SSLContext | bool = True) -> None:  # fmt: skip
        self._targets = targets or WebhookTargets(TargetRules())
        self._verify = verify
        self._loop: asyncio.AbstractEventLoop | None = None
        """The sender's own event loop, run by a thread of its own: the pools live on it, and
        a caller whose thread already runs a loop (a test beside Playwright's sync API, an
        async host) can still send."""
        self._thread: threading.Thread | None = None
        self._clients: OrderedDict[_PoolKey, httpx.AsyncClient] = OrderedDict()
        self._retired: list[httpx.AsyncClient] = []

    def send(self, url: str, secret: str, message_id: str, payload: str) -> SendResult:
        return self.send_many([Outgoing(url, secret, message_id, payload)])[0]

    def send_many(self, deliveries: Sequence[Outgoing]) -> list[SendResult]:
        """Each delivery's result, in their order; never raises for a delivery's failure."""
        if not deliveries:
            return []
        vetted: dict[str, Target | None] = {}
        for d in deliveries:
            if d.url not in vetted:  # resolved once per batch, every address vetted
                try:
                    vetted[d.url] = self._targets.vet(d.url)
                except TargetRefused:
                    vetted[d.url] = None
        return self._run(self._send_all(deliveries, vetted))

    def _run(self, work: Coroutine[Any, Any, _T]) -> _T:
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever,
                                            name="webhook-sender", daemon=True)  # fmt: skip
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    async def _send_all(self, deliveries: Sequence[Outgoing],
                        vetted: dict[str, Target | None]) -> list[SendResult]:  # fmt: skip
        overall = asyncio.Semaphore(IN_FLIGHT)
        per_endpoint: dict[str, asyncio.Semaphore] = {}

        async def one(d: Outgoing) -> SendResult:
            started = time.perf_counter()
            target = vetted[d.url]
            if target is None:
                return SendResult(None, _ms_since(started), REFUSED)
            lane = per_endpoint.setdefault(d.url, asyncio.Semaphore(PER_ENDPOINT))
            async with lane, overall:
                started = time.perf_counter()
                return await self._post(d, target, started)

        results = list(await asyncio.gather(*(one(d) for d in deliveries)))
        retired, self._retired = self._retired, []
        for client in retired:
            await client.aclose()
        return results

    async def _post(self, d: Outgoing, target: Target, started: float) -> SendResult:
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": d.message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(d.secret).sign(d.message_id, sent_at, d.payload),
        }
        named = httpx.URL(d.url.strip())
        client = self._client((named.scheme, named.host, str(target.address), target.port))
        request = _request(client, named, target, d.payload, headers)
        try:
            answer = await client.send(request)
            await answer.aclose()
        except httpx.HTTPError:
            return SendResult(None, _ms_since(started), NO_ANSWER)
        ok = 200 <= answer.status_code < 300
        return SendResult(answer.status_code, _ms_since(started),
                          None if ok else f"HTTP {answer.status_code}")  # fmt: skip

    def _client(self, key: _PoolKey) -> httpx.AsyncClient:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        client = httpx.AsyncClient(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False, verify=self._verify,
            limits=httpx.Limits(max_connections=PER_ENDPOINT,
                                max_keepalive_connections=PER_ENDPOINT, keepalive_expiry=30),
        )  # fmt: skip
        self._clients[key] = client
        while len(self._clients) > KEPT_CLIENTS:
            _, oldest = self._clients.popitem(last=False)
            self._retired.append(oldest)  # closed once the batch is sent
        return client

    def close(self) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            self._run(client.aclose())
        loop, thread = self._loop, self._thread
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join()
        loop.close()


def _request(client: httpx.AsyncClient, named: httpx.URL, target: Target, payload: str,
             headers: dict[str, str]) -> httpx.Request:  # fmt: skip
    if named.userinfo:
        pair = f"{named.username}:{named.password}".encode()
        headers["authorization"] = "Basic " + base64.b64encode(pair).decode()
    headers["host"] = named.netloc.decode("ascii")
    at_address = named.copy_with(host=str(target.address), username=None, password=None)
    extensions = {"sni_hostname": named.raw_host.decode("ascii")}
    return client.build_request("POST", at_address, content=payload.encode(),
                                headers=headers, extensions=extensions)  # fmt: skip


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
