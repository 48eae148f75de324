"""The same flow as the Python client's, in TypeScript (issue 14, item 5): types made by
openapi-typescript from the live ``/openapi.json``, the flow type-checked with
``tsc --strict`` and run with openapi-fetch under Node against a real server, on both
databases. Without node and npm the test says so in one line; CI (REFUNDKIT_REQUIRE_NODE=1
or REFUNDKIT_REQUIRE_BROWSER=1) fails instead."""

from __future__ import annotations

import os
import subprocess

import pytest
from api_client import PLATFORM_KEY, Api, api_fixture  # noqa: F401
from generated import NODE_NEEDED, live_spec, node_missing, typescript_flow
from live_server import live_server


def test_the_whole_flow_through_openapi_fetch(api: Api) -> None:
    if node_missing():
        required = {os.environ.get(v) for v in ("REFUNDKIT_REQUIRE_NODE",
                                                "REFUNDKIT_REQUIRE_BROWSER")}  # fmt: skip
        if "1" in required:
            pytest.fail(NODE_NEEDED)
        pytest.skip(NODE_NEEDED)
    flow = typescript_flow(live_spec())
    with live_server(api.rt) as url:
        done = subprocess.run(["node", str(flow), url, PLATFORM_KEY], capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "typescript flow: ok" in done.stdout
