"""The permission matrix of dispute actions (DESIGN §1 and §3): for every action, in a
state where it is allowed, each role gets exactly what DESIGN grants: success for the
party entitled to it, 403 for a party or staff without the right, 404 for strangers, and
nothing changed on any refusal."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401
from test_api_disputes import Case, _upload


@pytest.fixture
def case(api: Api) -> Case:
    return Case(api)


ROLES = ("buyer", "seller", "other_buyer", "other_seller", "agent", "platform")

# action -> (state to set up, body, roles allowed, success status)
MATRIX: dict[str, tuple[str, dict[str, Any], set[str], int]] = {
    "accept": ("awaiting_seller", {}, {"seller"}, 200),
    "offers": ("awaiting_seller", {"refund_amount": "10.00"}, {"seller"}, 200),
    "reject": ("awaiting_seller", {"reason": "no"}, {"seller"}, 200),
    "escalate": ("negotiating", {}, {"buyer", "seller"}, 200),
    "withdraw": ("awaiting_seller", {}, {"buyer"}, 200),
    "evidence-requests": ("escalated", {"party": "seller", "note": "proof"}, {"agent"}, 201),
    "decision": ("escalated", {"outcome": "no_refund", "rationale": "r"}, {"agent"}, 200),
    "appeal": ("resolved", {"reason": "new facts"}, {"buyer", "seller"}, 201),
    "messages": ("negotiating", {"body": "hello"}, {"buyer", "seller", "agent"}, 201),
}


def _dispute_in(case: Case, state: str) -> str:
    d: str = case.open("10.00")["id"]
    if state in ("negotiating", "escalated"):
        case.do(case.seller, d, "reject", {"reason": "no"})
    if state == "escalated":
        case.do(case.buyer, d, "escalate")
    if state == "resolved":
        case.do(case.seller, d, "accept")
    return d


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_each_role_gets_what_design_grants(case: Case, action: str, role: str) -> None:
    state, body, allowed, success = MATRIX[action]
    d = _dispute_in(case, state)
    who = None if role == "platform" else getattr(case, role)
    if action == "appeal" and role in allowed:
        body = {**body, "evidence_ids": [_upload(case, who, b"New facts, in writing.\n")]}
    before = case.api.snapshot()
    answer = case.do(who, d, action, body)
    if role in allowed:
        assert answer.status_code == success, answer.text
        return
    if role.startswith("other_"):
        assert_problem(answer, 404, "not_found")
    else:
        assert_problem(answer, 403, "forbidden")
    assert case.api.snapshot() == before
