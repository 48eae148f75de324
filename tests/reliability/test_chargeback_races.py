"""A refund and a chargeback on one order at once (issue 15), round after round: a refund
waiting to be sent, a new refund asked for, and Stripe's event opening a chargeback, all
queued on the order's row lock in a turn that changes with the round (``contend``; on
SQLite, one writer, they are simply released together). Every
round ends with the chargeback lost, and every round the invariant holds: refunds plus what
the chargeback took never pass what was paid, no refund is sent while the chargeback is
open, and the books prove it (``ledger verify``'s checks, after each round)."""

from __future__ import annotations

from collections import Counter

from api_client import Api, api_fixture  # noqa: F401
from test_races import contend

from books import START, assert_ledger_invariants
from long_runs import size
from market import Market
from refundkit.domain.chargebacks.model import ChargebackStatus
from refundkit.domain.errors import ChargebackOpen
from refundkit.domain.refunds import PaymentMethod
from refundkit.service import psp_events
from refundkit.service.psp_ports import PspEvent
from refundkit.service.timers import fire_due

ROUNDS = size(6, 40)


def _dispute_event(event_id: str, dispute_id: str, reference: str, status: str) -> PspEvent:
    withdrawal = {"object": "balance_transaction", "amount": -3000, "fee": 1500}
    obj = {"id": dispute_id, "object": "dispute", "amount": 3000, "currency": "usd",
           "charge": "ch_x", "payment_intent": reference, "reason": "fraudulent",
           "status": status, "balance_transactions": [withdrawal]}  # fmt: skip
    return PspEvent("stripe", event_id, "charge.dispute.updated", START, obj)


def test_a_refund_and_a_chargeback_event_race_and_the_invariant_holds_every_round(
    api: Api,
) -> None:
    market = Market(api.rt)
    orders = []
    for n in range(ROUNDS):
        order = market.place(method=PaymentMethod.WALLET)
        market.pay(order.id, f"pi_race{n}")
        orders.append(order.id)
    market.advance(days=1)  # every payment settled: refunds go out when the worker runs
    won: Counter[str] = Counter()
    for n, order_id in enumerate(orders):
        market.refund(order_id, 1000)  # waiting for the worker

        def refund(order_id: str = order_id) -> object:
            return market.refund(order_id, 1500)

        def chargeback(order_id: str = order_id, n: int = n) -> object:
            event = _dispute_event(f"evt_r{n}", f"du_r{n}", f"pi_race{n}", "needs_response")
            return market.tx(lambda uow: psp_events.receive(market.deps, uow, event))

        def worker() -> object:
            return fire_due(market.deps)

        results = contend(api, order_id, n, [refund, chargeback, worker])
        assert all(not isinstance(r, Exception) or isinstance(r, ChargebackOpen)
                   for r in results), results  # fmt: skip
        won["refund" if not isinstance(results[0], Exception) else "chargeback"] += 1
        lost = _dispute_event(f"evt_l{n}", f"du_r{n}", f"pi_race{n}", "lost")
        market.tx(lambda uow, lost=lost: psp_events.receive(market.deps, uow, lost))
        fire_due(market.deps)
        _assert_invariant(market, order_id)
        assert_ledger_invariants(api.rt.engine)
    assert sum(won.values()) == ROUNDS
    if api.rt.engine.dialect.name == "postgresql":
        assert len(won) == 2, f"each side should win some rounds: {won}"


def _assert_invariant(market: Market, order_id: str) -> None:
    order = market.order(order_id)
    assert order.refunded_amount + order.charged_back_amount <= order.paid_amount
    assert order.open_chargeback_id is None
    [cb] = market.tx(lambda uow: uow.chargebacks.for_order(order_id))
    assert cb.status is ChargebackStatus.LOST
    types = [e.type for e in market.events(order_id)]
    opened, closed = types.index("chargeback.funds_withdrawn"), types.index("chargeback.closed")
    assert "refund.succeeded" not in types[opened:closed], types
    # What the buyer got back: refunds sent plus the bank's reversal; the bank's part that a
    # refund had already given back is the platform's to claim, never the seller's.
    sent = sum(r.amount for r in market.refunds(order_id) if r.executed_at and
               r.status.value == "succeeded")  # fmt: skip
    assert cb.counted == min(cb.amount, order.paid_amount - order.refunded_amount
                             - (order.charged_back_amount - cb.counted))  # fmt: skip
    assert cb.borne_by_platform == cb.amount - cb.counted
    assert sent + cb.counted <= order.paid_amount
