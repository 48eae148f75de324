"""Posting webhooks over HTTP, signed with the ``standardwebhooks`` library."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from refundkit.service.webhook_records import SendResult

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "refundkit-webhooks/1"


class HttpWebhookSender:
    """The signature's timestamp is the wall clock's (a receiver checks it against its own
    clock), even when the service runs on the sandbox clock."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)

    def send(self, url: str, secret: str, message_id: str, payload: str) -> SendResult:
        sent_at = datetime.now(UTC)
        signature = Webhook(secret).sign(message_id, sent_at, payload)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        started = time.perf_counter()
        try:
            answer = self._client.post(url, content=payload.encode(), headers=headers)
        except httpx.HTTPError as error:
            elapsed = int((time.perf_counter() - started) * 1000)
            return SendResult(None, elapsed, f"{type(error).__name__}: {error}"[:1000])
        elapsed = int((time.perf_counter() - started) * 1000)
        ok = 200 <= answer.status_code < 300
        return SendResult(answer.status_code, elapsed, None if ok else f"HTTP {answer.status_code}")

    def close(self) -> None:
        self._client.close()
