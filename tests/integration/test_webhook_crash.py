"""A worker killed with SIGKILL in the middle of a delivery run loses no event (issue 6): after
a restart every event reaches the receiver at least once, under its own stable webhook-id, so
the receiver can drop the duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.domain.webhooks import LEASE
from refundkit.service import webhooks
from webhook_receiver import receiver

EVENTS = 5


def _worker(url: str, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REFUNDKIT_DATABASE_URL": url, "REFUNDKIT_EVIDENCE_DIR": str(tmp)}
    return subprocess.Popen(
        [sys.executable, "-m", "refundkit.entrypoints.cli.main", "worker", "--sandbox",
         "--poll", "0.05"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_a_worker_killed_mid_delivery_loses_no_event(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    hold = threading.Event()
    with receiver(hold_first=hold) as shop:
        market.tx(lambda uow: webhooks.create_endpoint(market.deps, uow, market.platform,
                                                       shop.url, ["order.paid"]))  # fmt: skip
        for _ in range(EVENTS):
            market.paid()
        first = _worker(database_url, tmp_path)
        try:
            assert shop.first_arrived.wait(timeout=60), "the worker never sent anything"
            first.send_signal(signal.SIGKILL)  # mid-delivery: the first request is unanswered
            first.wait(timeout=30)
        finally:
            hold.set()
            if first.poll() is None:
                first.kill()
        # The killed worker's leases run out; a new worker sends everything again.
        assert market.rt.sandbox_clock is not None
        market.rt.sandbox_clock.set(market.now + LEASE + timedelta(seconds=1))
        second = _worker(database_url, tmp_path)
        try:
            got = shop.wait_for_ids(EVENTS, timeout=60)
        finally:
            second.kill()
            second.wait(timeout=30)
    with market.rt.engine.connect() as conn:
        paid_events = set(
            conn.execute(sa.select(t.events.c.id).where(t.events.c.type == "order.paid")).scalars()
        )
    assert got == paid_events and len(got) == EVENTS
