"""An HTTP driver for end-to-end tests: the FastAPI app in process, on the ``runtime`` fixture
(so on SQLite and on PostgreSQL), with helpers to make people and orders through the API.

Use it from a test module with ``from api_client import api_fixture  # noqa: F401``: that
registers the fixture ``api`` (the other name keeps a parameter ``api`` from shadowing it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from refundkit.adapters.db import tables
from refundkit.entrypoints.api.app import create_app
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import transactions
from refundkit.service.users import ensure_platform_key

PLATFORM_KEY = "pk_test"
PROBLEM_JSON = "application/problem+json"


class Api:
    """A ``TestClient`` on ``create_app(runtime.deps)`` plus a platform key (``pk_test``)."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.deps = runtime.deps
        self.platform = transactions.run(
            self.deps, lambda uow: ensure_platform_key(self.deps, uow, PLATFORM_KEY)
        )
        self.platform_key = PLATFORM_KEY
        self.client = TestClient(create_app(runtime.deps), raise_server_exceptions=False)
        self._n = 0

    # --- raw requests -----------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = PLATFORM_KEY,
        json_body: Any = None,
        content: str | bytes | None = None,
        idem: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Response:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        if idem is not None:
            sent["Idempotency-Key"] = idem
        if content is not None:
            sent.setdefault("Content-Type", "application/json")
            return self.client.request(method, path, content=content, headers=sent, params=params)
        if json_body is not None:
            return self.client.request(
                method, path, content=json.dumps(json_body), params=params,
                headers={"Content-Type": "application/json", **sent},
            )  # fmt: skip
        return self.client.request(method, path, headers=sent, params=params)

    def post(self, path: str, body: Any = None, *, key: str | None = PLATFORM_KEY,
             idem: str | None = None) -> Response:  # fmt: skip
        return self.request("POST", path, key=key, json_body={} if body is None else body,
                            idem=idem)  # fmt: skip

    def get(self, path: str, *, key: str | None = PLATFORM_KEY,
            params: dict[str, Any] | None = None) -> Response:  # fmt: skip
        return self.request("GET", path, key=key, params=params)

    # --- people and orders ------------------------------------------------------------

    def user(self, role: str, country: str = "DE", tier: str | None = None) -> dict[str, Any]:
        """A new user through ``POST /v1/users``; the answer includes its ``api_key``."""
        self._n += 1
        body: dict[str, Any] = {
            "role": role, "name": f"{role} {self._n}", "email": f"{role}{self._n}@e2e.test",
            "country": country,
        }  # fmt: skip
        if tier is not None:
            body["tier"] = tier
        answer = self.post("/v1/users", body)
        assert answer.status_code == 201, answer.text
        made: dict[str, Any] = answer.json()
        assert made["api_key"]
        return made

    @staticmethod
    def order_body(buyer: dict[str, Any], seller: dict[str, Any], **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "buyer_id": buyer["id"],
            "seller_id": seller["id"],
            "currency": "USD",
            "items": [{"sku": "sku-1", "title": "Lamp", "quantity": 2, "unit_price": "12.50"}],
            "shipping_fee": "5.00",
            "payment_method": "card",
            "ship_to": {"country": "DE", "city": "Berlin", "postcode": "10115"},
            "promised_delivery_days": 20,
        }
        body.update(changes)
        return body

    def create_order(self, buyer: dict[str, Any], seller: dict[str, Any],
                     **changes: Any) -> dict[str, Any]:  # fmt: skip
        answer = self.post("/v1/orders", self.order_body(buyer, seller, **changes))
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        return order

    def pay(self, order_id: str) -> dict[str, Any]:
        answer = self.post(f"/v1/orders/{order_id}/pay", {"payment_reference": "psp-1"})
        assert answer.status_code == 200, answer.text
        order: dict[str, Any] = answer.json()
        assert order["status"] == "paid"
        return order

    def ship(self, order_id: str, seller: dict[str, Any]) -> dict[str, Any]:
        answer = self.post(
            f"/v1/orders/{order_id}/ship", {"carrier": "DHL", "tracking_number": "T-1"},
            key=seller["api_key"],
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        order: dict[str, Any] = answer.json()
        assert order["status"] == "shipped"
        return order

    def order(self, order_id: str) -> dict[str, Any]:
        answer = self.get(f"/v1/orders/{order_id}")
        assert answer.status_code == 200, answer.text
        order: dict[str, Any] = answer.json()
        return order

    # --- what the database holds --------------------------------------------------------

    def snapshot(self) -> dict[str, list[str]]:
        """Every row of every table, so a test can show that a refused request changed
        nothing at all."""
        return snapshot(self.rt.engine)

    def count(self, table: str) -> int:
        with self.rt.engine.connect() as conn:
            found = conn.execute(
                sa.select(sa.func.count()).select_from(tables.metadata.tables[table])
            ).scalar_one()
        return int(found)


def snapshot(engine: sa.Engine) -> dict[str, list[str]]:
    """Every row of every table of this database."""
    with engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            for table in tables.metadata.sorted_tables
        }


def assert_problem(answer: Response, status: int | tuple[int, ...],
                   code: str | tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    """An RFC 9457 problem with the given status and stable ``code``."""
    statuses = (status,) if isinstance(status, int) else status
    codes = (code,) if isinstance(code, str) else code
    assert answer.status_code in statuses, (answer.status_code, answer.text)
    assert answer.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON, answer.headers
    body: dict[str, Any] = answer.json()
    assert body["status"] == answer.status_code, body
    assert body["code"] in codes, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["instance"], str) and body["instance"], body
    return body


@pytest.fixture(name="api")
def api_fixture(runtime: Runtime) -> Iterator[Api]:
    driver = Api(runtime)
    with driver.client:
        yield driver
