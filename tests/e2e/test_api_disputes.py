"""Disputes over HTTP: the whole path to an agent's decision, bad input, and who may do
what (DESIGN §1: strangers get 404, a party without the right 403, nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401


class Case:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        self.other_buyer, self.other_seller = api.user("buyer"), api.user("seller", "CN")
        self.agent = api.user("agent", "IE")
        order = api.create_order(self.buyer, self.seller)
        api.pay(order["id"])
        api.ship(order["id"], self.seller)
        self.order_id = order["id"]
        api.post("/v1/sandbox/clock/advance", {"days": 5})

    def open(self, amount: str = "30.00", **extra: Any) -> dict[str, Any]:
        body = {"reason": "not_received", "item_received": False, "requested_refund": amount,
                "description": "Never arrived.", **extra}  # fmt: skip
        answer = self.api.post(f"/v1/orders/{self.order_id}/disputes", body,
                               key=self.buyer["api_key"])  # fmt: skip
        return {**answer.json(), "http_status": answer.status_code}

    def do(self, who: dict[str, Any] | None, dispute_id: str, action: str,
           body: Any = None) -> Any:  # fmt: skip
        key = who["api_key"] if who else self.api.platform_key
        return self.api.post(f"/v1/disputes/{dispute_id}/{action}", body or {}, key=key)


@pytest.fixture
def case(api: Api) -> Case:
    return Case(api)


def test_a_dispute_from_opening_to_an_agents_decision(case: Case) -> None:
    opened = case.open()
    assert opened["http_status"] == 201
    assert opened["respond_by"] and opened["next_actions"]
    d = opened["id"]
    assert case.api.order(case.order_id)["dispute_id"] == d
    assert (
        case.do(case.seller, d, "reject", {"reason": "tracking shows delivery"}).status_code == 200
    )
    offer = case.do(case.buyer, d, "offers", {"refund_amount": "20.00", "note": "meet halfway"})
    assert offer.json()["status"] == "negotiating"
    escalated = case.do(case.seller, d, "escalate")
    assert escalated.json()["status"] == "escalated"
    queue = case.api.get("/v1/disputes", key=case.agent["api_key"],
                         params={"status": "escalated"}).json()  # fmt: skip
    assert [x["id"] for x in queue["data"]] == [d]
    decided = case.do(case.agent, d, "decision", {"outcome": "partial_refund",
                                                  "refund_amount": "12.00",
                                                  "rationale": "tracking unclear"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["outcome"], body["refund_amount"], body["decided_by"]) == (
        "resolved",
        "partial_refund",
        "12.00",
        "agent",
    )
    refunds = case.api.get(f"/v1/orders/{case.order_id}/refunds").json()["data"]
    assert [r["amount"] for r in refunds] == ["12.00"]
    timeline = case.api.get(f"/v1/disputes/{d}/timeline", key=case.buyer["api_key"]).json()
    assert [e["type"] for e in timeline["data"]] == [
        "dispute.opened", "dispute.rejected", "dispute.offer_made", "dispute.escalated",
        "dispute.resolved"]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"requested_refund": "30.01"}, 422, "amount_exceeds_refundable"),
        ({"requested_refund": 30.0}, 422, "validation_error"),
        ({"requested_refund": "0.00"}, 422, "invalid_amount"),
        ({"requested_refund": "1.001"}, 422, "invalid_amount"),
        ({"reason": "bored"}, 422, "validation_error"),
        ({"sub_reason": "wrong_item"}, 422, "validation_error"),
        ({"item_received": True}, 422, "evidence_required"),
        ({"description": "x" * 5001}, 422, "validation_error"),
        ({"status": "resolved"}, 422, "validation_error"),
    ],
)
def test_bad_openings_are_refused_and_change_nothing(
    case: Case, change: dict[str, Any], status: int, code: str
) -> None:
    before = case.api.snapshot()
    body = {"reason": "not_received", "item_received": False, "requested_refund": "30.00",
            "description": "Never arrived.", **change}  # fmt: skip
    answer = case.api.post(f"/v1/orders/{case.order_id}/disputes", body,
                           key=case.buyer["api_key"])  # fmt: skip
    assert_problem(answer, status, code)
    assert case.api.snapshot() == before


def test_opening_before_the_window_says_window_closed(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    api.ship(order["id"], seller)
    body = {"reason": "not_received", "item_received": False, "requested_refund": "1.00",
            "description": "Early."}  # fmt: skip
    answer = api.post(f"/v1/orders/{order['id']}/disputes", body, key=buyer["api_key"])
    assert_problem(answer, 409, "window_closed")


def test_opening_on_an_order_its_deadline_completed_says_invalid_transition(api: Api) -> None:
    """The state forbids it, so the code is the state's (docs/api.md keeps window_closed for
    a deadline passed in a state that allows the action): what the loser of the race with
    the deadline's timer is told."""
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    api.ship(order["id"], seller)
    api.post("/v1/sandbox/clock/advance", {"days": 25})
    assert api.order(order["id"])["status"] == "completed"
    before = api.snapshot()
    body = {"reason": "not_received", "item_received": False, "requested_refund": "1.00",
            "description": "Late."}  # fmt: skip
    answer = api.post(f"/v1/orders/{order['id']}/disputes", body, key=buyer["api_key"])
    assert_problem(answer, 409, "invalid_transition")
    assert api.snapshot() == before


ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("accept", {}),
    ("offers", {"refund_amount": "10.00"}),
    ("reject", {"reason": "no"}),
    ("escalate", {}),
    ("withdraw", {}),
    ("evidence-requests", {"party": "seller", "note": "proof"}),
    ("decision", {"outcome": "no_refund", "rationale": "r"}),
    ("appeal", {"reason": "r"}),
    ("messages", {"body": "hello"}),
]


