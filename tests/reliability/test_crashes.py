"""Crash tests (issue 8): real processes killed with SIGKILL at the worst moments, then
restarted. A worker killed in the middle of a timer sweep fires every due timer exactly
once; a worker killed while delivering thousands of webhooks loses none; an API process
killed after its ledger commit and before its response refunds once when the client
retries with the same Idempotency-Key. On SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from long_runs import record, size
from market import Market
from refundkit.adapters.db import tables as t
from refundkit.adapters.db.engine import READONLY_OPTION
from refundkit.domain.webhooks import LEASE
from refundkit.entrypoints.crash_points import AFTER_COMMIT, ENV
from refundkit.service import webhooks
from webhook_receiver import receiver

WAIT = 120.0
BATCH = 5
"""Timers per transaction in the sweep test: many commits, so a kill lands mid-sweep."""


def _env(url: str, tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "REFUNDKIT_DATABASE_URL": url, "REFUNDKIT_EVIDENCE_DIR": str(tmp),
            "REFUNDKIT_PLATFORM_KEY": "pk_test", **extra}  # fmt: skip


def _worker(url: str, tmp: Path, batch: int = 100) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "refundkit.entrypoints.cli.main", "worker", "--sandbox",
         "--poll", "0.05", "--batch", str(batch)],
        env=_env(url, tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


@contextmanager
def _reaped(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _until(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Poll a condition (the database, a process) until it holds."""
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting: {what}"
        time.sleep(0.01)


def _scalar(market: Market, query: sa.Select[tuple[int]]) -> int:
    """Read without SQLite's write lock (BEGIN IMMEDIATE), so polling never stalls a worker
    nor waits behind one."""
    with market.rt.engine.connect().execution_options(**{READONLY_OPTION: True}) as conn:
        return int(conn.execute(query).scalar_one())


# --- the worker killed mid timer sweep ------------------------------------------------------


