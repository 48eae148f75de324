"""Workloads over HTTP: order create and pay, the outbox relay beside it, the read paths and
evidence uploads. The API runs in its own process; the clients here."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from refundkit.adapters.db import tables as t
from refundkit.entrypoints.bench.http_load import Client, run_clients
from refundkit.entrypoints.bench.market import (
    PLATFORM_KEY,
    People,
    escalated_dispute,
    order_body,
    uploaders,
)
from refundkit.entrypoints.bench.measure import PeakRss, Result, percentile
from refundkit.entrypoints.bench.server import Served, served
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import transactions, webhooks

CLIENTS = 8


@dataclass(frozen=True, slots=True)
class Sizes:
    orders_per_client: int
    reads_per_client: int
    escalated: int
    uploads_per_size: int


def _client(server: Served, key: str = PLATFORM_KEY) -> Client:
    return Client(server.host, server.port, key)


def _create_and_pay(people: People) -> Any:
    def op(client: Client, thread: int, n: int) -> None:
        i = thread * 100_000 + n
        buyer = people.buyers[i % len(people.buyers)]
        seller = people.sellers[i % len(people.sellers)]
        order = client.call("POST", "/v1/orders", order_body(buyer, seller, i), expect=201)
        client.call("POST", f"/v1/orders/{order['id']}/pay", {"payment_reference": f"p{i}"})

    return op


def _bare_pair(client: Client, thread: int, n: int) -> None:
    body = {"n": n, "thread": thread, "items": [{"sku": "x", "quantity": 2}]}
    client.call("POST", "/bench/bare", body, expect=201)
    client.call("POST", "/bench/bare", {"payment_reference": "p"}, expect=201)


def orders_over_http(url: str, work: Path, people: People, sizes: Sizes) -> Result:
    """Workload 1: 8 clients create and pay orders; the ceiling is the same two requests to a
    bare JSON endpoint of the same server."""
    result = Result(
        1,
        "order create + pay over HTTP",
        "order (2 requests)",
        targets=[">= 1,000/s on PostgreSQL", "p99 < 50 ms", ">= 0.5 of bare JSON"],
    )
    with served(url, str(work / "evidence")) as server:
        _warm(server, people)
        before = server.statements
        with PeakRss(server.pid) as rss:
            latencies, seconds, errors = run_clients(
                CLIENTS, sizes.orders_per_client, lambda: _client(server), _create_and_pay(people)
            )
        result.statements = server.statements - before
        _, bare_seconds, _ = run_clients(
            CLIENTS, sizes.orders_per_client, lambda: _client(server), _bare_pair
        )
    result.ops, result.seconds, result.latencies = len(latencies), seconds, latencies
    result.peak_rss_mb = rss.peak
    result.ceiling_ops_per_s = CLIENTS * sizes.orders_per_client / bare_seconds
    result.ceiling_name = "bare JSON endpoint, same server, same 2 requests"
    if errors:
        result.notes.append(f"{len(errors)} errors, first: {errors[0][:200]}")
    return result


def _warm(server: Served, people: People) -> None:
    client = _client(server)
    try:
        for n in range(5):
            _create_and_pay(people)(client, 99, n)
            client.call("POST", "/bench/bare", {"n": n}, expect=201)
    finally:
        client.close()


class _Sink:
    """A local webhook receiver: notes when each event arrived."""

    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.lags: list[float] = []
        self.duplicates = 0
        lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                arrived = time.time()
                event = json.loads(body)
                created = datetime.fromisoformat(event["created_at"]).timestamp()
                with lock:
                    if event["id"] in sink.received:
                        sink.duplicates += 1
                    else:
                        sink.received[event["id"]] = arrived
                        sink.lags.append(max(0.0, arrived - created))
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def outbox_relay(url: str, work: Path, runtime: Runtime, people: People, sizes: Sizes) -> Result:
    """Workload 4: workload 1's load with a webhook worker process relaying every event to a
    local sink; lag from the event to its arrival, and every event delivered once."""
    result = Result(
        4,
        "outbox relay to a webhook sink",
        "event delivered",
        targets=["keeps up with workload 1", "lag p99 < 1 s", "no loss"],
    )
    sink = _Sink()
    deps = runtime.deps
    transactions.run(
        deps, lambda uow: webhooks.create_endpoint(deps, uow, people.platform, sink.url, ["*"])
    )
    engine = runtime.engine
    with engine.connect() as conn:
        events_before = conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar_one()
        # Earlier workloads' events are not this workload's: mark them as relayed.
        conn.execute(t.events.update().values(published_at=datetime.now(UTC)))
        conn.commit()
    backlog: list[int] = []
    with served(url, str(work / "evidence"), worker_poll=1.0) as server:
        before = server.statements
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(0.5):
                with engine.connect() as conn:
                    made = conn.execute(sa.select(sa.func.count()).select_from(t.events))
                    backlog.append(made.scalar_one() - events_before - len(sink.received))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with PeakRss(server.pid) as rss:
            began = time.perf_counter()
            _, load_seconds, errors = run_clients(
                CLIENTS, sizes.orders_per_client, lambda: _client(server), _create_and_pay(people)
            )
            with engine.connect() as conn:
                made = conn.execute(sa.select(sa.func.count()).select_from(t.events)).scalar_one()
            expected = made - events_before
            deadline = time.monotonic() + 120
            while len(sink.received) < expected and time.monotonic() < deadline:
                time.sleep(0.05)
            seconds = time.perf_counter() - began
        stop.set()
        watcher.join()
        result.statements = server.statements - before
    sink.close()
    result.ops, result.seconds, result.peak_rss_mb = len(sink.received), seconds, rss.peak
    result.latencies = sink.lags
    result.ceiling_ops_per_s = expected / load_seconds
    result.ceiling_name = "events made per second by workload 1's load"
    lost = expected - len(sink.received)
    drain = seconds - load_seconds
    result.notes.append(
        f"{expected} events, {lost} lost, {sink.duplicates} sent twice; "
        f"backlog peak {max(backlog, default=0)}, drained {drain:.1f} s after "
        "the load ended; lag p50/p99 are from the event to its arrival"
    )
    if errors:
        result.notes.append(f"{len(errors)} client errors, first: {errors[0][:200]}")
    return result


def read_paths(
    url: str, work: Path, runtime: Runtime, people: People, sizes: Sizes
) -> list[Result]:
    """Workload 5: the order JSON (deadlines and next actions) and the agents' queue."""
    for n in range(sizes.escalated):
        escalated_dispute(runtime, people, 500_000 + n)
    with runtime.engine.connect() as conn:
        ids = list(conn.execute(sa.select(t.orders.c.id).limit(5000)).scalars())
    results = []
    order = Result(
        5, "read: order JSON", "GET /v1/orders/{id}", targets=["(no target) vs bare JSON"]
    )
    queue = Result(
        5,
        "read: agent queue",
        "GET /v1/disputes?status=escalated",
        targets=["(no target) vs bare JSON"],
    )
    rng = random.Random(5)
    with served(url, str(work / "evidence")) as server:

        def get_order(client: Client, _t: int, _n: int) -> None:
            client.call("GET", f"/v1/orders/{rng.choice(ids)}")

        def get_queue(client: Client, _t: int, _n: int) -> None:
            client.call("GET", "/v1/disputes?status=escalated&limit=20")

        def bare(client: Client, _t: int, _n: int) -> None:
            client.call("GET", "/bench/bare")

        n = sizes.reads_per_client
        for res, op, key in (
            (order, get_order, PLATFORM_KEY),
            (queue, get_queue, people.agent_key),
        ):
            before = server.statements
            with PeakRss(server.pid) as rss:
                lat, secs, errors = run_clients(CLIENTS, n, lambda k=key: _client(server, k), op)  # type: ignore[misc]
            res.statements = server.statements - before
            res.ops, res.seconds, res.latencies, res.peak_rss_mb = len(lat), secs, lat, rss.peak
            if errors:
                res.notes.append(f"{len(errors)} errors, first: {errors[0][:200]}")
            results.append(res)
        _, bare_seconds, _ = run_clients(CLIENTS, n, lambda: _client(server), bare)
    for res in results:
        res.ceiling_ops_per_s = CLIENTS * n / bare_seconds
        res.ceiling_name = "bare JSON GET, same server"
    queue.notes.append(f"{sizes.escalated} escalated disputes, 20 a page")
    return results


