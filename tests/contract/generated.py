"""Clients generated from the live ``/openapi.json`` by tools nobody here wrote, once per
spec: cached in the temporary directory by the spec's digest, so a session generates once
and the next one not at all.

openapi-python-client is pinned here, not in pyproject.toml: it pins ``typer<0.27`` and the
service pins typer 0.29, so it lives in a virtualenv of its own (made once, next to the
cache), and only its output, plain httpx + attrs code, is imported by the tests."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import build

PYTHON_GENERATOR = "openapi-python-client==0.29.0"
CACHE = Path(tempfile.gettempdir()) / "refundkit-contract"


def live_spec() -> dict[str, Any]:
    """``GET /openapi.json`` of the app as it serves it (on a scratch SQLite file)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=CACHE))
    runtime = build(url=f"sqlite:///{scratch}/spec.db", sandbox=True)
    try:
        answer = TestClient(create_app(runtime.deps)).get("/openapi.json")
        assert answer.status_code == 200, answer.text
        spec: dict[str, Any] = answer.json()
        return spec
    finally:
        runtime.close()
        shutil.rmtree(scratch, ignore_errors=True)


def digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


@contextmanager
def _locked() -> Iterator[None]:
    """One generator at a time across the test processes (pytest-xdist workers)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _generator() -> Path:
    tools = CACHE / f"venv-{PYTHON_GENERATOR.replace('==', '-')}"
    command = tools / "bin" / "openapi-python-client"
    if not command.exists():
        shutil.rmtree(tools, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
        subprocess.run([str(tools / "bin" / "pip"), "install", "--quiet", PYTHON_GENERATOR],
                       check=True, capture_output=True)  # fmt: skip
    return command


def python_client(spec: dict[str, Any]) -> tuple[Path, str]:
    """The directory to put on ``sys.path`` (it holds the package ``refundkit_client``) and
    what the generator printed."""
    final = CACHE / f"python-{digest(spec)}"
    log = final / "generator.log"
    with _locked():
        if not log.exists():
            shutil.rmtree(final, ignore_errors=True)
            final.mkdir(parents=True)
            (final / "openapi.json").write_text(json.dumps(spec))
            # ruff formats the generated code: the one of this virtualenv.
            path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
            done = subprocess.run(
                [str(_generator()), "generate", "--path", str(final / "openapi.json"),
                 "--output-path", str(final / "refundkit_client"), "--meta", "none"],
                capture_output=True, text=True, env={**os.environ, "PATH": path}, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
            log.write_text(done.stdout + done.stderr)
    return final, log.read_text()
