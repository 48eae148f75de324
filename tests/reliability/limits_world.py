"""A refundkit with small per-account limits (policy ``[limits]``) and a small upload size,
for the hostile-input and rate-limit tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_client import Api

from books import START, assert_ledger_invariants
from refundkit.adapters.policy_files import default_policy_text
from refundkit.entrypoints.bootstrap import Runtime, build

LIMITS = {"disputes_opened_per_hour": 2, "offers_per_hour": 3, "refunds_per_hour": 2,
          "platform_refunds_per_hour": 3, "upload_quota_bytes": 3000}  # fmt: skip
MAX_UPLOAD = 2048


def small_limits_policy(tmp: Path) -> Path:
    text = default_policy_text()
    head, _, tail = text.partition("\n[limits]\n")
    head = head.replace('version = "', 'version = "small-limits-', 1)
    after = re.search(r"^\[", tail, re.MULTILINE)  # the tables after [limits] stay
    rest = tail[after.start() :] if after else ""
    lines = "\n".join(f"{key} = {value}" for key, value in LIMITS.items())
    path = tmp / "small-limits.toml"
    path.write_text(f"{head}\n[limits]\n{lines}\n\n{rest}", encoding="utf-8")
    return path


@pytest.fixture(name="limited")
def limited_fixture(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    """An ``Api`` on a runtime under the small-limits policy, uploads capped at 2 KiB."""
    monkeypatch.setenv("REFUNDKIT_MAX_UPLOAD_BYTES", str(MAX_UPLOAD))
    policy = small_limits_policy(tmp_path)
    rt = build(url=database_url, sandbox=True, migrate=False, sandbox_start=START,
               policy_path=policy)  # fmt: skip
    api = Api(rt)
    api.policy_path = policy  # type: ignore[attr-defined]
    with api.client:
        yield api
    assert_ledger_invariants(rt.engine)
    rt.close()


def second_process(api: Api) -> tuple[Runtime, Api]:
    """Another API process on the same database: its own engine, app and policy book."""
    url = api.rt.engine.url.render_as_string(hide_password=False)
    rt = build(url=url, sandbox=True, migrate=False, sandbox_start=START,
               policy_path=api.policy_path)  # type: ignore[attr-defined]  # fmt: skip
    return rt, Api(rt)


def disputable_order(api: Api, buyer: dict[str, Any], seller: dict[str, Any]) -> str:
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    api.ship(order["id"], seller)
    return str(order["id"])
