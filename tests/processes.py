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


def api(url: str, tmp: Path, port: int, *, log: Path | None = None,
        **extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    """``refundkit serve --sandbox --no-worker`` on ``port``, once it answers /healthz."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        _command("serve", "--sandbox", "--no-worker", "--port", str(port)),
        env=env(url, tmp, **extra), stdout=out, stderr=out,
    )  # fmt: skip

    def answers() -> bool:
        assert process.poll() is None, f"the API process died on start ({process.returncode})"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    until(answers, "the API to start")
    return process


def worker(url: str, tmp: Path, *, batch: int = 100, log: Path | None = None,
           **extra: str) -> subprocess.Popen[bytes]:  # fmt: skip
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    return subprocess.Popen(
        _command("worker", "--sandbox", "--poll", "0.05", "--batch", str(batch)),
        env=env(url, tmp, **extra), stdout=out, stderr=out,
    )  # fmt: skip


@contextmanager
def reaped(*processes: subprocess.Popen[bytes]) -> Iterator[None]:
    """Whatever happens, no process outlives the test."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
