"""The OpenAPI document says what the server does (issue 14, item 1): it is a valid OpenAPI
3.1 document; every error answer is the one ``Problem`` schema (never FastAPI's
``HTTPValidationError``); ``Idempotency-Key`` is a declared header; both uploads have
multipart bodies; every list is a typed page; closed sets are enums; defaults only where
the server applies them."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import pytest
from api_client import Api, api_fixture  # noqa: F401
from openapi_spec_validator import validate

import refundkit
from refundkit.domain import errors
from refundkit.domain.disputes.model import DisputeReason, DisputeStatus
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.roles import Role
from refundkit.entrypoints.api.problem_schema import ProblemCode

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(name="spec")
def spec_fixture(api: Api) -> dict[str, Any]:
    answer = api.get("/openapi.json", key=None)
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items()]  # fmt: skip


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_no_framework_validation_schema_is_left(spec: dict[str, Any]) -> None:
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text
    assert "#/components/schemas/ValidationError" not in text


def test_every_error_answer_is_a_problem_with_its_codes(spec: dict[str, Any]) -> None:
    codes = set(spec["components"]["schemas"]["ProblemCode"]["enum"])
    for method, path, op in _operations(spec):
        if not path.startswith("/v1/"):
            continue  # /healthz, /readyz: for load balancers, not for clients
        errors_of = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        assert {"422", "500"} <= set(errors_of), (method, path)
        for status, answer in errors_of.items():
            assert answer["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}
            named = {w.strip("`,:") for w in answer["description"].split() if w.startswith("`")}
            assert named and named <= codes, (method, path, status)
        if op.get("security"):
            assert {"401", "403"} <= set(errors_of), (method, path)
        if "{" in path:
            assert "404" in errors_of, (method, path)


def test_the_problem_schema_has_rfc_9457_members_and_every_stable_code(
    spec: dict[str, Any],
) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "code", "field"} <= set(
        problem["properties"]
    )
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(problem["required"])
    assert problem["properties"]["code"] == {"$ref": "#/components/schemas/ProblemCode"}


def _error_classes() -> list[type[errors.RefundkitError]]:
    for module in pkgutil.walk_packages(refundkit.__path__, "refundkit."):
        if ".migrations" not in module.name and ".bench" not in module.name:
            importlib.import_module(module.name)
    found, todo = [], [errors.RefundkitError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found[1:]


def test_every_error_class_has_its_code_in_the_enum() -> None:
    stable = {c.value for c in ProblemCode}
    for cls in _error_classes():
        assert cls.code in stable, cls


def test_every_post_declares_the_idempotency_key(spec: dict[str, Any]) -> None:
    unkeyed = {"/v1/files", "/v1/disputes/{dispute_id}/evidence", "/v1/tracking-events/aftership",
               "/v1/calendar-feed", "/v1/psp-webhooks/stripe"}  # fmt: skip
    required = {"/v1/orders/{order_id}/refunds", "/v1/sellers/{seller_id}/payouts"}
    for method, path, op in _operations(spec):
        if method != "POST" or path in unkeyed:
            continue
        keys = [p for p in op.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert len(keys) == 1 and keys[0]["in"] == "header", path
        assert keys[0]["required"] is (path in required), path
        assert keys[0]["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}


def test_both_uploads_have_multipart_bodies(spec: dict[str, Any]) -> None:
    for path, needed in (("/v1/files", {"file", "purpose"}),
                         ("/v1/disputes/{dispute_id}/evidence", {"file"})):  # fmt: skip
        body = spec["paths"][path]["post"]["requestBody"]
        form = body["content"]["multipart/form-data"]["schema"]
        assert form["properties"]["file"] == {**form["properties"]["file"],
                                              "type": "string", "format": "binary"}  # fmt: skip
        assert set(form["required"]) == needed


def test_every_list_is_a_typed_page(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    lists = 0
    for method, path, op in _operations(spec):
        ok = next((r for s, r in op["responses"].items() if s.startswith("2")), None)
        ref = (ok or {}).get("content", {}).get("application/json", {}).get("schema", {})
        name = ref.get("$ref", "").rsplit("/", 1)[-1]
        if not name.endswith("Page"):
            continue
        lists += 1
        items = schemas[name]["properties"]["data"]["items"]
        assert items["$ref"].endswith("Out"), (path, items)
        query = {p["name"] for p in op["parameters"] if p["in"] == "query"}
        assert {"limit", "starting_after", "ending_before"} <= query, (method, path)
    assert lists >= 12


def _enum(spec: dict[str, Any], schema: str, field: str) -> set[str]:
    schemas = spec["components"]["schemas"]
    prop = schemas[schema]["properties"][field]
    ref = prop.get("$ref") or next(a["$ref"] for a in prop["anyOf"] if "$ref" in a)
    return set(schemas[ref.rsplit("/", 1)[-1]]["enum"])


def test_closed_sets_are_enums(spec: dict[str, Any]) -> None:
    assert _enum(spec, "OrderOut", "status") == {s.value for s in OrderStatus}
    assert _enum(spec, "DisputeOut", "status") == {s.value for s in DisputeStatus}
    assert _enum(spec, "DisputeOut", "reason") == {r.value for r in DisputeReason}
    assert _enum(spec, "UserOut", "role") == {r.value for r in Role}
    for schema, field in (("DisputeOut", "outcome"), ("RefundOut", "status"),
                          ("OfferOut", "status"), ("ExtensionOut", "status"),
                          ("EventOut", "actor_role"), ("NextActionOut", "action"),
                          ("DisputeNextActionOut", "action"), ("EntryOut", "kind"),
                          ("NotificationOut", "kind"), ("EndpointOut", "status"),
                          ("DeliveryOut", "status"), ("AppealOut", "status")):  # fmt: skip
        assert _enum(spec, schema, field), (schema, field)


def test_defaults_only_where_the_server_applies_them(api: Api, spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["ReasonIn"]["properties"]["reason"]["default"] == ""
    assert "reason" not in schemas["ReasonIn"].get("required", [])
    assert schemas["RequiredReasonIn"]["required"] == ["reason"]
    reject = spec["paths"]["/v1/disputes/{dispute_id}/reject"]["post"]["requestBody"]
    assert reject["content"]["application/json"]["schema"]["$ref"].endswith("RequiredReasonIn")


def test_operation_ids_are_the_route_names(spec: dict[str, Any]) -> None:
    """What generated clients name their functions (create_order, open_dispute): unique."""
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids))
    assert {"create_order", "open_dispute", "make_offer", "list_refunds"} <= set(ids)
