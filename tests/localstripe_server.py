"""localstripe (a stateful fake Stripe server from PyPI, written by others) in a subprocess
on a free loopback port, for the tests of the Stripe provider.

Run as ``python tests/localstripe_server.py PORT``: localstripe's own ``start()`` listens on
every interface and writes its state to ``/tmp/localstripe.pickle`` on each change, which
parallel test processes would share; this launcher serves the same application on 127.0.0.1
only and keeps the state in memory.

What localstripe does NOT do, so the tests relying on it prove nothing about it: it ignores
idempotency keys (a replayed request makes a second refund), it does not cap refunds at the
charge's amount, every refund it makes succeeds at once, and it has no disputes. refundkit
guarantees the first two itself (tests/integration/test_stripe_provider.py shows it), the
refund statuses other than ``succeeded`` and the disputes come in through webhooks that the
tests build from Stripe's documented shapes and sign with the SDK's scheme.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _serve(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def localstripe() -> Iterator[str]:
    """Yield localstripe's base URL once it accepts connections; stop it afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_listening(process, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"localstripe exited with {process.returncode}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # readiness poll of a starting process, not a timed assertion
    raise RuntimeError("localstripe did not start within a minute")


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
