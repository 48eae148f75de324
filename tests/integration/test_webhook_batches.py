"""The relay sends a batch concurrently and books it in one transaction (issue 16): several
deliveries to one endpoint are in flight at once, every event arrives once, and booking a
batch costs the same statements whatever its size."""

from __future__ import annotations

import threading

from test_refund_statements import counted

from market import Market
from refundkit.domain.webhooks import DeliveryStatus
from refundkit.service import webhooks
from webhook_receiver import receiver


def _endpoint(market: Market, url: str):  # type: ignore[no-untyped-def]
    return market.tx(lambda uow: webhooks.create_endpoint(market.deps, uow, market.platform,
                                                          url, ["order.paid"]))  # fmt: skip


def test_a_batch_is_in_flight_at_once_and_each_event_arrives_once(market: Market) -> None:
    held = threading.Event()
    with receiver(hold_first=held) as shop:
        endpoint = _endpoint(market, shop.url)
        for _ in range(12):
            market.paid()
        webhooks.relay(market.deps)
        sender = market.deps.webhook_sender
        assert sender is not None
        sent: list[int] = []
        worker = threading.Thread(
            target=lambda: sent.append(webhooks.send_due(market.deps, sender))
        )
        worker.start()
        try:
            # The first request is held unanswered: the other eleven still arrive, so they
            # were sent beside it, not after it.
            assert len(shop.wait_for_ids(11, timeout=60)) == 11
        finally:
            held.set()
            worker.join()
        assert sent == [12]
        assert webhooks.send_due(market.deps, sender) == 0
    ids = [r.headers["webhook-id"] for r in shop.got]
    assert len(ids) == 12 and len(set(ids)) == 12  # none lost, none twice
    found, _ = market.tx(lambda uow: webhooks.list_deliveries(
        uow, market.platform, endpoint.id, starting_after=None, limit=100))  # fmt: skip
    assert {d.status for d in found} == {DeliveryStatus.SUCCEEDED} and len(found) == 12


def _booking_statements(market: Market, orders: int) -> int:
    for _ in range(orders):
        market.paid()
    webhooks.relay(market.deps)
    sender = market.deps.webhook_sender
    assert sender is not None
    with counted(market.rt.engine) as statements:
        assert webhooks.send_due(market.deps, sender) == orders
    return len(statements)


def test_sending_2n_deliveries_costs_the_statements_of_n(market: Market) -> None:
    with receiver() as shop:
        _endpoint(market, shop.url)
        few = _booking_statements(market, 3)
        many = _booking_statements(market, 6)
    assert many == few, (few, many)


def test_the_worker_wakes_when_events_are_written(market: Market) -> None:
    """PostgreSQL notifies the listening worker when a transaction that wrote events
    commits (migration 0024); SQLite's wait is a short poll that finds nothing to say."""
    from refundkit.adapters.db.outbox_wake import OutboxWake

    wake = OutboxWake(market.rt.engine)
    stop = threading.Event()
    try:
        if not wake.listening:
            assert market.rt.engine.dialect.name == "sqlite"
            assert wake.wait(stop, 30) is False  # returns after its short poll
            return
        assert wake.wait(stop, 0.01) is False  # nothing written yet
        market.paid()  # commits events
        assert wake.wait(stop, 30) is True
        market.tx(lambda uow: uow.webhooks.endpoints())  # a transaction without events
        assert wake.wait(stop, 0.01) is False
    finally:
        wake.close()
