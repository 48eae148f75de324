"""Refunds through the Stripe provider against localstripe, a fake Stripe server nobody
here wrote, started on a free port (tests/localstripe_server.py): the SDK, its requests and
its answers are real; only the server is a fake.

localstripe neither honours idempotency keys nor caps refunds, so the two tests that say
"never twice" and "never beyond" prove refundkit's own guarantees (the refund row's lock and
state, the order's refundable amount), not Stripe's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localstripe_server import localstripe
from market import Market
from refundkit.adapters.payments.stripe_provider import StripeProvider
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import AmountExceedsRefundable
from refundkit.domain.refunds import RefundStatus
from refundkit.service import disputes, refunds
from stripe_world import DECLINED_ON_CHARGE, pay, provider


@pytest.fixture(scope="module")
def stripe_base() -> Iterator[str]:
    with localstripe() as base:
        yield base


@pytest.fixture
def psp(market: Market, stripe_base: str) -> StripeProvider:
    market.deps.payments = provider(stripe_base)
    return market.deps.payments  # type: ignore[return-value]


def _paid_and_shipped(market: Market, reference: str) -> str:
    order = market.place()
    market.pay(order.id, reference)
    market.ship(order.id)
    market.advance(days=5)  # settled at the PSP, and the dispute window is open
    return order.id


def test_a_dispute_and_a_platform_refund_reach_stripe_as_two_partial_refunds(
    market: Market, psp: StripeProvider
) -> None:
    intent = pay(psp, 3000)
    order_id = _paid_and_shipped(market, intent)
    form = DisputeForm("not_received", None, False, 1200, False, "Nothing arrived.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order_id,
                                                    form, []))  # fmt: skip
    market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.dispute.id))
    market.refund(order_id, 500)
    market.advance(minutes=1)  # the worker executes both refunds

    ours = {r.psp_reference: r for r in market.refunds(order_id)}
    assert {r.status for r in ours.values()} == {RefundStatus.SUCCEEDED}
    assert {r.psp for r in ours.values()} == {"stripe"}
    at_stripe = psp.refunds_of(intent)
    assert sorted(r["amount"] for r in at_stripe) == [500, 1200]
    for theirs in at_stripe:
        mine = ours[theirs["id"]]
        assert theirs["amount"] == mine.amount
        assert theirs["currency"] == "usd"
        assert theirs["metadata"] == {"order_id": order_id, "refund_id": mine.id}
    assert market.order(order_id).refunded_amount == 1700


def test_a_refund_stripe_refuses_fails_with_its_reason_kept_and_gives_the_money_back(
    market: Market, psp: StripeProvider
) -> None:
    failed_charge = pay(psp, 3000, card=DECLINED_ON_CHARGE)
    assert failed_charge.startswith("ch_")
    order_id = _paid_and_shipped(market, failed_charge)
    market.refund(order_id, 1000)
    market.advance(minutes=1)
    [refund] = market.refunds(order_id)
    assert refund.status is RefundStatus.FAILED
    assert refund.psp_reference is None
    assert refund.failure_reason == "Stripe: Cannot refund a failed payment."
    assert market.order(order_id).refundable == 3000
    assert market.balance("refunds_in_flight") == 0
    assert psp.refunds_of(failed_charge) == []


def test_an_execution_run_again_never_refunds_twice_at_stripe(
    market: Market, psp: StripeProvider
) -> None:
    """localstripe would make a second refund for the same idempotency key: refundkit never
    asks twice for a refund it has executed."""
    intent = pay(psp, 3000)
    order_id = _paid_and_shipped(market, intent)
    refund = market.refund(order_id, 700)
    market.advance(minutes=1)
    again = market.tx(lambda uow: refunds.execute_refund(market.deps, uow, refund.id))
    assert again == "skipped: not awaiting execution"
    assert [r["amount"] for r in psp.refunds_of(intent)] == [700]


def test_no_refund_beyond_what_was_captured_reaches_stripe(
    market: Market, psp: StripeProvider
) -> None:
    """localstripe would refund more than the charge: refundkit refuses before asking."""
    intent = pay(psp, 3000)
    order_id = _paid_and_shipped(market, intent)
    market.refund(order_id, 2500)
    with pytest.raises(AmountExceedsRefundable):
        market.refund(order_id, 501)
    market.advance(minutes=1)
    assert [r["amount"] for r in psp.refunds_of(intent)] == [2500]


def test_a_refund_polled_at_stripe_reads_its_status_there(
    market: Market, psp: StripeProvider
) -> None:
    intent = pay(psp, 3000)
    order_id = _paid_and_shipped(market, intent)
    market.refund(order_id, 300)
    market.advance(minutes=1)
    [refund] = market.refunds(order_id)
    assert refund.psp_reference is not None
    answer = psp.refund_status(refund.psp_reference, market.now)
    assert (answer.status, answer.psp_reference) == ("succeeded", refund.psp_reference)


def test_every_call_to_stripe_is_timed_and_its_refunds_counted_by_provider(
    market: Market, psp: StripeProvider
) -> None:
    from prometheus_client import REGISTRY

    def seen(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    calls = {"provider": "stripe", "operation": "refund", "outcome": "ok"}
    before = seen("refundkit_psp_call_duration_seconds_count", **calls)
    succeeded = seen("refundkit_refunds_total", status="succeeded", provider="stripe")
    order_id = _paid_and_shipped(market, pay(psp, 3000))
    market.refund(order_id, 700)
    market.advance(minutes=1)  # the worker executes the refund at Stripe
    assert seen("refundkit_psp_call_duration_seconds_count", **calls) == before + 1
    assert seen("refundkit_refunds_total", status="succeeded", provider="stripe") == (
        succeeded + 1)  # fmt: skip
