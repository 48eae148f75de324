"""``refundkit serve --workers N`` (issue 16): several API processes on one port, on
PostgreSQL; SQLite, with its single writer, is refused (it is served by one process)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from processes import PLATFORM_KEY, env, free_port, ready, reaped


def test_workers_serve_postgresql_and_sqlite_is_refused(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "refundkit.entrypoints.cli.main", "serve", "--sandbox",
               "--no-worker", "--workers", "2", "--port", str(port)]  # fmt: skip
    if database_url.startswith("sqlite"):
        done = subprocess.run(command, env=env(database_url, tmp_path), capture_output=True,
                              timeout=120, check=False)  # fmt: skip
        assert done.returncode == 2
        assert b"--workers needs PostgreSQL" in done.stdout + done.stderr
        return
    process = subprocess.Popen(command, env=env(database_url, tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    with reaped(process):
        ready(process, port)
        headers = {"Authorization": f"Bearer {PLATFORM_KEY}"}
        for _ in range(6):  # new connections: the processes share the port
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                assert client.get("/v1/me", headers=headers).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