def test_a_worker_killed_mid_sweep_fires_every_due_timer_exactly_once(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    orders, kills = size(60, 1500), size(2, 5)
    placed = [market.place() for _ in range(orders)]
    expiring = [o.id for o in placed]
    due = t.timers.c.kind == "order.expire"
    fired = (
        sa.select(sa.func.count()).select_from(t.timers).where(due, t.timers.c.fired_at.isnot(None))
    )
    market.rt.sandbox_clock.set(placed[-1].deadlines.pay_by)  # type: ignore[union-attr]
    mid_sweep = 0
    for kill in range(1, kills + 1):
        # Each worker is killed once it has committed a little more than the last one.
        target = orders * kill // (kills + 1)
        with _reaped(_worker(database_url, tmp_path, batch=BATCH)) as worker:
            _until(lambda target=target: _scalar(market, fired) >= target, "a sweep's progress")
            _kill(worker)
        at_kill = _scalar(market, fired)
        mid_sweep += at_kill < orders
    assert mid_sweep >= 1, "no worker was killed before the sweep ended"
    with _reaped(_worker(database_url, tmp_path)) as worker:
        _until(lambda: _scalar(market, fired) == orders, "every timer fired")
        worker.terminate()
    with market.rt.engine.connect() as conn:
        timers = conn.execute(sa.select(t.timers.c.subject_id, t.timers.c.result).where(due)).all()
        expired = conn.execute(
            sa.select(t.events.c.subject_id, sa.func.count())
            .where(t.events.c.type == "order.expired")
            .group_by(t.events.c.subject_id)
        ).all()
    assert sorted(s for s, _ in timers) == sorted(expiring)
    assert {r for _, r in timers} == {"fired: expired"}, "each timer did its work, none skipped"
    assert dict(expired) == dict.fromkeys(expiring, 1), "each order expired exactly once"
    record("worker_killed_mid_sweep", database=market.rt.engine.dialect.name, timers=orders,
           kills=kills, killed_mid_sweep=mid_sweep, fired_twice=0, lost=0)  # fmt: skip


# --- the worker killed while delivering webhooks -------------------------------------------


def _insert_events(market: Market, count: int) -> set[str]:
    now = market.now
    rows = [
        {"id": f"evt_{uuid.uuid4().hex[:20]}", "type": "order.paid", "subject_id": f"ord_{i}",
         "order_id": None, "occurred_at": now, "actor_role": "platform", "actor_id": None,
         "data": {"n": i}}
        for i in range(count)
    ]  # fmt: skip
    with market.rt.engine.begin() as conn:
        for start in range(0, count, 1000):
            conn.execute(t.events.insert(), rows[start : start + 1000])
    return {r["id"] for r in rows}


def test_a_worker_killed_while_delivering_thousands_of_events_loses_none(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    count = size(300, 10_000)
    kill_at = [1, count // 3, 2 * count // 3]
    with receiver() as shop:
        market.tx(lambda uow: webhooks.create_endpoint(market.deps, uow, market.platform,
                                                       shop.url, ["order.paid"]))  # fmt: skip
        sent = _insert_events(market, count)
        for progress in kill_at:
            with _reaped(_worker(database_url, tmp_path)) as worker:
                _until(lambda p=progress: len(shop.ids()) >= p, "deliveries under way",
                       timeout=size(WAIT, 1800.0))  # fmt: skip
                _kill(worker)
            # The killed worker's leases run out, so the next one sends those again.
            market.rt.sandbox_clock.set(market.now + LEASE + timedelta(seconds=1))  # type: ignore[union-attr]
        assert len(shop.ids()) < count, "the last kill came after every event was delivered"
        with _reaped(_worker(database_url, tmp_path)) as worker:
            got = shop.wait_for_ids(count, timeout=size(300, 1800))
            worker.terminate()
        requests = len(shop.got)
    assert got == sent, f"lost {len(sent - got)} of {count} events"
    record("worker_killed_while_delivering", database=market.rt.engine.dialect.name,
           events=count, kills=len(kill_at), lost=len(sent - got),
           duplicates_sent=requests - count)  # fmt: skip


# --- the API killed between its ledger commit and its response -----------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _api(url: str, tmp: Path, port: int, **extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "refundkit.entrypoints.cli.main", "serve", "--sandbox",
         "--no-worker", "--port", str(port)],
        env=_env(url, tmp, **extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def answers() -> bool:
        assert process.poll() is None, "the API process died on start"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    _until(answers, "the API to start")
    return process


@pytest.mark.parametrize("rounds", [size(1, 10)])
def test_an_api_killed_after_its_commit_refunds_once_on_retry(
    market: Market, database_url: str, tmp_path: Path, rounds: int
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    for n in range(rounds):
        order = market.paid()
        path = f"/v1/orders/{order.id}/refunds"
        headers = {"Authorization": "Bearer pk_test", "Idempotency-Key": f"crash-{n}"}
        body = {"amount": "10.00", "reason": "goodwill"}
        with _reaped(_api(database_url, tmp_path, port, **{ENV: AFTER_COMMIT})) as doomed:
            with pytest.raises(httpx.TransportError):
                httpx.post(base + path, json=body, headers=headers, timeout=60)
            assert doomed.wait(timeout=30) == -signal.SIGKILL
        # The refund was committed, though nobody was told.
        assert [r.amount for r in market.refunds(order.id)] == [1000]
        with _reaped(_api(database_url, tmp_path, port)) as api:
            retried = httpx.post(base + path, json=body, headers=headers, timeout=60)
            again = httpx.post(base + path, json=body, headers=headers, timeout=60)
            api.terminate()
        assert retried.status_code == 201, retried.text
        assert retried.headers["idempotent-replayed"] == "true"
        assert again.text == retried.text
        refunds = market.refunds(order.id)
        assert [r.id for r in refunds] == [retried.json()["id"]]
        assert market.order(order.id).refunded_amount == 1000
    record("api_killed_after_commit", database=market.rt.engine.dialect.name, kills=rounds,
           refunds_per_retried_request=1, over_refunds=0)  # fmt: skip
