"""``POST /v1/psp-webhooks/stripe``: events built from Stripe's documented shapes, signed
with the SDK's own scheme, settle or fail our refunds; each event is stored once (a replay
changes nothing) and an event that comes late changes nothing either. The refunds are made
at a scripted Stripe (tests/scripted_stripe.py) that leaves them pending, as a real card
refund is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture, assert_problem  # noqa: F401

from market import Market
from refundkit.adapters.db import tables
from refundkit.domain.refunds import Refund, RefundStatus
from scripted_stripe import Script, scripted_stripe
from stripe_world import WEBHOOK_SECRET, event, provider, refund_object, signed

HOOK = "/v1/psp-webhooks/stripe"


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUNDKIT_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)


@pytest.fixture
def market(api: Api) -> Market:
    return Market(api.rt)


def _stripe_refund(refund_id: str, amount: int, status: str = "pending") -> dict[str, Any]:
    return refund_object(refund_id, amount=amount, status=status, payment_intent="pi_1")


@pytest.fixture
def pending(market: Market) -> Iterator[Refund]:
    """A card refund Stripe accepted as ``pending`` (its id ``re_1``)."""
    order = market.place()
    market.pay(order.id, "pi_1")
    market.advance(days=1)
    script = Script([(200, _stripe_refund("re_1", 800))])
    with scripted_stripe(script) as base:
        market.deps.payments = provider(base)
        made = market.refund(order.id, 800)
        market.advance(seconds=1)
        [refund] = market.refunds(order.id)
        assert (refund.id, refund.psp_reference) == (made.id, "re_1")
        assert refund.status is RefundStatus.PENDING
        yield refund


def _send(api: Api, evt: dict[str, Any], **kw: Any) -> Any:
    body, headers = signed(evt, **kw)
    return api.client.post(HOOK, content=body, headers=headers)


def _refund_event(event_id: str, refund: Refund, status: str, kind: str = "refund.updated",
                  **changes: Any) -> dict[str, Any]:  # fmt: skip
    obj = _stripe_refund("re_1", refund.amount, status)
    obj["metadata"] = {"order_id": refund.order_id, "refund_id": refund.id}
    obj.update(changes)
    return event(event_id, kind, obj)


def _status(market: Market, refund: Refund) -> RefundStatus:
    [now] = [r for r in market.refunds(refund.order_id) if r.id == refund.id]
    return now.status


def test_refund_updated_settles_our_refund_and_a_replay_changes_nothing(
    api: Api, market: Market, pending: Refund
) -> None:
    first = _send(api, _refund_event("evt_1", pending, "succeeded"))
    assert first.status_code == 200, first.text
    assert first.json()["new"] is True
    assert _status(market, pending) is RefundStatus.SUCCEEDED
    assert market.balance("refunds_in_flight") == 0
    events_before = len(market.events(pending.order_id))
    again = _send(api, _refund_event("evt_1", pending, "succeeded"))
    assert again.status_code == 200
    assert (again.json()["new"], again.json()["result"]) == (
        False,
        f"duplicate: {first.json()['result']}",
    )
    assert len(market.events(pending.order_id)) == events_before
    assert api.count("psp_events") == 1


def test_charge_refund_updated_failed_fails_our_refund_and_gives_the_money_back(
    api: Api, market: Market, pending: Refund
) -> None:
    evt = _refund_event("evt_2", pending, "failed", kind="charge.refund.updated",
                        failure_reason="expired_or_canceled_card")  # fmt: skip
    assert _send(api, evt).status_code == 200
    [refund] = market.refunds(pending.order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "Stripe: refund failed (expired_or_canceled_card)"
    assert market.order(pending.order_id).refundable == 3000


def test_an_event_that_comes_late_changes_nothing(
    api: Api, market: Market, pending: Refund
) -> None:
    """A failed refund stays failed (Stripe never makes it succeed after), a settled one is
    not pending again: what comes after is an older event."""
    assert _send(api, _refund_event("evt_new", pending, "succeeded")).status_code == 200
    late = _send(api, _refund_event("evt_old", pending, "pending"))
    assert late.json()["result"] == f"ignored: refund {pending.id} already succeeded"
    assert _status(market, pending) is RefundStatus.SUCCEEDED


def test_a_late_success_after_a_failure_changes_nothing(
    api: Api, market: Market, pending: Refund
) -> None:
    assert _send(api, _refund_event("evt_f", pending, "failed")).status_code == 200
    late = _send(api, _refund_event("evt_s", pending, "succeeded"))
    assert late.json()["result"] == f"ignored: refund {pending.id} already failed"
    assert _status(market, pending) is RefundStatus.FAILED
    assert market.order(pending.order_id).refundable == 3000


def test_a_refund_that_fails_after_it_succeeded_gives_the_money_back(
    api: Api, market: Market, pending: Refund
) -> None:
    assert _send(api, _refund_event("evt_ok", pending, "succeeded")).status_code == 200
    assert market.order(pending.order_id).refundable == 2200
    failed = _send(api, _refund_event("evt_ko", pending, "failed", kind="refund.failed",
                                      failure_reason="lost_or_stolen_card"))  # fmt: skip
    assert failed.json()["result"] == f"refund {pending.id} failed after it had succeeded"
    [refund] = market.refunds(pending.order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.failure_reason == "Stripe: refund failed (lost_or_stolen_card)"
    assert market.order(pending.order_id).refundable == 3000
    assert market.balance("refunds_in_flight") == 0


def test_an_event_with_another_amount_changes_nothing(
    api: Api, market: Market, pending: Refund
) -> None:
    answer = _send(api, _refund_event("evt_3", pending, "succeeded", amount=799))
    assert answer.json()["result"].startswith("ignored: the provider's amount differs")
    assert _status(market, pending) is RefundStatus.PENDING


def test_a_bad_or_old_signature_is_refused_and_nothing_is_stored(
    api: Api, market: Market, pending: Refund
) -> None:
    evt = _refund_event("evt_4", pending, "succeeded")
    forged = _send(api, evt, secret="whsec_someone_else")
    assert_problem(forged, 400, "invalid_signature")
    stale = _send(api, evt, at=int(time.time()) - 301)
    assert_problem(stale, 400, "invalid_signature")
    body, _ = signed(evt)
    unsigned = api.client.post(HOOK, content=body, headers={"Content-Type": "application/json"})
    assert_problem(unsigned, 400, "invalid_signature")
    assert api.count("psp_events") == 0
    assert _status(market, pending) is RefundStatus.PENDING
    assert _send(api, evt, at=int(time.time()) - 290).status_code == 200  # within 5 minutes


def test_without_a_secret_webhooks_are_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REFUNDKIT_STRIPE_WEBHOOK_SECRET")
    answer = _send(api, event("evt_5", "refund.updated", {"object": "refund", "id": "re_9"}))
    assert_problem(answer, 400, "psp_webhooks_not_configured")


def test_an_event_refundkit_does_not_use_is_stored_with_why(api: Api) -> None:
    answer = _send(api, event("evt_6", "customer.created", {"object": "customer", "id": "cus"}))
    said = "ignored: refundkit does not use customer.created"
    assert answer.json() == {"id": "evt_6", "type": "customer.created", "new": True, "result": said}
    with api.rt.engine.connect() as conn:
        row = conn.execute(sa.select(tables.psp_events)).mappings().one()
    assert (row["provider"], row["id"], row["object_id"]) == ("stripe", "evt_6", "cus")


def test_a_malformed_event_is_a_validation_error(api: Api) -> None:
    body, headers = signed({"id": "evt_7"})
    assert_problem(api.client.post(HOOK, content=body, headers=headers), 422, "validation_error")


def test_a_refund_whose_webhook_was_lost_is_polled_after_a_while(market: Market) -> None:
    order = market.place()
    market.pay(order.id, "pi_1")
    market.advance(days=1)
    script = Script([(200, _stripe_refund("re_5", 800)),
                     (200, _stripe_refund("re_5", 800)),
                     (200, _stripe_refund("re_5", 800, "succeeded"))])  # fmt: skip
    with scripted_stripe(script) as base:
        market.deps.payments = provider(base)
        market.refund(order.id, 800)
        market.advance(seconds=1)
        [refund] = market.refunds(order.id)
        market.advance_to(refund.eta.earliest)  # first poll: still pending
        assert market.refunds(order.id)[0].status is RefundStatus.PENDING
        market.advance(hours=5, minutes=59)
        assert len(script.seen) == 2  # no poll again before six hours
        market.advance(minutes=1)
    assert market.refunds(order.id)[0].status is RefundStatus.SUCCEEDED
    assert [s["path"] for s in script.seen[1:]] == ["/v1/refunds/re_5"] * 2
