"""refundkit as real OS processes for tests: ``refundkit serve`` and ``refundkit worker``
started the way an operator starts them, on a test database, and waited for by polling."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

WAIT = 120.0
PLATFORM_KEY = "pk_test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll ``condition`` until it holds (a process, the database, a port)."""
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting: {what}"
        time.sleep(0.01)


def env(url: str, tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "REFUNDKIT_DATABASE_URL": url, "REFUNDKIT_EVIDENCE_DIR": str(tmp),
            "REFUNDKIT_PLATFORM_KEY": PLATFORM_KEY, **extra}  # fmt: skip


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "refundkit.entrypoints.cli.main", *args]


def api(url: str, tmp: Path, port: int, *, log: Path | None = None, wait: bool = True,
        **extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    """``refundkit serve --sandbox --no-worker`` on ``port``, once it answers /healthz
    (unless ``wait`` is False: then call ``ready`` later, to start several at once)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        _command("serve", "--sandbox", "--no-worker", "--port", str(port)),
        env=env(url, tmp, **extra), stdout=out, stderr=out,
    )  # fmt: skip
    if wait:
        ready(process, port)
    return process


def ready(process: subprocess.Popen[bytes], port: int) -> None:
    """Wait until the API ``process`` answers /readyz on ``port``."""

    def answers() -> bool:
        assert process.poll() is None, f"the API process died on start ({process.returncode})"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        except httpx.TransportError:
            return False

    until(answers, "the API to start")


def worker(url: str, tmp: Path, *, batch: int = 100, poll: float = 0.05,
           log: Path | None = None, **extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        _command("worker", "--sandbox", "--poll", str(poll), "--batch", str(batch)),
        env=env(url, tmp, **extra), stdout=out, stderr=out,
    )  # fmt: skip


@contextmanager
def reaped(*processes: subprocess.Popen[bytes] | list[subprocess.Popen[bytes]]) -> Iterator[None]:
    """Whatever happens, no process outlives the test (a list given is read at the end, so
    processes started later may be added to it)."""
    try:
        yield
    finally:
        flat = [p for x in processes for p in (x if isinstance(x, list) else [x])]
        for process in flat:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
