"""Stripe's list conventions to the letter (issue 14, item 2): a cursor that is not an item
of the list (unknown, or another's) is a 404 problem, never the list from the top;
``ending_before`` pages backwards; a query parameter the operation does not take is a 422;
every list pages, the dispute's timeline, messages and evidence included."""

from __future__ import annotations

from typing import Any

import pytest
from api_client import Api, api_fixture, assert_problem  # noqa: F401


def _walk(api: Api, path: str, key: str, limit: int) -> list[list[str]]:
    """Every page of the list, following ``starting_after``."""
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        answer = api.get(path, key=key, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([item["id"] for item in body["data"]])
        if not body["has_more"]:
            return pages
        params = {"limit": limit, "starting_after": pages[-1][-1]}


def _back(api: Api, path: str, key: str, limit: int, before: str) -> tuple[list[str], bool]:
    answer = api.get(path, key=key, params={"limit": limit, "ending_before": before})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [item["id"] for item in body["data"]], body["has_more"]


def _dispute(api: Api) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    order = api.ship(api.pay(api.create_order(buyer, seller)["id"])["id"], seller)["id"]
    api.post("/v1/sandbox/clock/advance", {"days": 5})
    opened = api.post(f"/v1/orders/{order}/disputes",
                      {"reason": "not_received", "item_received": False,
                       "requested_refund": "5.00", "description": "Lost."},
                      key=buyer["api_key"])  # fmt: skip
    assert opened.status_code == 201, opened.text
    return buyer, seller, order, opened.json()["id"]


def test_ending_before_pages_back_over_the_same_pages(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    for _ in range(5):
        api.create_order(buyer, seller)
    key = buyer["api_key"]
    pages = _walk(api, "/v1/orders", key, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    # From the last page back: each page before is the same page again, in the same order.
    assert _back(api, "/v1/orders", key, 2, pages[2][0]) == (pages[1], True)
    assert _back(api, "/v1/orders", key, 2, pages[1][0]) == (pages[0], False)
    assert _back(api, "/v1/orders", key, 2, pages[0][0]) == ([], False)
    assert _back(api, "/v1/orders", key, 3, pages[2][0]) == ([pages[0][1], *pages[1]], True)


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_an_unknown_or_foreign_cursor_is_a_404(api: Api, cursor: str) -> None:
    buyer, seller = api.user("buyer"), api.user("seller", "CN")
    other = api.user("buyer", "FR")
    mine = api.create_order(buyer, seller)["id"]
    theirs = api.create_order(other, seller)["id"]
    for sent in ("ord_nothing", theirs):
        answer = api.get("/v1/orders", key=buyer["api_key"], params={cursor: sent})
        body = assert_problem(answer, 404, "not_found")
        assert body["field"] == cursor
    # An order of the buyer's is no cursor of another order's refunds, timeline or ledger.
    for path in (f"/v1/orders/{theirs}/refunds", f"/v1/orders/{theirs}/timeline",
                 f"/v1/orders/{theirs}/ledger-entries"):  # fmt: skip
        body = assert_problem(api.get(path, params={cursor: mine}), 404, "not_found")
        assert body["field"] == cursor
    answer = api.get("/v1/notifications", params={cursor: "ntf_nothing"})
    assert assert_problem(answer, 404, "not_found")["field"] == cursor
    assert_problem(api.get("/v1/disputes", params={cursor: "dsp_nothing"}), 404, "not_found")


def test_an_unknown_query_parameter_is_refused(api: Api) -> None:
    buyer = api.user("buyer")
    for path, params in (("/v1/orders", {"limt": "5"}), ("/v1/orders", {"ending_befor": "x"}),
                         ("/v1/me", {"expand": "orders"}),
                         ("/v1/disputes", {"limit": "2", "sort": "asc"})):  # fmt: skip
        answer = api.get(path, key=buyer["api_key"], params=params)
        body = assert_problem(answer, 422, "validation_error")
        assert body["field"] == next(p for p in params if p not in ("limit",)), body


def test_a_parameter_given_twice_or_a_number_for_a_time_is_refused(api: Api) -> None:
    answer = api.client.get("/v1/orders?limit=2&limit=3",
                            headers={"Authorization": f"Bearer {api.platform_key}"})  # fmt: skip
    assert assert_problem(answer, 422, "validation_error")["field"] == "limit"
    answer = api.get("/v1/ledger/summary", params={"at": "6.2e-288"})
    assert assert_problem(answer, 422, "validation_error")["field"] == "at"
    assert api.get("/v1/ledger/summary", params={"at": "2026-11-02T09:00:00Z"}).status_code == 200


def test_both_cursors_at_once_are_refused(api: Api) -> None:
    answer = api.get("/v1/orders", params={"starting_after": "a", "ending_before": "b"})
    assert_problem(answer, 422, "validation_error")


def test_a_disputes_timeline_messages_and_evidence_page(api: Api) -> None:
    buyer, seller, _, dispute = _dispute(api)
    for text in ("Where is it?", "Checking.", "Any news?"):
        who = buyer if text != "Checking." else seller
        sent = api.post(f"/v1/disputes/{dispute}/messages", {"body": text}, key=who["api_key"])
        assert sent.status_code == 201, sent.text
    upload = api.client.post(
        f"/v1/disputes/{dispute}/evidence",
        headers={"Authorization": f"Bearer {buyer['api_key']}"},
        files={"file": ("note.txt", b"the courier never came", "text/plain")},
        data={"note": "my note"},
    )
    assert upload.status_code == 201, upload.text
    key = buyer["api_key"]
    for kind, total in (("messages", 3), ("timeline", None), ("evidence", 1)):
        path = f"/v1/disputes/{dispute}/{kind}"
        whole = api.get(path, key=key, params={"limit": 100}).json()["data"]
        if total is not None:
            assert len(whole) == total, (kind, whole)
        pages = _walk(api, path, key, 1)
        assert [i for p in pages for i in p] == [item["id"] for item in whole], kind
        assert all(len(p) == 1 for p in pages), kind
        for cursor in ("x", ""):
            answer = api.get(path, key=key, params={"starting_after": cursor})
            assert_problem(answer, 404, "not_found")
        if len(whole) > 1:
            assert _back(api, path, key, 1, whole[-1]["id"]) == ([whole[-2]["id"]], True)
