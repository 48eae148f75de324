"""GET /v1/notifications (issue 6): the mail log. The platform sees every message and filters
by user, order and kind; a buyer, seller or agent sees only their own, and another's
message answers 404 like an unknown one. Cursor-paginated like every list."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401


@pytest.fixture
def reminded(api: Api) -> dict[str, Any]:
    """Two buyers, each with a shipped order 15 days on: one reminder each (5 days left)."""
    people: dict[str, Any] = {"agent": api.user("agent", "IE")}
    for n in (1, 2):
        buyer, seller = api.user("buyer"), api.user("seller", "CN")
        order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
        people[f"buyer{n}"], people[f"seller{n}"], people[f"order{n}"] = buyer, seller, order
    moved = api.post("/v1/sandbox/clock/advance", {"days": 15})
    assert moved.status_code == 200, moved.text
    return people


def _list(api: Api, key: str | None = None, **params: Any) -> dict[str, Any]:
    answer = api.get("/v1/notifications", key=key or api.platform_key, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_platform_sees_every_message_and_filters(api: Api, reminded: dict[str, Any]) -> None:
    everything = _list(api)
    buyers = {reminded["buyer1"]["id"], reminded["buyer2"]["id"]}
    assert {n["recipient_id"] for n in everything["data"]} == buyers
    mine = _list(api, user_id=reminded["buyer1"]["id"])["data"]
    assert [(n["kind"], n["order_id"]) for n in mine] == [("dispute_window_reminder",
                                                           reminded["order1"])]  # fmt: skip
    assert mine[0]["email"] == reminded["buyer1"]["email"]
    assert mine[0]["status"] == "queued" and mine[0]["body"].count("/orders/") == 1
    assert [n["id"] for n in _list(api, order_id=reminded["order2"])["data"]] == [
        n["id"] for n in everything["data"] if n["order_id"] == reminded["order2"]
    ]
    assert _list(api, kind="refund_failed")["data"] == []


def test_lists_are_cursor_paginated(api: Api, reminded: dict[str, Any]) -> None:
    first = _list(api, limit=1)
    assert len(first["data"]) == 1 and first["has_more"] is True
    second = _list(api, limit=1, starting_after=first["data"][0]["id"])
    assert second["has_more"] is False
    assert second["data"][0]["id"] != first["data"][0]["id"]
    assert {first["data"][0]["id"], second["data"][0]["id"]} == {
        n["id"] for n in _list(api)["data"]
    }


def test_people_see_only_their_own_messages(api: Api, reminded: dict[str, Any]) -> None:
    buyer1, buyer2 = reminded["buyer1"], reminded["buyer2"]
    own = _list(api, key=buyer1["api_key"])["data"]
    assert [n["recipient_id"] for n in own] == [buyer1["id"]]
    assert _list(api, key=buyer1["api_key"], user_id=buyer2["id"])["data"] == []
    for other in (reminded["seller1"], reminded["agent"]):
        assert _list(api, key=other["api_key"])["data"] == []
    found = api.get(f"/v1/notifications/{own[0]['id']}", key=buyer1["api_key"])
    assert found.status_code == 200 and found.json()["subject"].endswith("to open a dispute")
    theirs = _list(api, user_id=buyer2["id"])["data"][0]["id"]
    foreign = api.get(f"/v1/notifications/{theirs}", key=buyer1["api_key"])
    unknown = api.get("/v1/notifications/ntf_00000000000000000000000000", key=buyer1["api_key"])
    unknown_detail = assert_problem(unknown, 404, "not_found")["detail"]
    assert assert_problem(foreign, 404, "not_found")["detail"] == unknown_detail.replace(
        "ntf_00000000000000000000000000", theirs
    )


def test_an_unknown_kind_is_refused(api: Api) -> None:
    assert_problem(api.get("/v1/notifications", params={"kind": "postcard"}), 422,
                   "validation_error")  # fmt: skip
