"""``GET /metrics`` (issue 17): Prometheus text under ``refundkit_``, the platform key only;
counters of what committed, HTTP answers by route template, and levels read from the
database when scraped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api_client import Api, api_fixture, assert_problem  # noqa: F401
from prometheus_client.parser import text_string_to_metric_families

from refundkit.adapters import metrics
from refundkit.entrypoints.worker import deliver_webhooks
from refundkit.service.timers import fire_due

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api: Api) -> Samples:
    answer = api.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_only_the_platform_key_reads_the_metrics(api: Api) -> None:
    buyer = api.user("buyer")
    assert_problem(api.get("/metrics", key=None), 401, "unauthenticated")
    assert_problem(api.get("/metrics", key=buyer["api_key"]), 403, "forbidden")
    assert api.get("/metrics").status_code == 200


def test_every_metric_is_named_under_refundkit_with_prometheus_conventions(api: Api) -> None:
    answer = api.get("/metrics")
    ours = [f for f in text_string_to_metric_families(answer.text)
            if f.name.startswith("refundkit_")]  # fmt: skip
    names = {f.name for f in ours}
    for expected in ("refundkit_http_requests", "refundkit_http_request_duration_seconds",
                     "refundkit_timers_due", "refundkit_outbox_backlog",
                     "refundkit_timer_oldest_due_age_seconds"):  # fmt: skip
        assert expected in names, names
    for family in ours:
        if family.type == "counter":
            assert all(s.name.endswith("_total") for s in family.samples), family.name
        if "seconds" in family.name:
            assert family.name.endswith(("_seconds",)), family.name


def test_http_answers_count_by_route_template_method_and_status(api: Api) -> None:
    before = scrape(api)
    for _ in range(3):
        api.get("/v1/orders/ord_missing")
    api.get("/v1/orders/ord_other")
    after = scrape(api)
    labels = {"route": "/v1/orders/{order_id}", "method": "GET", "status": "404"}
    counted = value(after, "refundkit_http_requests_total", **labels)
    assert counted - value(before, "refundkit_http_requests_total", **labels) == 4
    seen = value(after, "refundkit_http_request_duration_seconds_count",
                 route="/v1/orders/{order_id}", method="GET")  # fmt: skip
    assert seen - value(before, "refundkit_http_request_duration_seconds_count",
                        route="/v1/orders/{order_id}", method="GET") == 4  # fmt: skip
    assert value(after, "refundkit_problems_total", code="not_found") - value(
        before, "refundkit_problems_total", code="not_found") >= 4  # fmt: skip
    assert not any("ord_missing" in dict(k[1]).get("route", "") for k in after)


def test_committed_work_is_counted_once_and_replays_apart(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller")
    before = scrape(api)
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    body: dict[str, Any] = {"amount": "5.00", "reason": "goodwill"}
    first = api.post(f"/v1/orders/{order['id']}/refunds", body, idem="refund-m-1")
    again = api.post(f"/v1/orders/{order['id']}/refunds", body, idem="refund-m-1")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    refused = api.post(f"/v1/orders/{order['id']}/pay", {"payment_reference": "psp-2"})
    assert refused.status_code == 409
    after = scrape(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("refundkit_ledger_entries_total", kind="payment_held") == 1
    assert grew("refundkit_refunds_total", status="pending", provider="sandbox") == 1
    assert grew("refundkit_idempotent_replays_total") == 1
    assert grew("refundkit_problems_total", code="invalid_transition") == 1


def test_database_levels_show_due_timers_their_age_and_the_outbox(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller")
    order = api.create_order(buyer, seller)
    api.pay(order["id"])
    collector = metrics.DatabaseCollector(api.rt.engine, api.deps.clock.now)
    levels = {m.name: m.samples[0].value for m in collector.collect()}
    assert levels["refundkit_outbox_backlog"] >= 2  # order.created, order.paid
    later = api.deps.clock.now() + timedelta(days=60)
    late = {m.name: m.samples[0].value
            for m in metrics.DatabaseCollector(api.rt.engine, lambda: later).collect()}  # fmt: skip
    assert late["refundkit_timers_due"] >= 1
    assert late["refundkit_timers_overdue"] >= 1
    assert late["refundkit_timer_oldest_due_age_seconds"] > 0
    assert late["refundkit_outbox_oldest_age_seconds"] >= 60 * 86400
    deliver_webhooks(api.deps)
    relayed = {m.name: m.samples[0].value for m in collector.collect()}
    assert relayed["refundkit_outbox_backlog"] == 0
    assert relayed["refundkit_outbox_oldest_age_seconds"] == 0


def test_a_fired_timer_is_counted_by_kind(api: Api) -> None:
    buyer, seller = api.user("buyer"), api.user("seller")
    api.create_order(buyer, seller)
    before = scrape(api)
    api.post("/v1/sandbox/clock/advance", {"days": 3})
    fire_due(api.deps, batch=100)
    after = scrape(api)
    fired = sum(v - value(before, n, **dict(lbl)) for (n, lbl), v in after.items()
                if n == "refundkit_timers_fired_total")  # fmt: skip
    assert fired >= 1
