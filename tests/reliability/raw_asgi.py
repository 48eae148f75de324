"""Calling the ASGI app directly with a body made on demand, counting what the app pulled:
to show a body is refused before it is read (a test client would send it all first)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    pulled: int
    """Bytes of the request body the app asked for."""

    def json(self) -> Any:
        return json.loads(self.body)


def chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    """``total`` bytes of spaces in chunks of ``size``, each made only when asked for."""
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def call(app: Any, method: str, path: str, body: Iterator[bytes],
         headers: dict[str, str] | None = None) -> Answer:  # fmt: skip
    pulled = 0
    pending = iter(body)
    started: dict[str, Any] = {}
    sent: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "state": {},
    }  # fmt: skip
    # In a thread of its own: the browser tests' Playwright keeps a loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    answer_headers = {k.decode().lower(): v.decode() for k, v in started.get("headers", [])}
    return Answer(started["status"], answer_headers, b"".join(sent), pulled)
