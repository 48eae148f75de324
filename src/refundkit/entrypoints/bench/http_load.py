"""Clients over real sockets: keep-alive connections of the standard library (lighter than
httpx, so the clients cost the server's core as little as they can)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class HttpError(RuntimeError):
    pass


@dataclass
class Client:
    host: str
    port: int
    key: str

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self._n = 0

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: int = 200,
        idempotent: bool = True,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        payload: bytes | None = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if method == "POST" and idempotent:
            self._n += 1
            sent["Idempotency-Key"] = f"bench-{id(self)}-{self._n}-{time.perf_counter_ns()}"
        self.conn.request(method, path, body=payload, headers=sent)
        answer = self.conn.getresponse()
        data = answer.read()
        if answer.status != expect:
            raise HttpError(f"{method} {path}: {answer.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


def run_clients(
    clients: int,
    per_client: int,
    make: Callable[[], Client],
    operation: Callable[[Client, int, int], None],
) -> tuple[list[float], float, list[str]]:
    """``clients`` threads, each doing ``operation(client, thread, n)`` ``per_client`` times.
    Answers the latencies, the wall time, and the errors."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def one(thread: int) -> None:
        client = make()
        mine: list[float] = []
        start.wait()
        try:
            for n in range(per_client):
                began = time.perf_counter()
                try:
                    operation(client, thread, n)
                except (HttpError, OSError) as exc:
                    with lock:
                        errors.append(str(exc))
                    client.close()
                    client = make()
                    continue
                mine.append(time.perf_counter() - began)
        finally:
            client.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=one, args=(t,), daemon=True) for t in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - began, errors