@pytest.mark.parametrize(("action", "body"), ACTIONS)
@pytest.mark.parametrize("stranger", ["other_buyer", "other_seller"])
def test_strangers_get_404_like_an_unknown_id_and_change_nothing(
    case: Case, action: str, body: dict[str, Any], stranger: str
) -> None:
    d = case.open()["id"]
    before = case.api.snapshot()
    who = getattr(case, stranger)
    assert_problem(case.do(who, d, action, body), 404, "not_found")
    assert_problem(case.api.get(f"/v1/disputes/{d}", key=who["api_key"]), 404, "not_found")
    assert case.api.snapshot() == before


@pytest.mark.parametrize(
    ("who", "action", "body"),
    [
        ("buyer", "decision", {"outcome": "no_refund", "rationale": "mine"}),
        ("seller", "decision", {"outcome": "no_refund", "rationale": "mine"}),
        ("seller", "withdraw", {}),
        ("agent", "accept", {}),
        ("platform", "reject", {"reason": "no"}),
        ("buyer", "evidence-requests", {"party": "seller", "note": "x"}),
        ("platform", "messages", {"body": "hi"}),
    ],
)
def test_a_party_without_the_right_gets_403_and_nothing_changes(
    case: Case, who: str, action: str, body: dict[str, Any]
) -> None:
    d = case.open()["id"]
    if action in ("decision", "evidence-requests"):
        case.do(case.seller, d, "reject", {"reason": "no"})
        case.do(case.buyer, d, "escalate")
    before = case.api.snapshot()
    actor = None if who == "platform" else getattr(case, who)
    assert_problem(case.do(actor, d, action, body), 403, "forbidden")
    assert case.api.snapshot() == before


def test_each_party_sees_only_its_own_disputes(case: Case) -> None:
    d = case.open()["id"]
    for who, expected in ((case.buyer, [d]), (case.seller, [d]), (case.other_buyer, []),
                          (case.other_seller, []), (case.agent, [d])):  # fmt: skip
        listed = case.api.get("/v1/disputes", key=who["api_key"]).json()["data"]
        assert [x["id"] for x in listed] == expected


