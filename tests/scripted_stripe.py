"""A Stripe server that answers what the test scripts, one answer per request, recording the
requests (path, form and Idempotency-Key): for the answers localstripe never gives (a rate
limit, a card error on a refund, an outage), to see how the real SDK's errors map to ours."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Script:
    answers: list[tuple[int, dict[str, Any]]]
    seen: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def scripted_stripe(script: Script) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            self._answer({k: v[0] for k, v in form.items()})

        def do_GET(self) -> None:
            self._answer({})

        def _answer(self, form: dict[str, str]) -> None:
            script.seen.append({"path": self.path, "form": form,
                                "key": self.headers.get("Idempotency-Key")})  # fmt: skip
            status, body = script.answers.pop(0)
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