def _multipart(size: int, n: int) -> tuple[bytes, str]:
    boundary = f"benchboundary{n:08d}"
    line = b"evidence line of a benchmark upload, plain text for the sniffer\n"
    content = (line * (size // len(line) + 1))[:size]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
        f'dispute_evidence\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="notes{n}.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    return head + content + f"\r\n--{boundary}--\r\n".encode(), boundary


UPLOAD_SIZES = (100 * 1024, 1024 * 1024, 5 * 1024 * 1024)


def uploads(url: str, work: Path, runtime: Runtime, people: People, sizes: Sizes) -> list[Result]:
    """Workload 6: evidence uploads of 100 KB to 5 MB (the server's memory should not grow
    with the file), and an over-limit upload refused before its body is read. Each client
    uploads as a buyer of its own at each size, within the policy's upload quota."""
    results = []
    buyer_key = _buyer_key(people)
    clients = 4
    quota = runtime.deps.policies.active.limits.upload_quota_bytes
    with served(url, str(work / "evidence")) as server:
        for size in UPLOAD_SIZES:
            if sizes.uploads_per_size * size > quota:
                raise ValueError(f"{sizes.uploads_per_size} uploads of {size} bytes by one "
                                 f"buyer pass the upload quota of {quota} bytes")  # fmt: skip
            keys = iter(uploaders(runtime, clients * 2, str(size)))  # twice: for reconnects
            body, boundary = _multipart(size, size)
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            label = f"{size // 1024} KB" if size < 1024 * 1024 else f"{size // (1024 * 1024)} MB"
            res = Result(
                6, f"evidence upload {label}", "upload", targets=["memory flat across sizes"]
            )

            def upload(
                client: Client, _t: int, _n: int, b: bytes = body, h: dict[str, str] = headers
            ) -> None:
                client.call("POST", "/v1/files", raw=b, headers=h, expect=201)

            def drain(
                client: Client, _t: int, _n: int, b: bytes = body, h: dict[str, str] = headers
            ) -> None:
                client.call("POST", "/bench/drain", raw=b, headers=h, expect=201, idempotent=False)

            before = server.statements
            with PeakRss(server.pid) as rss:
                lat, secs, errors = run_clients(
                    clients, sizes.uploads_per_size,
                    lambda k=keys: _client(server, next(k, buyer_key)), upload,  # type: ignore[misc]
                )  # fmt: skip
            res.statements = server.statements - before
            res.ops, res.seconds, res.latencies, res.peak_rss_mb = len(lat), secs, lat, rss.peak
            _, drain_secs, _ = run_clients(
                clients, sizes.uploads_per_size, lambda: _client(server, buyer_key), drain
            )
            res.ceiling_ops_per_s = clients * sizes.uploads_per_size / drain_secs
            res.ceiling_name = "bare endpoint reading the same body"
            res.notes.append(
                f"{res.ops * size / res.seconds / 1e6:.1f} MB/s; server RSS "
                f"peak {rss.peak:.0f} MB (from {rss.start:.0f} MB)"
            )
            if errors:
                res.notes.append(f"{len(errors)} errors, first: {errors[0][:200]}")
            results.append(res)
        results[-1].notes.append(_over_limit(server, buyer_key))
    return results


def _buyer_key(people: People) -> str:
    key = people.buyer_key
    assert key is not None
    return key


def _over_limit(server: Served, key: str) -> str:
    """Announce 20 MB (over the 10 MB limit), send none of it, and see whether the answer
    comes anyway: then the server refused before reading the body."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /v1/files HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {20 * 1024 * 1024}\r\n\r\n"
            ).encode()
        )
        began = time.perf_counter()
        try:
            answer = sock.recv(4096).decode(errors="replace")
        except TimeoutError:
            return "over-limit upload: NO answer before its body was sent (it waited for it)"
        status = answer.split(" ", 2)[1] if answer.startswith("HTTP/") else "?"
        took = 1000 * (time.perf_counter() - began)
        return (
            f"over-limit upload (20 MB announced, 0 bytes sent): answered {status} in "
            f"{took:.0f} ms, before its body was read"
        )


def lag_figures(result: Result) -> tuple[float, float]:
    return percentile(result.latencies, 0.5), percentile(result.latencies, 0.99)
