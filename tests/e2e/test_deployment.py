"""The deployment tested as one (issue 17): on PostgreSQL, two API processes and two workers
as separate OS processes, started the way docs/operations.md tells operators to, with
metrics in multiprocess mode. A load of orders, refunds and disputes goes through both
APIs; one API and one worker are SIGTERMed mid-load, the other worker SIGKILLed; all come
back. At the end: every due timer fired once, every event delivered at least once, no
refund twice, ``ledger verify`` clean, and the metrics' counters add up to what the
database holds."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

import processes
from market import Market
from refundkit.adapters.db import tables as t
from webhook_receiver import receiver

ORDERS = 8
POSTGRES_ONLY = [pytest.param("postgres", marks=pytest.mark.postgres)]


class Shop:
    """The shop's back end: calls whichever API it is given, with the platform key."""

    def __init__(self) -> None:
        self.auth = {"Authorization": f"Bearer {processes.PLATFORM_KEY}"}

    def call(self, base: str, method: str, path: str, body: Any = None, *,
             key: str | None = None, idem: str | None = None) -> httpx.Response:  # fmt: skip
        headers = {"Authorization": f"Bearer {key}"} if key else dict(self.auth)
        if idem:
            headers["Idempotency-Key"] = idem
        return httpx.request(method, base + path, json=body, headers=headers, timeout=60)

    def ok(self, base: str, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        answer = self.call(base, method, path, body, **kw)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
        return answer.json()


def _order(shop: Shop, base: str, buyer: dict[str, Any], seller: dict[str, Any]) -> str:
    order = shop.ok(base, "POST", "/v1/orders", {
        "buyer_id": buyer["id"], "seller_id": seller["id"], "currency": "USD",
        "items": [{"sku": "s", "title": "Lamp", "quantity": 1, "unit_price": "30.00"}],
        "shipping_fee": "0.00", "payment_method": "card",
        "ship_to": {"country": "DE", "city": "Berlin", "postcode": "10115"},
        "promised_delivery_days": 20,
    })  # fmt: skip
    shop.ok(base, "POST", f"/v1/orders/{order['id']}/pay", {"payment_reference": "psp"})
    shop.ok(base, "POST", f"/v1/orders/{order['id']}/ship",
            {"carrier": "DHL", "tracking_number": "T"}, key=seller["api_key"])  # fmt: skip
    return str(order["id"])


def _metrics(shop: Shop, base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = shop.call(base, "GET", "/metrics").text
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}  # fmt: skip


def _by(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
        label: str) -> dict[str, int]:  # fmt: skip
    found: Counter[str] = Counter()
    for (sample, labels), value in samples.items():
        if sample == name:
            found[dict(labels)[label]] += int(value)
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("database_url", POSTGRES_ONLY, indirect=True)
def test_two_apis_and_two_workers_survive_restarts_and_add_up(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    prom = tmp_path / "prometheus"
    prom.mkdir()
    logs = tmp_path / "processes.log"
    extra = {"PROMETHEUS_MULTIPROC_DIR": str(prom)}
    shop = Shop()
    ports = processes.free_port(), processes.free_port()
    a, b = (f"http://127.0.0.1:{p}" for p in ports)
    with receiver() as hook:
        api_a, api_b = (processes.api(database_url, tmp_path, port, log=logs, wait=False,
                                      **extra) for port in ports)  # fmt: skip
        w1 = processes.worker(database_url, tmp_path, poll=0.25, log=logs, **extra)
        w2 = processes.worker(database_url, tmp_path, poll=0.25, log=logs, **extra)
        started = [api_a, api_b, w1, w2]
        with processes.reaped(started):
            processes.ready(api_a, ports[0])
            processes.ready(api_b, ports[1])
            shop.ok(a, "POST", "/v1/webhook-endpoints",
                    {"url": hook.url, "events": ["order.*", "refund.*", "dispute.*"]})  # fmt: skip
            buyer, seller = (shop.ok((a, b)[n], "POST", "/v1/users", {
                "role": role, "name": role, "email": f"{role}@deploy.test", "country": "DE"})
                for n, role in enumerate(["buyer", "seller"]))  # fmt: skip
            orders = [_order(shop, (a, b)[n % 2], buyer, seller) for n in range(ORDERS // 2)]
            refunds_sent = set()
            for n, order_id in enumerate(orders[:2]):
                key = f"refund-{n}"
                shop.ok((a, b)[n % 2], "POST", f"/v1/orders/{order_id}/refunds",
                        {"amount": "1.00", "reason": "goodwill"}, idem=key)  # fmt: skip
                refunds_sent.add(key)
            # Mid-load: one API and one worker stopped gracefully, the other worker killed.
            api_b.send_signal(signal.SIGTERM)
            w1.send_signal(signal.SIGTERM)
            w2.send_signal(signal.SIGKILL)
            assert api_b.wait(timeout=60) == 0
            assert w1.wait(timeout=60) == 0
            assert w2.wait(timeout=60) == -signal.SIGKILL
            orders += [_order(shop, a, buyer, seller) for _ in range(ORDERS // 2)]
            for n, order_id in enumerate(orders[3:5]):  # each sent twice: a retry
                key = f"refund-late-{n}"
                for _ in range(2):
                    shop.ok(a, "POST", f"/v1/orders/{order_id}/refunds",
                            {"amount": "2.00", "reason": "late"}, idem=key)  # fmt: skip
                refunds_sent.add(key)
            shop.ok(a, "POST", "/v1/sandbox/clock/advance", {"days": 5})
            disputes = [shop.ok(a, "POST", f"/v1/orders/{order_id}/disputes", {
                "reason": "not_received", "item_received": False, "requested_refund": "10.00",
                "description": "Never arrived."}, key=buyer["api_key"])["id"]
                for order_id in orders[5:8]]  # fmt: skip
            # Back up again, then the rest of the load through the restarted API.
            api_b = processes.api(database_url, tmp_path, ports[1], log=logs, wait=False, **extra)
            w1 = processes.worker(database_url, tmp_path, poll=0.25, log=logs, **extra)
            w2 = processes.worker(database_url, tmp_path, poll=0.25, log=logs, **extra)
            started += [api_b, w1, w2]
            processes.ready(api_b, ports[1])
            for dispute_id in disputes:
                shop.ok(b, "POST", f"/v1/disputes/{dispute_id}/reject",
                        {"reason": "tracking shows delivery"}, key=seller["api_key"])  # fmt: skip
                shop.ok(a, "POST", f"/v1/disputes/{dispute_id}/escalate", {},
                        key=buyer["api_key"])  # fmt: skip
            shop.ok(b, "POST", "/v1/sandbox/clock/advance", {"days": 60})
            events = _all_events(market)
            assert events
            processes.until(lambda: _outbox_drained(market), "the outbox to drain")
            hook.wait_for_ids(len(events), timeout=processes.WAIT)
            samples = _metrics(shop, a)
            for process in (api_a, api_b, w1, w2):
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=60) == 0
    delivered = {json.loads(r.body)["id"] for r in hook.got}
    assert set(events) <= delivered  # every event delivered at least once
    with market.rt.engine.connect() as conn:
        unfired = _count(conn, t.timers, t.timers.c.fired_at.is_(None),
                         t.timers.c.due_at <= market.now)  # fmt: skip
        refunds = conn.execute(sa.select(t.refunds.c.reason, t.refunds.c.status)).all()
        kinds = Counter(k for (k,) in conn.execute(sa.select(t.journal_entries.c.kind)))
        d = t.webhook_deliveries
        succeeded = _count(conn, d, d.c.status == "succeeded")
        created = _count(conn, t.orders)
    assert unfired == 0
    goodwill = [r for r in refunds if r.reason in ("goodwill", "late")]
    assert len(goodwill) == len(refunds_sent) == 4  # the retried keys refunded once
    verified = subprocess.run(
        [sys.executable, "-m", "refundkit.entrypoints.cli.main", "ledger", "verify"],
        env=processes.env(database_url, tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The counters of four processes (two of them restarted, one killed) add up.
    assert _by(samples, "refundkit_ledger_entries_total", "kind") == dict(kinds)
    assert _by(samples, "refundkit_webhook_deliveries_total", "result").get(
        "succeeded") == succeeded  # fmt: skip
    http = _by(samples, "refundkit_http_requests_total", "status")
    assert http.get("201", 0) >= created + len(refunds_sent) + 3
    assert sum(_by(samples, "refundkit_disputes_opened_total", "reason").values()) == 3
    assert int(samples[("refundkit_disputes_escalated_total", frozenset())]) == 3
    assert int(samples[("refundkit_idempotent_replays_total", frozenset())]) == 2
    entered = _by(samples, "refundkit_refunds_total", "status")
    assert entered.get("pending") == len(refunds)  # each refund counted once, when created
    assert entered.get("succeeded", 0) == sum(r.status == "succeeded" for r in refunds)


def _all_events(market: Market) -> list[str]:
    with market.rt.engine.connect() as conn:
        return [i for (i,) in conn.execute(sa.select(t.events.c.id).where(
            t.events.c.type.like("order.%") | t.events.c.type.like("refund.%")
            | t.events.c.type.like("dispute.%")))]  # fmt: skip


def _outbox_drained(market: Market) -> bool:
    with market.rt.engine.connect() as conn:
        backlog = _count(conn, t.events, t.events.c.published_at.is_(None))
        pending = _count(conn, t.webhook_deliveries, t.webhook_deliveries.c.status == "pending")
    return backlog == 0 and pending == 0


def _count(conn: sa.Connection, table: sa.Table, *where: Any) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
               .scalar_one())  # fmt: skip
