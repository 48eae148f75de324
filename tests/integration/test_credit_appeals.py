"""Counterfeit compensation is paid once, whichever way the full refund comes (issue 19,
item 4): an agent's partial refund pays none; the appeal that turns it into a full refund
pays the multiple then, and nothing pays it twice."""

from __future__ import annotations

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import OrderLine
from refundkit.domain.roles import Role
from refundkit.service import disputes


def test_an_appeal_to_a_full_refund_pays_the_compensation_once(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order = market.shipped(lines=(OrderLine("bag", "Bag", 1, 5000),), shipping_fee=0)
    market.advance(days=5)
    buyer = market.buyer
    form = DisputeForm("counterfeit", None, True, 5000, False, "A fake bag.")
    ids = [evidence_file(market, buyer)]
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, buyer, order.id, form,
                                                    ids)).dispute  # fmt: skip
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, d.id, "genuine"))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, buyer, d.id))
    partial = market.tx(lambda uow: disputes.decide(market.deps, uow, agent, d.id,
                                                    "partial_refund", 2000, False,
                                                    "unclear")).dispute  # fmt: skip
    assert partial.compensation_credit == 0
    proof = [evidence_file(market, buyer)]
    market.tx(lambda uow: disputes.appeal(market.deps, uow, buyer, d.id, "It is fake.", proof))
    full = market.tx(lambda uow: disputes.decide_appeal(
        market.deps, uow, agent, d.id, uphold=False, outcome="full_refund", amount=None,
        rationale="the brand confirmed it")).dispute  # fmt: skip
    assert (full.outcome.value, full.compensation_credit) == ("full_refund", 10000)
    credit = market.tx(lambda uow: uow.credit.balances(buyer.id))
    assert credit == {"USD": 10000}
    entries = market.tx(lambda uow: uow.credit.entries(buyer.id, starting_after=None, limit=10))
    assert [e.kind for e in entries] == ["credit_compensation"]
