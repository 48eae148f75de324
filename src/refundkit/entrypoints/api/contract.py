"""The OpenAPI document, made to say exactly what the server answers.

FastAPI describes the happy path; this adds what it cannot know: every operation's error
answers, all as the one ``Problem`` schema (never FastAPI's ``HTTPValidationError``, which
the server never sends), with the codes each can carry; ``Idempotency-Key`` marked required
where the server requires it; the headers errors and replays carry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from refundkit.entrypoints.api.auth import current_user
from refundkit.entrypoints.api.problem_schema import Problem, ProblemCode
from refundkit.entrypoints.api.problems import PROBLEM_JSON, TITLES
from refundkit.entrypoints.api.responses import (
    idempotency_request,
    query_names,
    required_idempotency_request,
)

C = ProblemCode
RATE_LIMITED_OPERATIONS = frozenset({
    ("POST", "/v1/orders/{order_id}/disputes"),
    ("POST", "/v1/disputes/{dispute_id}/offers"),
    ("POST", "/v1/orders/{order_id}/refunds"),
})  # fmt: skip
"""The actions counted per account and hour (service/rate_limits.py)."""
UPLOAD_OPERATIONS = frozenset({
    ("POST", "/v1/files"),
    ("POST", "/v1/disputes/{dispute_id}/evidence"),
})  # fmt: skip
SIGNED_OPERATIONS = frozenset({("POST", "/v1/psp-webhooks/stripe")})
"""Authenticated by the payment provider's signature, not by a key."""
SANDBOX_PREFIX = "/v1/sandbox/"
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


STANDING_CODES = {
    ("POST", "/v1/sellers/{seller_id}/standing/exclusions"): ((409, C.DEFECT_EXCLUSION_EXISTS),),
    ("POST", "/v1/disputes/{dispute_id}/used-return-report/decision"): (
        (422, C.DEDUCTION_EXCEEDS_CAP),
    ),
}
"""Issue 19's own refusals, on the operations that give them."""


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title, version=app.version, summary=app.summary,
        description=app.description, routes=app.routes,
    )  # fmt: skip
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in _FRAMEWORK_SCHEMAS:
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for route in operations(app):
        for method in route.methods or ():
            operation = spec["paths"][route.path_format][method.lower()]
            _describe(operation, route, method)
    return spec


def operations(app: FastAPI) -> list[APIRoute]:
    """Every operation in the spec, as its route (prefix and include-level parts applied)."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            found.append(cast(APIRoute, context))
    return found


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def codes_by_status(route: APIRoute, method: str) -> dict[int, list[ProblemCode]]:
    """Every status and code this operation can answer with, by the rules that raise them."""
    calls = set(_calls(route.dependant))
    keyed = bool(calls & {idempotency_request, required_idempotency_request})
    query = query_names(route.dependant)
    found: dict[int, list[ProblemCode]] = {422: [C.VALIDATION_ERROR], 500: [C.INTERNAL_ERROR]}
    authenticated = current_user in calls or route.path_format == "/v1/tracking-events/aftership"
    if authenticated:
        found[401] = [C.UNAUTHENTICATED]
        found[403] = [C.FORBIDDEN]
    if (
        authenticated  # an operation hidden from a role answers as if it did not exist
        or route.dependant.path_params
        or query & {"starting_after", "ending_before"}
        or route.path_format.startswith(SANDBOX_PREFIX)
    ):
        found[404] = [C.NOT_FOUND]
    if method == "POST":
        found[408] = [C.REQUEST_TIMEOUT]
        found[413] = [C.BODY_TOO_LARGE]
        found[409] = [C.INVALID_TRANSITION, C.WINDOW_CLOSED, C.CONFLICT, C.CONCURRENT_UPDATE,
                      C.CHARGEBACK_OPEN]  # fmt: skip
        if (method, route.path_format) == ("POST", "/v1/orders/{order_id}/disputes"):
            found[409].append(C.UNITS_ALREADY_DISPUTED)
        found[422] += [C.INVALID_AMOUNT, C.EVIDENCE_REQUIRED, C.AMOUNT_EXCEEDS_REFUNDABLE]
        if keyed:
            found[409].append(C.IDEMPOTENCY_REQUEST_IN_PROGRESS)
            found[422].append(C.IDEMPOTENCY_KEY_REUSED)
    if method == "PUT":
        found[408] = [C.REQUEST_TIMEOUT]
        found[413] = [C.BODY_TOO_LARGE]
        found[409] = [C.CONCURRENT_UPDATE]
        found[422] += [C.INVALID_AMOUNT, C.LOOSER_THAN_POLICY]
    if (method, route.path_format) in UPLOAD_OPERATIONS:
        found[413] += [C.FILE_TOO_LARGE, C.QUOTA_EXCEEDED]
        found[415] = [C.FILE_TYPE_NOT_ALLOWED]
        found[422] += [C.TOO_MANY_FILES, C.EMPTY_FILE, C.INVALID_EVIDENCE]
    if (method, route.path_format) in SIGNED_OPERATIONS:
        found[400] = [C.INVALID_SIGNATURE, C.PSP_WEBHOOKS_NOT_CONFIGURED]
    if (method, route.path_format) in RATE_LIMITED_OPERATIONS:
        found[429] = [C.RATE_LIMITED]
    for status, code in STANDING_CODES.get((method, route.path_format), ()):
        found[status].append(code)
    return dict(sorted(found.items()))


def _describe(operation: dict[str, Any], route: APIRoute, method: str) -> None:
    calls = set(_calls(route.dependant))
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, codes in codes_by_status(route, method).items():
        listed = ", ".join(f"`{c.value}`" for c in codes)
        answer: dict[str, Any] = {
            "description": f"{TITLES.get(status, 'Error')}: {listed}",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status == 401:
            answer["headers"] = {"WWW-Authenticate": _header("Bearer")}
        if status == 429:
            answer["headers"] = {"Retry-After": _header("Seconds to wait.", integer=True)}
        responses[str(status)] = answer
    operation["responses"] = dict(sorted(responses.items()))
    responses = operation["responses"]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
            parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
            if required_idempotency_request in calls:
                parameter["required"] = True
    if calls & {idempotency_request, required_idempotency_request}:
        for code, answer in responses.items():
            if code.startswith("2"):
                answer.setdefault("headers", {})["Idempotent-Replayed"] = {
                    "description": "true when this answer is the stored answer to the key.",
                    "schema": {"type": "string", "enum": ["true"]},
                }


def _header(description: str, *, integer: bool = False) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer" if integer else "string"}}
