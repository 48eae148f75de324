"""``GET /readyz``: 200 only when the database answers and its schema is at this code's
migration head (or ahead of it: a newer release migrated during a rolling upgrade, and
migrations only add), else 503 with a problem, so a load balancer keeps traffic off a process
that cannot serve. ``/healthz`` stays the liveness check (the process answers at all).
Neither needs a key; neither says more than what is wrong (no host, no driver error)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError

from refundkit.adapters.db.migrate import code_heads, schema_heads, schema_state
from refundkit.entrypoints.api.problems import problem

log = logging.getLogger(__name__)


def install(app: FastAPI) -> None:
    @app.get("/readyz", tags=["health"], responses={503: {"description": "Not ready"}})
    def readyz(request: Request) -> Any:
        engine = getattr(request.app.state.deps.uow, "engine", None)
        if engine is None:
            return {"status": "ready"}
        try:
            at = schema_heads(engine)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("not ready: the database does not answer (%s)", type(exc).__name__)
            return problem(503, "not_ready", "the database does not answer",
                           headers={"Retry-After": "5"})  # fmt: skip
        wanted = code_heads()
        if schema_state(at) == "behind":
            shown = ", ".join(sorted(at)) or "none"
            return problem(
                503, "not_ready",
                f"the database schema is at {shown}, this code needs {', '.join(sorted(wanted))}"
                ": run refundkit migrate", headers={"Retry-After": "5"},
            )  # fmt: skip
        return {"status": "ready", "schema": ", ".join(sorted(at))}
