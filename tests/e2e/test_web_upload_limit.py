"""A form sent without ``Content-Length`` (chunked) is cut off once it passes the most a form
may carry, before the rest of it is read or written anywhere (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from api_client import snapshot
from web_client import csrf, signed_in

from market import Market
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.web.session import COOKIE, MAX_FILES

LIMIT = 1000
CHUNK = 64 * 1024


def _post_chunked(app: Any, path: str, cookie: str, head: bytes, chunks: int) -> dict[str, Any]:
    """Post ``head`` then ``chunks`` chunks of file bytes, never saying how long the body is;
    answer the status, the body and how many bytes the application pulled."""
    pulled = {"bytes": 0, "left": chunks}
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        if pulled["bytes"] == 0:
            body = head
        elif pulled["left"] > 0:
            pulled["left"] -= 1
            body = b"y" * CHUNK
        else:
            return {"type": "http.request", "body": b"\r\n--b--\r\n", "more_body": False}
        pulled["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"cookie", f"{COOKIE}={cookie}".encode()),
                    (b"content-type", b"multipart/form-data; boundary=b"),
                    (b"transfer-encoding", b"chunked")],
    }  # fmt: skip
    with start_blocking_portal() as portal:  # its own loop, as the test client runs one
        portal.call(app, scope, receive, send)
    return {**answer, "pulled": pulled["bytes"]}


def test_a_chunked_form_over_the_limit_is_cut_off_while_it_streams(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFUNDKIT_MAX_UPLOAD_BYTES", str(LIMIT))
    order = market.shipped()
    market.advance(days=6)
    client = signed_in(market, market.buyer)
    token = csrf(client.get(f"/orders/{order.id}/dispute/new").text)
    cookie = client.cookies[COOKIE]
    app = create_app(market.deps)
    head = (
        f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        '--b\r\nContent-Disposition: form-data; name="evidence"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    before = snapshot(market.rt.engine)
    limit = MAX_FILES * (LIMIT + 16 * 1024)
    chunks = 40  # 2.5 MiB on offer, far past the limit
    sent = _post_chunked(app, f"/orders/{order.id}/dispute/new", cookie, head, chunks)
    assert sent["status"] == 413
    assert re.search(rb"larger than|too large", sent["body"]), sent["body"][:300]
    assert sent["pulled"] <= limit + CHUNK < len(head) + chunks * CHUNK
    assert snapshot(market.rt.engine) == before
