"""Log lines: plain and readable by default, one JSON object per line with
``REFUNDKIT_LOG_FORMAT=json``; each carries the id of the request or worker batch it
belongs to (``service/request_context.py``).

What is logged is chosen where it is logged: paths without their query, ids, counts and
codes; never a header, a body, a key, a password, a cookie or an evidence file's content
(``tests/e2e/test_logs.py`` runs a whole flow and greps the lines for the secrets it used).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from refundkit.service import request_context

FORMATS = ("plain", "json")
PLAIN = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the bound request id (``-`` outside any request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_context.current() or "-"
        return True


QUIETED = ("httpx", "httpcore", "multipart", "python_multipart")
"""Libraries whose info and debug lines hold whole URLs or request bodies (a shop's webhook
address may carry its token; a form holds a password): only their warnings are kept."""


class LibraryFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        quiet = record.name.split(".", 1)[0] in QUIETED
        return not quiet or record.levelno >= logging.WARNING


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if line["request_id"] == "-":
            line["request_id"] = None
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def handler(log_format: str = "plain", stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines (to stderr unless ``stream``)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, got {log_format!r}")
    out = logging.StreamHandler(stream or sys.stderr)
    out.addFilter(LibraryFilter())
    out.addFilter(RequestIdFilter())
    out.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(PLAIN))
    return out


def configure(log_format: str = "plain", level: str = "INFO") -> None:
    """Route every logger (refundkit's, uvicorn's, the libraries') through one handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
