"""``X-Request-Id`` (issue 17): kept when well-formed, else made; on every answer; the
problem's ``instance``; and on the events, webhook deliveries and notifications the request
caused, so one id finds everything a request did."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture, assert_problem  # noqa: F401

from log_capture import Lines, json_logs_fixture  # noqa: F401
from refundkit.adapters.db import tables
from refundkit.entrypoints.worker import deliver_webhooks, run_worker
from refundkit.service import request_context
from webhook_receiver import receiver


def test_a_well_formed_incoming_id_is_kept_and_returned(api: Api) -> None:
    answer = api.request("GET", "/v1/orders", headers={"X-Request-Id": "shop-7f3a:91"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "shop-7f3a:91"


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "../etc", 'a"b'])
def test_a_missing_or_malformed_id_is_replaced_by_a_made_one(api: Api, sent: str | None) -> None:
    headers = {} if sent is None else {"X-Request-Id": sent}
    answer = api.request("GET", "/healthz", headers=headers)
    made = answer.headers["X-Request-Id"]
    assert made != sent and made.startswith("req_") and request_context.well_formed(made)
    again = api.request("GET", "/healthz", headers=headers).headers["X-Request-Id"]
    assert again != made  # one per request


def test_every_problem_names_its_request_as_instance(api: Api) -> None:
    for answer in (
        api.request("GET", "/v1/orders", key=None, headers={"X-Request-Id": "r-401"}),
        api.request("GET", "/v1/orders/ord_nope", headers={"X-Request-Id": "r-404"}),
        api.request("POST", "/v1/orders", json_body={"x": 1}, headers={"X-Request-Id": "r-422"}),
        api.request("GET", "/v1/no-such-route", headers={"X-Request-Id": "r-route"}),
    ):
        body = assert_problem(answer, (401, 404, 422), ("unauthenticated", "not_found",
                                                         "validation_error"))  # fmt: skip
        rid = answer.headers["X-Request-Id"]
        assert body["instance"] == f"urn:request:{rid}"
        assert rid.startswith("r-")


def test_an_unexpected_error_also_answers_with_its_request_id(api: Api) -> None:
    @api.client.app.get("/v1/boom-for-test")  # type: ignore[attr-defined, misc]
    def boom() -> None:
        raise RuntimeError("boom")

    answer = api.request("GET", "/v1/boom-for-test", headers={"X-Request-Id": "r-500"})
    body = assert_problem(answer, 500, "internal_error")
    assert answer.headers["X-Request-Id"] == "r-500"
    assert body["instance"] == "urn:request:r-500"


def _request_ids(api: Api, table: sa.Table, **where: str) -> set[str | None]:
    with api.rt.engine.connect() as conn:
        query = sa.select(table.c.request_id)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return {row[0] for row in conn.execute(query)}


def test_one_request_id_finds_its_events_deliveries_and_log_lines(
    api: Api, json_logs: Lines
) -> None:
    with receiver() as shop:
        made = api.post("/v1/webhook-endpoints", {"url": shop.url, "events": ["order.*"]})
        assert made.status_code == 201, made.text
        buyer, seller = api.user("buyer"), api.user("seller")
        order = api.create_order(buyer, seller)
        paid = api.request("POST", f"/v1/orders/{order['id']}/pay",
                           json_body={"payment_reference": "psp-1"},
                           headers={"X-Request-Id": "pay-req-1"})  # fmt: skip
        assert paid.status_code == 200, paid.text
        assert deliver_webhooks(api.deps)
    events = tables.events
    with api.rt.engine.connect() as conn:
        paid_events = conn.execute(
            sa.select(events.c.id, events.c.request_id).where(events.c.type == "order.paid")
        ).all()
    assert [r.request_id for r in paid_events] == ["pay-req-1"]
    created = _request_ids(api, events, type="order.created")
    assert created and "pay-req-1" not in created and None not in created
    assert _request_ids(api, tables.webhook_deliveries, event_id=paid_events[0].id) == {"pay-req-1"}
    mine = [line for line in json_logs() if line["request_id"] == "pay-req-1"]
    assert [line["logger"] for line in mine] == ["refundkit.http"]
    assert mine[0]["message"].startswith(f"POST /v1/orders/{order['id']}/pay 200 ")
    assert len(shop.got) >= 1


def test_the_worker_logs_each_batch_under_its_own_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    buyer, seller = api.user("buyer"), api.user("seller")
    api.pay(api.create_order(buyer, seller)["id"])
    seen: list[str | None] = []
    stop = threading.Event()

    class Spy(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(request_context.current())
            stop.set()

    spy = Spy(logging.INFO)
    worker_log = logging.getLogger("refundkit.entrypoints.worker")
    worker_log.addHandler(spy)
    old = worker_log.level
    worker_log.setLevel(logging.INFO)
    try:
        with receiver() as shop:
            api.post("/v1/webhook-endpoints", {"url": shop.url, "events": ["order.*"]})
            api.pay(api.create_order(buyer, seller)["id"])
            threading.Timer(30, stop.set).start()  # a safety net, not a timing
            run_worker(api.deps, stop, poll_seconds=0)
    finally:
        worker_log.removeHandler(spy)
        worker_log.setLevel(old)
    assert seen and all(s is not None and s.startswith("wrk_") for s in seen)
