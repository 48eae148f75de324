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
from refundkit.service.webhook_records import Attempt
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


def test_a_webhook_carries_its_object_as_it_was_when_the_event_happened(
    market: Market,
) -> None:
    from refundkit.domain.disputes.commands import DisputeForm
    from refundkit.entrypoints.api.dispute_schemas import DisputeOut
    from refundkit.entrypoints.api.order_schemas import OrderOut
    from refundkit.entrypoints.api.schemas import RefundOut
    from refundkit.service import disputes

    with receiver() as shop:
        _endpoint(market, shop.url, ["order.*", "refund.*", "dispute.*"])
        order = market.shipped()
        market.refund(order.id, 100)
        market.advance(days=5)
        form = DisputeForm("not_received", None, False, 500, False, "Nothing came.")
        market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, []))  # fmt: skip
        while _round(market):  # everything is sent only now, after the order moved on
            pass
    sent = {body["type"]: body for body in (json.loads(r.body) for r in shop.got)}
    statuses = {t: sent[t]["data"]["object"]["status"]
                for t in ("order.created", "order.paid", "order.shipped")}  # fmt: skip
    assert statuses == {"order.created": "awaiting_payment", "order.paid": "paid",
                        "order.shipped": "shipped"}  # fmt: skip
    shipped = sent["order.shipped"]["data"]["object"]
    assert set(shipped) == set(OrderOut.model_fields) and shipped["id"] == order.id
    assert shipped["amounts"]["refunded"] == "0.00" and shipped["tracking_number"] == "T1"
    refund = sent["refund.created"]["data"]["object"]
    assert set(refund) == set(RefundOut.model_fields)
    assert (refund["object"], refund["amount"], refund["status"]) == ("refund", "1.00", "pending")
    dispute = sent["dispute.opened"]["data"]["object"]
    assert set(dispute) == set(DisputeOut.model_fields)
    assert (dispute["status"], dispute["requested_refund"]) == ("awaiting_seller", "5.00")
    assert all(body["id"] == r.headers["webhook-id"]
               for body, r in ((json.loads(r.body), r) for r in shop.got))  # fmt: skip


def test_events_outside_the_order_families_carry_no_object(market: Market) -> None:
    market.released()
    market.payout(market.seller, 100)
    [paid_out] = [e for e in market.tx(lambda uow: uow.webhooks.unpublished_events(500))
                  if e.type == "seller.paid_out"]  # fmt: skip
    assert paid_out.object is None
    assert "object" not in json.loads(webhooks.payload_of(paid_out))["data"]


def test_a_sender_whose_lease_ran_out_books_nothing(market: Market) -> None:
    """A stalled sender's late answer must not overwrite the result of the sender that took
    the delivery over after its lease: that re-queued delivered events."""
    with receiver() as shop:
        endpoint = _endpoint(market, shop.url, ["order.paid"])
        market.paid()
        webhooks.relay(market.deps)
        now = market.now
        [stalled] = market.tx(
            lambda uow: uow.webhooks.claim_due(now, now + webhooks.LEASE, webhooks.SEND_BATCH)
        )
        market.advance(seconds=webhooks.LEASE.total_seconds() + 1)
        assert _round(market) == 1  # taken over and delivered
        late = Attempt(stalled.id, now, 500, 30_000, "timed out")
        market.tx(lambda uow: webhooks._book_all(market.deps, uow, [stalled], [late]))
        market.advance(days=1)
        assert _round(market) == 0  # still delivered: nothing re-queued
    assert len(shop.got) == 1
    [delivery] = market.tx(lambda uow: webhooks.list_deliveries(
        uow, market.platform, endpoint.id, starting_after=None, limit=10))[0]  # fmt: skip
    assert delivery.status is DeliveryStatus.SUCCEEDED