def _upload(case: Case, who: dict[str, Any], data: bytes, name: str = "photo.png") -> str:
    answer = case.api.client.post(
        "/v1/files", files={"file": (name, data, "image/png")},
        data={"purpose": "dispute_evidence"},
        headers={"Authorization": f"Bearer {who['api_key']}"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def test_a_damaged_item_dispute_carries_evidence_only_the_parties_can_read(case: Case) -> None:
    from test_files import png

    photo = _upload(case, case.buyer, png(gps=True))
    opened = case.open("10.00", reason="damaged", item_received=True, evidence_ids=[photo])
    assert opened["http_status"] == 201, opened.get("detail")
    d = opened["id"]
    # The seller adds a file of its own, sent straight to the dispute as multipart.
    added = case.api.client.post(
        f"/v1/disputes/{d}/evidence", files={"file": ("label.txt", b"Packed with care.\n",
                                                      "text/plain")},
        data={"note": "packing list"},
        headers={"Authorization": f"Bearer {case.seller['api_key']}"},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    listed = case.api.get(f"/v1/disputes/{d}/evidence", key=case.agent["api_key"]).json()["data"]
    assert [(e["added_role"], e["content_type"]) for e in listed] == [
        ("buyer", "image/png"),
        ("seller", "text/plain"),
    ]
    content = case.api.get(f"/v1/files/{photo}/content", key=case.seller["api_key"])
    assert content.status_code == 200
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"].startswith("attachment")
    assert b"GPSLatitude" not in content.content
    assert_problem(case.api.get(f"/v1/files/{photo}/content", key=case.other_seller["api_key"]),
                   404, "not_found")  # fmt: skip


def test_another_users_file_cannot_be_named_as_evidence(case: Case) -> None:
    from test_files import png

    theirs = _upload(case, case.other_buyer, png())
    before = case.api.snapshot()
    body = {"reason": "damaged", "item_received": True, "requested_refund": "5.00",
            "description": "Broken.", "evidence_ids": [theirs]}  # fmt: skip
    answer = case.api.post(f"/v1/orders/{case.order_id}/disputes", body,
                           key=case.buyer["api_key"])  # fmt: skip
    assert_problem(answer, 422, "invalid_evidence")
    assert case.api.snapshot() == before


def test_an_appeal_goes_to_the_agents_queue_and_their_decision_moves_money(case: Case) -> None:
    d = case.open("10.00")["id"]
    case.do(case.seller, d, "accept")
    proof = _upload(case, case.buyer, b"The courier's note says it was left outside.\n", "n.txt")
    appealed = case.do(case.buyer, d, "appeal", {"reason": "never got it", "evidence_ids": [proof]})
    assert appealed.status_code == 201, appealed.text
    queue = case.api.get("/v1/appeals", key=case.agent["api_key"]).json()["data"]
    assert [a["dispute_id"] for a in queue] == [d]
    decided = case.do(
        case.agent,
        d,
        "appeal/decision",
        {"decision": "new_outcome", "outcome": "full_refund", "rationale": "left outside"},
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["outcome"], decided.json()["refund_amount"]) == ("full_refund", "30.00")
    refunds = case.api.get(f"/v1/orders/{case.order_id}/refunds").json()["data"]
    assert sorted(r["amount"] for r in refunds) == ["10.00", "20.00"]
    assert case.api.get("/v1/appeals", key=case.agent["api_key"]).json()["data"] == []


def test_a_return_over_http_from_agreement_to_refund(case: Case) -> None:
    d = case.open("30.00", return_goods=True)["id"]
    waiting = case.do(case.seller, d, "accept").json()
    assert (waiting["status"], waiting["return_ship_by"] is not None) == ("awaiting_return", True)
    assert_problem(
        case.do(case.seller, d, "return-shipment", {"carrier": "UPS", "tracking_number": "R1"}),
        403,
        "forbidden",
    )
    shipped = case.do(case.buyer, d, "return-shipment", {"carrier": "UPS", "tracking_number": "R1"})
    assert shipped.json()["status"] == "return_in_transit"
    scan = {
        "carrier": "UPS",
        "tracking_number": "R1",
        "status": "delivered",
        "country": "CN",
        "city": "Shenzhen",
        "occurred_at": case.api.get("/v1/sandbox/clock").json()["now"],
    }
    assert case.api.post("/v1/tracking-events", {"events": [scan]}).status_code == 200
    assert case.api.get(f"/v1/disputes/{d}").json()["return_confirm_by"] is not None
    assert_problem(case.do(case.seller, d, "return-received", {"condition": "broken"}), 422,
                   "validation_error")  # fmt: skip
    done = case.do(case.seller, d, "return-received", {"condition": "as_sent"}).json()
    assert (done["status"], done["outcome"], done["refund_amount"]) == (
        "resolved",
        "full_refund",
        "30.00",
    )
    assert case.api.order(case.order_id)["status"] == "refunded"


def test_the_api_accepts_every_reason_the_domain_does_and_its_schema_lists_them(
    case: Case,
) -> None:
    from refundkit.domain.disputes.model import DisputeReason

    spec = case.api.get("/openapi.json", key=None).json()
    reason = spec["components"]["schemas"]["DisputeIn"]["properties"]["reason"]
    if "$ref" in reason:
        reason = spec["components"]["schemas"][reason["$ref"].rsplit("/", 1)[1]]
    assert set(reason["enum"]) == {r.value for r in DisputeReason}
    assert "changed_mind" in reason["enum"]

    assert_problem(case.api.post(f"/v1/orders/{case.order_id}/disputes", {
        "reason": "bored", "item_received": True, "requested_refund": "1.00",
        "description": "?"}, key=case.buyer["api_key"]), 422, "validation_error")  # fmt: skip
    opened = case.open(reason="changed_mind", sub_reason="no_longer_needed", item_received=True,
                       return_goods=True, description="I no longer need it.")  # fmt: skip
    assert opened["http_status"] == 201, opened.get("detail")
    assert (opened["reason"], opened["sub_reason"]) == ("changed_mind", "no_longer_needed")
