"""Posting webhooks over HTTP, signed with the ``standardwebhooks`` library.

Each delivery resolves the endpoint's host once, vets every address it answers
(``adapters/webhook_targets.py``) and connects to the vetted address itself, keeping the
name for the ``Host`` header, the TLS server name (SNI) and the certificate check: a DNS
answer that changes between the check and the connection (rebinding) cannot lead the
request elsewhere. No proxy from the environment is used (it would connect to the name
again), connections are not kept between deliveries (two names on one address never share
one), and redirects are not followed. The attempt log keeps generic texts only, so it is
no port scanner of the service's own network; credentials in a URL travel as an
``Authorization`` header and are never logged.
"""

from __future__ import annotations

import base64
import logging
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from refundkit.adapters.webhook_targets import Target, TargetRefused, WebhookTargets
from refundkit.domain.webhook_targets import TargetRules
from refundkit.service.webhook_records import SendResult

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "refundkit-webhooks/1"
REFUSED = "not sent: the endpoint's host does not resolve to an address webhooks may go to"
NO_ANSWER = "no answer: the connection failed or timed out"

logging.getLogger("httpx").setLevel(logging.WARNING)
"""httpx logs every request's full URL (credentials, query) at INFO."""


class HttpWebhookSender:
    """The signature's timestamp is the wall clock's (a receiver checks it against its own
    clock), even when the service runs on the sandbox clock."""

    def __init__(self, targets: WebhookTargets | None = None,
                 client: httpx.Client | None = None) -> None:  # fmt: skip
        self._targets = targets or WebhookTargets(TargetRules())
        self._client = client or httpx.Client(
            timeout=TIMEOUT, follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        )  # fmt: skip

    def send(self, url: str, secret: str, message_id: str, payload: str) -> SendResult:
        started = time.perf_counter()
        try:
            target = self._targets.vet(url)
        except TargetRefused:
            return SendResult(None, _ms_since(started), REFUSED)
        sent_at = datetime.now(UTC)
        signature = Webhook(secret).sign(message_id, sent_at, payload)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        request = self._request(url, target, payload, headers)
        try:
            answer = self._client.send(request)
        except httpx.HTTPError:
            return SendResult(None, _ms_since(started), NO_ANSWER)
        ok = 200 <= answer.status_code < 300
        return SendResult(answer.status_code, _ms_since(started),
                          None if ok else f"HTTP {answer.status_code}")  # fmt: skip

    def _request(self, url: str, target: Target, payload: str,
                 headers: dict[str, str]) -> httpx.Request:  # fmt: skip
        named = httpx.URL(url.strip())
        if named.userinfo:
            pair = f"{named.username}:{named.password}".encode()
            headers["authorization"] = "Basic " + base64.b64encode(pair).decode()
        headers["host"] = named.netloc.decode("ascii")
        at_address = named.copy_with(host=str(target.address), username=None, password=None)
        extensions = {"sni_hostname": named.raw_host.decode("ascii")}
        return self._client.build_request("POST", at_address, content=payload.encode(),
                                          headers=headers, extensions=extensions)  # fmt: skip

    def close(self) -> None:
        self._client.close()


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
