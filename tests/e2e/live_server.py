"""The API served by a real uvicorn on 127.0.0.1 (a free port), for tests that need many
clients at once over real sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.entrypoints.serving import ServerLimits, uvicorn_config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(runtime: Runtime, limits: ServerLimits | None = None) -> Iterator[str]:
    """Yield the base URL once the server accepts connections; stop it afterwards. With
    ``limits``, uvicorn is set up as ``refundkit serve`` sets it up."""
    port = _free_port()
    if limits is None:
        config = uvicorn.Config(create_app(runtime.deps), host="127.0.0.1", port=port,
                                log_level="warning", limit_concurrency=1000)  # fmt: skip
    else:
        config = uvicorn_config(create_app(runtime.deps), "127.0.0.1", port, limits,
                                log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    started = threading.Event()
    original_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets)
        started.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not started.wait(timeout=30):
        raise RuntimeError("the test server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
