"""Who is told what in a dispute (issue 6): the seller of the dispute, the buyer's offers and
the escalation, with the time to respond by; every agent once of a case past its deadline;
both parties of the outcome and of each refund."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from market import Market
from refundkit.domain.disputes import timers as dispute_timers
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.notifications import NotificationKind as K
from refundkit.domain.roles import Role
from refundkit.service import disputes, reminders
from refundkit.service.notification_records import Notification
from refundkit.service.records import DueTimer


def messages(market: Market) -> list[Notification]:
    return list(reversed(market.messages()))  # oldest first


def act(market: Market, fn, *args):  # type: ignore[no-untyped-def]
    return market.tx(lambda uow: fn(market.deps, uow, *args))


def test_each_step_of_a_dispute_tells_the_right_people(market: Market) -> None:
    agents = [market.user(Role.AGENT, "IE"), market.user(Role.AGENT, "IE")]
    buyer, seller = market.buyer, market.seller
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", "tracking_stuck", False, 3000, False, "Nothing came.")
    d = act(market, disputes.open_dispute, buyer, order.id, form, []).dispute
    [opened] = messages(market)
    assert (opened.kind, opened.recipient_id, opened.email) == (K.DISPUTE_OPENED, seller.id,
                                                                seller.email)  # fmt: skip
    assert d.respond_by is not None and d.respond_by.isoformat() in opened.body
    assert "in 5 days" in opened.body and f"/disputes/{d.id}" in opened.body
    assert opened.dispute_id == d.id and opened.order_id == order.id

    act(market, disputes.reject, seller, d.id, "It was shipped.")
    act(market, disputes.offer, buyer, d.id, 2000, False, "Half is fine.")
    offer = messages(market)[-1]
    assert (offer.kind, offer.recipient_id) == (K.DISPUTE_OFFER, seller.id)
    assert "20.00 USD" in offer.body and "Respond by: " in offer.body
    act(market, disputes.offer, seller, d.id, 1000, False, "A third.")
    assert (messages(market)[-1].kind, messages(market)[-1].recipient_id) == (K.DISPUTE_OFFER,
                                                                              buyer.id)  # fmt: skip

    escalated = act(market, disputes.escalate, buyer, d.id).dispute
    told = [m for m in messages(market) if m.kind is K.DISPUTE_ESCALATED]
    assert [m.recipient_id for m in told] == [seller.id]  # the buyer escalated it
    assert escalated.agent_due_by.isoformat() in told[0].body

    market.advance_to(escalated.agent_due_by - timedelta(minutes=1))
    assert not [m for m in messages(market) if m.kind is K.DISPUTE_OVERDUE]
    market.advance(days=3)
    timer = DueTimer(0, dispute_timers.AGENT_OVERDUE, d.id, escalated.agent_due_by)
    act(market, reminders.agents_of_overdue, timer)  # the timer handled a second time
    overdue = [m for m in messages(market) if m.kind is K.DISPUTE_OVERDUE]
    assert sorted(m.recipient_id for m in overdue) == sorted(a.id for a in agents)

    act(market, disputes.decide, agents[0], d.id, "full_refund", None, False, "No scan.")
    market.advance(days=10)  # the card refund is executed, then paid
    counts = Counter((m.kind, m.recipient_id) for m in messages(market))
    for party in (buyer.id, seller.id):
        for kind in (K.DISPUTE_OUTCOME, K.REFUND_CREATED, K.REFUND_SUCCEEDED):
            assert counts[(kind, party)] == 1, (kind, party, counts)
    outcome = next(m for m in messages(market) if m.kind is K.DISPUTE_OUTCOME)
    assert "full refund" in outcome.subject and "30.00 USD" in outcome.body
    assert sum(counts.values()) == 1 + 2 + 1 + 2 + 6  # opened, offers, escalated, agents, rest


def test_an_overdue_case_decided_in_time_tells_no_agent(market: Market) -> None:
    market.user(Role.AGENT, "IE")
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    d = act(market, disputes.open_dispute, market.buyer, order.id, form, []).dispute
    act(market, disputes.reject, market.seller, d.id, "Shipped.")
    act(market, disputes.escalate, market.buyer, d.id)
    agent = market.user(Role.AGENT, "IE")
    act(market, disputes.decide, agent, d.id, "no_refund", None, False, "Delivered.")
    market.advance(days=10)
    assert not [m for m in messages(market) if m.kind is K.DISPUTE_OVERDUE]


def test_a_withdrawn_dispute_tells_the_seller_and_the_reminders_come_back(
    market: Market,
) -> None:
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    d = act(market, disputes.open_dispute, market.buyer, order.id, form, []).dispute
    act(market, disputes.withdraw, market.buyer, d.id)
    withdrawn = [m for m in messages(market) if m.kind is K.DISPUTE_OUTCOME]
    assert {m.recipient_id for m in withdrawn} == {market.buyer.id, market.seller.id}
    assert "withdrawn" in withdrawn[0].subject
    closes = market.order(order.id).deadlines.dispute_closes_at
    assert closes is not None
    market.advance_to(closes - timedelta(days=2))
    reminded = [m for m in messages(market) if m.kind is K.DISPUTE_WINDOW_REMINDER]
    assert len(reminded) == 2  # a withdrawn dispute leaves the order undisputed


def test_the_party_asked_for_evidence_is_told_by_when(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    d = act(market, disputes.open_dispute, market.buyer, order.id, form, []).dispute
    act(market, disputes.reject, market.seller, d.id, "Shipped.")
    act(market, disputes.escalate, market.buyer, d.id)
    act(market, disputes.request_evidence, agent, d.id, "seller", "The carrier's receipt.")
    [asked] = [m for m in messages(market) if m.kind is K.EVIDENCE_REQUESTED]
    assert asked.recipient_id == market.seller.id
    assert "The carrier's receipt." in asked.body and "in 3 days" in asked.body
