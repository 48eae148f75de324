"""A second listener that serves only ``GET /metrics``, without a key, on
``REFUNDKIT_METRICS_ADDR`` (host:port): for a scraper on an internal interface, and for a
worker process, which has no API port. Bind it where only the scraper reaches."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy.engine import Engine

from refundkit.adapters import metrics
from refundkit.service.ports import Clock

log = logging.getLogger(__name__)


def start(bind: tuple[str, int], engine: Engine, clock: Clock) -> ThreadingHTTPServer:
    levels = metrics.DatabaseCollector(engine, clock.now)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404)
                return
            body = metrics.exposition(levels)
            self.send_response(200)
            self.send_header("Content-Type", metrics.CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # scrapes are not worth a line each

    server = ThreadingHTTPServer(bind, Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="refundkit-metrics", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics", *server.server_address[:2])
    return server
