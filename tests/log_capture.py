"""Capturing every log line through the handler ``serve`` and ``worker`` install
(``refundkit.entrypoints.logs``), as parsed JSON objects.

Use from a test module with ``from log_capture import json_logs_fixture  # noqa: F401``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from refundkit.entrypoints import logs

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture(name="json_logs")
def json_logs_fixture() -> Iterator[Lines]:
    """Every log line from now on at INFO and above, from every logger."""
    yield from _capture(logging.INFO)


@pytest.fixture(name="debug_logs")
def debug_logs_fixture() -> Iterator[Callable[[], str]]:
    """Every log line from now on, DEBUG included, from every logger, as one text."""
    out = io.StringIO()
    with _Installed(out, logging.DEBUG):
        yield out.getvalue


def _capture(level: int) -> Iterator[Lines]:
    out = io.StringIO()
    with _Installed(out, level):
        yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]


class _Installed:
    def __init__(self, out: io.StringIO, level: int) -> None:
        self.handler = logs.handler("json", out)
        self.level = level
        self.old = logging.getLogger().level

    def __enter__(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        root.setLevel(self.level)

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.old)
