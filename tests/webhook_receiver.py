"""A real HTTP receiver on 127.0.0.1 for webhook tests: it answers from a scripted list of
status codes (then 200) and keeps every request it got."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[int]
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    first_arrived: threading.Event = field(default_factory=threading.Event)
    hold_first: threading.Event | None = None
    """When set, the first request is kept waiting (unanswered) until this event is set."""
    changed: threading.Condition = field(default_factory=threading.Condition)

    def ids(self) -> set[str]:
        with self.lock:
            return {r.headers["webhook-id"] for r in self.got}

    def wait_for_ids(self, count: int, timeout: float) -> set[str]:
        """Block until ``count`` distinct webhook ids arrived (or the timeout passed)."""
        with self.changed:
            self.changed.wait_for(lambda: len(self.ids()) >= count, timeout=timeout)
        return self.ids()


@contextmanager
def receiver(
    script: list[int] | None = None,
    hold_first: threading.Event | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    """``tls``: serve HTTPS with this server context (the URL then says https)."""
    state = Receiver("", list(script or []), hold_first=hold_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            first = not state.first_arrived.is_set()
            state.first_arrived.set()
            if first and state.hold_first is not None:
                state.hold_first.wait()
            with state.lock:
                state.got.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                status = state.script.pop(0) if state.script else 200
            with state.changed:
                state.changed.notify_all()
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
