"""The operator's dashboard and the sellers' records count what happened: disputes opened per
reason and day, who decided them, how long they took, refunds paid, dispute and loss rates."""

from __future__ import annotations

import pytest

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import NotFound
from refundkit.domain.roles import Role
from refundkit.service import disputes, reports

NOT_RECEIVED = DisputeForm("not_received", None, False, 3000, False, "Nothing arrived.")


def test_the_dashboard_counts_disputes_outcomes_times_and_refunds(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    decided, lapsed, quiet = market.shipped(), market.shipped(), market.shipped()
    market.advance(days=6)
    opened_at = market.now
    d1 = market.tx(
        lambda uow: disputes.open_dispute(
            market.deps, uow, market.buyer, decided.id, NOT_RECEIVED, []
        )
    ).dispute.id
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, d1, "It shipped."))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, market.buyer, d1))
    market.tx(
        lambda uow: disputes.decide(
            market.deps, uow, agent, d1, "partial_refund", 1000, False, "Late."
        )
    )
    market.tx(
        lambda uow: disputes.open_dispute(
            market.deps, uow, market.buyer, lapsed.id, NOT_RECEIVED, []
        )
    )
    market.advance(days=6)  # the seller's 5 days pass: the policy accepts the second one
    market.advance(days=2)

    board = market.tx(lambda uow: reports.dashboard(uow, agent, market.now))
    day = board.days.index(opened_at.date())
    assert board.opened_by_reason == {"not_received": [2 if i == day else 0
                                                       for i in range(30)]}  # fmt: skip
    assert board.outcomes == {"automatic (policy)": 1, "agreed by the parties": 0, "agent": 1}
    assert dict(board.resolution_buckets) == {
        "under 1 day": 1,
        "1-3 days": 0,
        "3-7 days": 1,
        "7-15 days": 0,
        "15 days or more": 0,
    }
    paid = [
        r
        for r in market.refunds(decided.id) + market.refunds(lapsed.id)
        if r.succeeded_at is not None
    ]
    # Only refunds the PSP has paid count (a card refund takes business days).
    assert paid
    assert sum(board.refunds_per_day["USD"]) == sum(r.amount for r in paid)
    (seller,) = board.top_sellers
    assert (seller.orders, seller.disputes, seller.resolved, seller.lost) == (3, 2, 2, 2)
    assert quiet.id  # the third order counts as an order without a dispute


def test_a_sellers_record_is_their_own_and_the_dashboard_is_for_staff(market: Market) -> None:
    market.shipped()
    record = market.tx(lambda uow: reports.seller_record(uow, market.seller))
    assert (record.record.orders, record.record.disputes, record.refunded) == (1, 0, {})
    with pytest.raises(NotFound):
        market.tx(lambda uow: reports.dashboard(uow, market.buyer, market.now))
    with pytest.raises(NotFound):
        market.tx(lambda uow: reports.dashboard(uow, market.seller, market.now))
