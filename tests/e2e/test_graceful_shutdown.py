"""Graceful stop on SIGTERM (issue 17), with real processes on both databases: an API
finishes the request in flight, refuses new connections, and exits 0; a worker finishes the
delivery it holds, leaving nothing leased, and exits 0."""

from __future__ import annotations

import json
import signal
import socket
import threading
from pathlib import Path

import httpx
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

import processes
from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.webhooks import DeliveryStatus
from refundkit.service import webhooks
from webhook_receiver import receiver


def _in_flight(metrics_port: int) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    except httpx.TransportError:
        return -1
    for family in text_string_to_metric_families(text):
        if family.name == "refundkit_http_requests_in_flight":
            return sum(s.value for s in family.samples)
    return -1


def test_an_api_finishes_the_request_in_flight_then_exits_0(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    port, metrics_port = processes.free_port(), processes.free_port()
    process = processes.api(database_url, tmp_path, port,
                            REFUNDKIT_METRICS_ADDR=f"127.0.0.1:{metrics_port}")  # fmt: skip
    with processes.reaped(process):
        order = market.paid()
        body = json.dumps({"carrier": "DHL", "tracking_number": "T-graceful"}).encode()
        head = (f"POST /v1/orders/{order.id}/ship HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {processes.PLATFORM_KEY}\r\n"
                "Content-Type: application/json\r\nX-Request-Id: in-flight-1\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()  # fmt: skip
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(head + body[:10])  # the request is in the app, reading its body
            processes.until(lambda: _in_flight(metrics_port) == 1, "the request in flight")
            process.send_signal(signal.SIGTERM)
            processes.until(lambda: _refused(port), "the API to stop accepting")
            conn.sendall(body[10:])
            answer = _read_all(conn)
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        status = int(answer.split(b" ", 2)[1])
        assert process.wait(timeout=60) == 0
    assert status in (200, 403, 409), answer[:500]  # answered, whatever the rules said
    assert b"x-request-id: in-flight-1" in answer.lower()


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_worker_finishes_the_delivery_it_holds_then_exits_0(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    hold = threading.Event()
    with receiver(hold_first=hold) as shop:
        market.tx(lambda uow: webhooks.create_endpoint(market.deps, uow, market.platform,
                                                       shop.url, ["order.paid"]))  # fmt: skip
        market.paid()
        worker = processes.worker(database_url, tmp_path)
        with processes.reaped(worker):
            assert shop.first_arrived.wait(timeout=processes.WAIT)
            worker.send_signal(signal.SIGTERM)  # while the webhook is being sent
            hold.set()
            assert worker.wait(timeout=60) == 0
    d = t.webhook_deliveries
    with market.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(d.c.status, d.c.attempts)).all()
    assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.SUCCEEDED.value, 1)]
