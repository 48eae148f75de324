"""API fuzzing with schemathesis (issue 8): every operation of /openapi.json, with bodies,
query strings and path ids generated both valid (positive) and invalid (negative), sent
with the key of every role (platform, buyer, seller, agent, a stranger, no key), half the
time aimed at real objects. No answer may be a 5xx; every answer must match the spec
(issue 14: status code, media type, headers and body schema, errors included), a request
outside the schema must be refused, and every refusal must be a problem+json with a stable
code."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import schemathesis
from api_client import Api, api_fixture  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from long_runs import record, size

EXAMPLES = size(6, 150)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
]
"""Every answer matches the spec: its status is declared, its media type, headers and body
are the declared ones, and a request the schema rules out is refused."""


class World:
    """Real objects for the fuzzer to aim at, and a key for every role."""

    def __init__(self, api: Api) -> None:
        buyer, seller = api.user("buyer"), api.user("seller", "CN")
        agent, stranger = api.user("agent", "IE"), api.user("buyer", "FR")
        order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
        api.post("/v1/sandbox/clock/advance", {"days": 5})
        opened = api.post(f"/v1/orders/{order}/disputes",
                          {"reason": "not_received", "item_received": False,
                           "requested_refund": "5.00", "description": "Lost."},
                          key=buyer["api_key"])  # fmt: skip
        self.keys = {"platform": api.platform_key, "buyer": buyer["api_key"],
                     "seller": seller["api_key"], "agent": agent["api_key"],
                     "stranger": stranger["api_key"], "nobody": None}  # fmt: skip
        self.ids = {"order_id": order, "dispute_id": opened.json()["id"],
                    "seller_id": seller["id"], "user_id": buyer["id"],
                    "account": f"seller_payable:{seller['id']}"}  # fmt: skip

    def role_for(self, case: Any) -> str:
        """A role chosen from the case itself, so a replayed case runs as the same role."""
        seen = repr((case.method, case.path_parameters, case.query, case.body)).encode()
        roles = sorted(self.keys)
        return roles[hashlib.sha256(seen).digest()[0] % len(roles)]


def test_no_operation_answers_5xx_or_off_its_schema(api: Api) -> None:
    world = World(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    sent, statuses = Counter[str](), Counter[int]()
    for result in schema.get_all_operations():
        operation = result.ok()
        ids = {p.name: world.ids[p.name] for p in operation.path_parameters
               if p.name in world.ids}  # fmt: skip
        strategies = [
            operation.as_strategy(generation_mode=mode)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        if ids:
            strategies.append(operation.as_strategy(path_parameters=ids))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def fuzz(case: Any) -> None:
            role = world.role_for(case)
            key = world.keys[role]
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            answer = case.call_and_validate(headers=headers, checks=CHECKS)
            sent[role] += 1
            statuses[answer.status_code] += 1
            if answer.status_code >= 400:
                kind = answer.headers.get("content-type", [""])
                kind = kind[0] if isinstance(kind, list) else kind
                assert kind.startswith("application/problem+json"), (case.path, answer.text)
                assert answer.json()["code"], answer.text

        fuzz()
    assert statuses and max(statuses) < 500, statuses
    record(
        "api_fuzzing",
        database=api.rt.engine.dialect.name,
        requests=sum(sent.values()),
        by_role=dict(sent),
        by_status={str(k): v for k, v in sorted(statuses.items())},
    )
