"""The API under load runs in a process of its own (as it would in production), so the
clients driving it do not share its interpreter. It counts its SQL statements into shared
memory, and serves two bare endpoints beside the API for the ceilings: a small JSON answer,
and a body read and dropped."""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from refundkit.entrypoints.bench.measure import StatementCounter


@dataclass
class Served:
    host: str
    port: int
    pid: int
    _statements: Synchronized[int]
    _worker_statements: Synchronized[int] | None = None

    @property
    def statements(self) -> int:
        total = int(self._statements.value)
        if self._worker_statements is not None:
            total += int(self._worker_statements.value)
        return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(url: str, port: int, statements: Synchronized[int], evidence_dir: str) -> None:
    import uvicorn
    from fastapi import Request

    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.api.guards import own_body
    from refundkit.entrypoints.bench.market import SINK_ALLOWED, THROWAWAY_KEY
    from refundkit.entrypoints.bootstrap import build

    os.environ["REFUNDKIT_EVIDENCE_DIR"] = evidence_dir
    runtime = build(
        url=url, migrate=False, webhook_allow_private=SINK_ALLOWED, secret_key=THROWAWAY_KEY
    )
    app = create_app(runtime.deps)

    @app.get("/bench/bare")
    def bare() -> dict[str, str]:
        return {"status": "ok", "id": "ord_0000000000000000"}

    @app.post("/bench/bare", status_code=201)
    def bare_post(body: dict[str, Any]) -> dict[str, Any]:
        return {"status": "ok", "echo": len(body)}

    @app.post("/bench/drain", status_code=201)
    @own_body  # reads as much as an upload, like /v1/files
    async def drain(request: Request) -> dict[str, int]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return {"size": size}

    def seen(*_args: Any) -> None:
        with statements.get_lock():
            statements.value += 1

    import sqlalchemy as sa

    for hook in ("before_cursor_execute", "commit", "rollback"):
        sa.event.listen(runtime.engine, hook, seen)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        limit_concurrency=1000,
        backlog=2048,
    )


def _work(url: str, statements: Synchronized[int], poll: float) -> None:
    """A worker process relaying the outbox and sending webhooks (``refundkit worker``)."""
    import threading

    import sqlalchemy as sa

    from refundkit.entrypoints.bench.market import SINK_ALLOWED, THROWAWAY_KEY
    from refundkit.entrypoints.bootstrap import build
    from refundkit.entrypoints.worker import run_worker

    runtime = build(
        url=url, migrate=False, webhook_allow_private=SINK_ALLOWED, secret_key=THROWAWAY_KEY
    )

    def seen(*_args: Any) -> None:
        with statements.get_lock():
            statements.value += 1

    for hook in ("before_cursor_execute", "commit", "rollback"):
        sa.event.listen(runtime.engine, hook, seen)
    from refundkit.adapters.db.outbox_wake import OutboxWake

    run_worker(runtime.deps, threading.Event(), poll_seconds=poll, wake=OutboxWake(runtime.engine))


@contextmanager
def served(url: str, evidence_dir: str, *, worker_poll: float | None = None) -> Iterator[Served]:
    """The API in a child process (and a webhook worker in another, when ``worker_poll``)."""
    ctx = mp.get_context("spawn")
    port = _free_port()
    statements: Synchronized[int] = ctx.Value("q", 0)
    server = ctx.Process(target=_serve, args=(url, port, statements, evidence_dir), daemon=True)
    server.start()
    worker = None
    worker_statements: Synchronized[int] | None = None
    if worker_poll is not None:
        worker_statements = ctx.Value("q", 0)
        worker = ctx.Process(target=_work, args=(url, worker_statements, worker_poll), daemon=True)
        worker.start()
    try:
        _wait_for(port, server)
        assert server.pid is not None
        yield Served("127.0.0.1", port, server.pid, statements, worker_statements)
    finally:
        for process in (worker, server):
            if process is not None:
                process.terminate()
                process.join(timeout=20)


def _wait_for(port: int, process: mp.process.BaseProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not process.is_alive():
            raise RuntimeError("the benchmark server stopped while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start within a minute")


__all__ = ["Served", "StatementCounter", "served"]
