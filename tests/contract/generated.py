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


TS_FOLDER = Path(__file__).parent / "ts"
NODE_NEEDED = "the TypeScript client test needs node and npm (Node 20) on PATH"


def node_missing() -> bool:
    return shutil.which("node") is None or shutil.which("npm") is None


def _node_modules() -> Path:
    """``npm ci`` of the pinned packages into ``ts/node_modules``, again when the lock
    changed."""
    lock = (TS_FOLDER / "package-lock.json").read_bytes()
    stamp = TS_FOLDER / "node_modules" / ".refundkit-lock"
    wanted = hashlib.sha256(lock).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TS_FOLDER,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        stamp.write_text(wanted)
    return TS_FOLDER / "node_modules"


def typescript_flow(spec: dict[str, Any]) -> Path:
    """``flow.js``: the TypeScript flow compiled by ``tsc --strict`` against the types
    openapi-typescript made from ``spec``."""
    source = (TS_FOLDER / "flow.ts").read_text()
    key = hashlib.sha256((digest(spec) + source).encode()).hexdigest()[:16]
    work = CACHE / f"ts-{key}"
    compiled, built = work / "out" / "flow.js", work / "built"
    with _locked():
        if not built.exists():
            modules = _node_modules()
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            (work / "openapi.json").write_text(json.dumps(spec))
            (work / "flow.ts").write_text(source)
            (work / "node_modules").symlink_to(modules)
            (work / "package.json").write_text('{"type": "module"}')
            bin_ = modules / ".bin"
            for step in (
                # Without the flag a field with a default is required in request bodies too.
                [str(bin_ / "openapi-typescript"), "openapi.json", "-o", "schema.d.ts",
                 "--default-non-nullable", "false"],
                [str(bin_ / "tsc"), "--strict", "--noEmit", "false", "--target", "es2022",
                 "--module", "nodenext", "--moduleResolution", "nodenext",
                 "--lib", "es2022,dom", "--skipLibCheck", "--noEmitOnError", "--outDir", "out",
                 "flow.ts"],
            ):  # fmt: skip
                done = subprocess.run(step, cwd=work, capture_output=True, text=True,
                                      check=False)  # fmt: skip
                assert done.returncode == 0, f"{step[0]}:\n{done.stdout}{done.stderr}"
            built.write_text("ok")
    return compiled
