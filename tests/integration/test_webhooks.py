"""Webhooks through the outbox (issue 6), against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import threading

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from market import Market
from refundkit.domain.errors import NotFound, ValidationError
from refundkit.domain.webhooks import DeliveryStatus, EndpointStatus
from refundkit.service import webhooks
from webhook_receiver import receiver


def _endpoint(market: Market, url: str, events: list[str]):  # type: ignore[no-untyped-def]
    return market.tx(lambda uow: webhooks.create_endpoint(market.deps, uow, market.platform,
                                                          url, events))  # fmt: skip


def _round(market: Market) -> int:
    """What the worker does each turn for webhooks: relay the outbox, send what is due."""
    webhooks.relay(market.deps)
    assert market.deps.webhook_sender is not None
    return webhooks.send_due(market.deps, market.deps.webhook_sender)


def test_a_failing_receiver_gets_the_event_again_until_it_answers(market: Market) -> None:
    with receiver([500, 500]) as shop:
        endpoint = _endpoint(market, shop.url, ["order.paid"])
        order = market.paid()
        assert _round(market) == 1  # first attempt: 500
        assert _round(market) == 0  # not due again yet
        market.advance(seconds=5)
        assert _round(market) == 1  # second: 500
        market.advance(seconds=20)
        assert _round(market) == 1  # third: 200
        market.advance(days=1)
        assert _round(market) == 0  # delivered: never again
    assert len(shop.got) == 3
    [webhook_id] = {r.headers["webhook-id"] for r in shop.got}
    for request in shop.got:
        verified = Webhook(endpoint.secret).verify(request.body, request.headers)
        assert (verified["id"], verified["type"]) == (webhook_id, "order.paid")
        assert verified["data"]["order_id"] == order.id
    [delivery] = market.tx(lambda uow: webhooks.list_deliveries(
        uow, market.platform, endpoint.id, starting_after=None, limit=10))[0]  # fmt: skip
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert [a.status_code for a in delivery.attempt_log] == [500, 500, 200]
    assert [a.succeeded for a in delivery.attempt_log] == [False, False, True]


def test_a_signature_made_with_another_secret_does_not_verify(market: Market) -> None:
    with receiver() as shop:
        _endpoint(market, shop.url, ["order.*"])
        market.paid()
        _round(market)
    other = webhooks.new_secret()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(shop.got[0].body, shop.got[0].headers)


def test_only_the_events_an_endpoint_asked_for_are_sent(market: Market) -> None:
    with receiver() as shop:
        _endpoint(market, shop.url, ["refund.*"])
        order = market.paid()
        _round(market)
        assert shop.got == []
        market.refund(order.id, 100)
        _round(market)
    assert [json.loads(r.body)["type"] for r in shop.got] == ["refund.created"]


def test_an_endpoint_failing_for_3_days_is_disabled_with_a_notice(market: Market) -> None:
    with receiver([503] * 100) as shop:
        endpoint = _endpoint(market, shop.url, ["order.paid"])
        market.paid()
        for _ in range(30):
            _round(market)
            market.advance(hours=12)
    found = market.tx(lambda uow: webhooks.get_endpoint(uow, market.platform, endpoint.id))
    assert found.status is EndpointStatus.DISABLED
    [delivery] = market.tx(lambda uow: webhooks.list_deliveries(
        uow, market.platform, endpoint.id, starting_after=None, limit=10))[0]  # fmt: skip
    assert delivery.status is DeliveryStatus.FAILED
    first, last = delivery.attempt_log[0].attempted_at, delivery.attempt_log[-1].attempted_at
    assert (last - first).days <= 3 and len(delivery.attempt_log) == len(shop.got)


def test_a_redelivery_sends_the_same_event_again(market: Market) -> None:
    with receiver() as shop:
        endpoint = _endpoint(market, shop.url, ["order.paid"])
        market.paid()
        _round(market)
        [delivery] = market.tx(lambda uow: webhooks.list_deliveries(
            uow, market.platform, endpoint.id, starting_after=None, limit=10))[0]  # fmt: skip
        market.tx(lambda uow: webhooks.redeliver(market.deps, uow, market.platform, delivery.id))
        _round(market)
    assert len(shop.got) == 2
    assert shop.got[0].headers["webhook-id"] == shop.got[1].headers["webhook-id"]


@pytest.mark.parametrize(
    ("url", "events"),
    [("ftp://shop/x", ["*"]), ("not a url", ["*"]), ("https://shop/x", []),
     ("https://shop/x", ["parcel.*"])],
)  # fmt: skip
def test_a_bad_endpoint_is_refused(market: Market, url: str, events: list[str]) -> None:
    with pytest.raises(ValidationError):
        _endpoint(market, url, events)
    assert market.tx(lambda uow: webhooks.list_endpoints(uow, market.platform)) == []


def test_buyers_and_sellers_cannot_see_endpoints(market: Market) -> None:
    for who in (market.buyer, market.seller):
        with pytest.raises(NotFound):
            market.tx(lambda uow, w=who: webhooks.list_endpoints(uow, w))


def test_a_disabled_endpoint_is_not_called(market: Market) -> None:
    with receiver() as shop:
        endpoint = _endpoint(market, shop.url, ["order.paid"])
        market.paid()
        webhooks.relay(market.deps)  # queued while the endpoint was enabled
        market.tx(lambda uow: uow.webhooks.set_endpoint_status(
            endpoint.id, EndpointStatus.DISABLED, "by hand"))  # fmt: skip
        assert _round(market) == 0
    assert shop.got == []


def test_workers_side_by_side_send_each_delivery_once(market: Market) -> None:
    with receiver() as shop:
        _endpoint(market, shop.url, ["order.paid"])
        for _ in range(12):
            market.paid()
        webhooks.relay(market.deps)
        sender = market.deps.webhook_sender
        assert sender is not None
        start = threading.Barrier(3)
        sent: list[int] = []

        def worker() -> None:
            start.wait()
            while count := webhooks.send_due(market.deps, sender):
                sent.append(count)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    ids = [r.headers["webhook-id"] for r in shop.got]
    assert sum(sent) == len(ids) == len(set(ids)) == 12
