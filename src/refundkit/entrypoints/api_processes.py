"""``refundkit serve --workers N``: N API processes on one port under uvicorn's supervisor,
each with its own runtime and connection pool, sharing PostgreSQL (SQLite has a single
writer: it is served by one process). The timer worker, the migrations and the platform
key stay with the supervising ``serve`` process; each API process only builds its runtime
and the app. A key rotated or revoked through one process reaches the others within
``REFUNDKIT_API_KEY_CACHE_SECONDS`` (docs/api.md "Authentication")."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from refundkit.adapters.settings import Settings
from refundkit.entrypoints.serving import ServerLimits, uvicorn_config

OPTIONS = "RK_API_PROCESS_OPTIONS"
"""What the supervisor hands its API processes (sandbox, policy file), as JSON; not a
setting (not in the settings namespace), so never called a typo."""


def app() -> Any:
    """The app of one API process (uvicorn calls it in each, ``factory=True``)."""
    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.bootstrap import build

    options = json.loads(os.environ.get(OPTIONS) or "{}")
    policy = options.get("policy")
    runtime = build(sandbox=bool(options.get("sandbox")), migrate=False,
                    policy_path=Path(policy) if policy else None)  # fmt: skip
    return create_app(runtime.deps)


def serve_processes(
    workers: int, settings: Settings, *, host: str, port: int, limits: ServerLimits,
    sandbox: bool, policy: Path | None,
) -> None:  # fmt: skip
    """Run ``workers`` API processes until SIGTERM or SIGINT (each finishes what it has in
    flight, up to REFUNDKIT_SHUTDOWN_GRACE_SECONDS)."""
    from uvicorn.supervisors import Multiprocess

    os.environ[OPTIONS] = json.dumps({"sandbox": sandbox,
                                      "policy": str(policy) if policy else None})  # fmt: skip
    config = uvicorn_config(
        f"{__name__}:app", host, port, limits, factory=True, workers=workers,
        log_level="warning", log_config=None,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_seconds),
    )  # fmt: skip
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
