"""DESIGN §3 disputes, path by path, each timeout included, on a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DecidedBy, DisputeOutcome, DisputeStatus
from refundkit.domain.errors import (
    AmountExceedsRefundable,
    Conflict,
    EvidenceRequired,
    Forbidden,
    InvalidTransition,
    NotFound,
    WindowClosed,
)
from refundkit.domain.ledger import escrow_account, seller_payable_account
from refundkit.domain.orders.model import Order, OrderStatus
from refundkit.domain.roles import Role
from refundkit.service import disputes
from refundkit.service.disputes import DisputeDetails
from refundkit.service.records import User


def form(amount: int = 3000, *, reason: str = "not_received", received: bool = False,
         goods_back: bool = False) -> DisputeForm:  # fmt: skip
    return DisputeForm(reason, None, received, amount, goods_back, "Nothing arrived.")


def shipped_in_window(market: Market) -> Order:
    order = market.shipped()
    market.advance(days=5)
    return order


def open_(market: Market, order: Order, f: DisputeForm | None = None,
          buyer: User | None = None) -> DisputeDetails:  # fmt: skip
    who = buyer or market.buyer
    return market.tx(lambda uow: disputes.open_dispute(market.deps, uow, who, order.id,
                                                       f or form(), []))  # fmt: skip


def act(market: Market, fn, *args):  # type: ignore[no-untyped-def]
    return market.tx(lambda uow: fn(market.deps, uow, *args))


def test_the_window_opens_5_days_after_shipment(market: Market) -> None:
    order = market.shipped()
    market.advance(days=4, hours=23)
    with pytest.raises(WindowClosed):
        open_(market, order)
    market.advance(hours=1)
    assert open_(market, order).dispute.status is DisputeStatus.AWAITING_SELLER


def test_the_window_closes_15_days_after_delivery(market: Market) -> None:
    order = market.shipped()
    from refundkit.service import orders

    market.tx(lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, order.id))
    market.advance(days=14, hours=23)
    open_(market, order)  # still open a moment before the end
    other = market.shipped()
    market.tx(lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, other.id))
    market.advance(days=15)
    with pytest.raises(WindowClosed):
        open_(market, other)


def test_only_the_orders_buyer_opens_one_dispute_at_a_time(market: Market) -> None:
    order = shipped_in_window(market)
    stranger = market.user(Role.BUYER, "DE")
    with pytest.raises(NotFound):
        open_(market, order, buyer=stranger)
    open_(market, order)
    with pytest.raises(InvalidTransition):
        open_(market, order)


def test_the_refund_asked_for_cannot_exceed_what_is_refundable(market: Market) -> None:
    order = shipped_in_window(market)
    with pytest.raises(AmountExceedsRefundable):
        open_(market, order, form(3001))


def test_a_received_item_needs_evidence(market: Market) -> None:
    order = shipped_in_window(market)
    with pytest.raises(EvidenceRequired):
        open_(market, order, form(1000, reason="damaged", received=True))
    assert market.order(order.id).open_dispute_id is None


def test_an_open_dispute_holds_the_order_past_its_deadline(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "it was delivered")
    market.advance_to(order.deadlines.delivery_deadline + timedelta(days=1))
    assert market.order(order.id).status is OrderStatus.SHIPPED
    assert market.balance(escrow_account(order.id)) == 3000


def test_the_seller_accepts_and_the_buyer_is_refunded_as_asked(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order, form(1200)).dispute
    done = act(market, disputes.accept, market.seller, d.id).dispute
    assert (done.status, done.outcome, done.refund_amount, done.decided_by) == (
        DisputeStatus.RESOLVED,
        DisputeOutcome.PARTIAL_REFUND,
        1200,
        DecidedBy.SELLER,
    )
    assert [r.amount for r in market.refunds(order.id)] == [1200]
    # The order resumes: the rest is released when its window closes.
    market.advance_to(order.deadlines.delivery_deadline)
    assert market.order(order.id).status is OrderStatus.COMPLETED
    assert market.balance(seller_payable_account(market.seller.id)) == 1800 - 90


def test_seller_silence_for_5_days_accepts_as_asked_and_names_the_rule(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    market.advance(days=4, hours=23)
    assert act(market, disputes.get_dispute, market.buyer, d.id).dispute.status is (
        DisputeStatus.AWAITING_SELLER
    )
    market.advance(hours=1)
    done = act(market, disputes.get_dispute, market.buyer, d.id).dispute
    assert done.status is DisputeStatus.RESOLVED
    assert done.outcome is DisputeOutcome.FULL_REFUND
    assert (done.decided_by, done.rule) == (DecidedBy.POLICY, "disputes.seller_answer_days")
    assert market.order(order.id).status is OrderStatus.REFUNDED


def test_a_counter_offer_accepted_by_the_buyer_resolves(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    after = act(market, disputes.offer, market.seller, d.id, 1500, False, "half").dispute
    assert after.status is DisputeStatus.NEGOTIATING
    with pytest.raises(InvalidTransition):
        act(market, disputes.accept, market.seller, d.id)  # not its own offer
    done = act(market, disputes.accept, market.buyer, d.id).dispute
    assert (done.outcome, done.refund_amount, done.decided_by) == (
        DisputeOutcome.PARTIAL_REFUND,
        1500,
        DecidedBy.BUYER,
    )


def test_offers_go_back_and_forth_and_only_the_latest_counts(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.offer, market.seller, d.id, 1000, False, "a third")
    act(market, disputes.offer, market.buyer, d.id, 2000, False, "two thirds")
    done = act(market, disputes.accept, market.seller, d.id).dispute
    assert done.refund_amount == 2000


def test_a_stalled_negotiation_escalates_15_days_after_opening(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "delivered, see tracking")
    market.advance_to(d.opened_at + timedelta(days=15) - timedelta(seconds=1))
    assert act(market, disputes.get_dispute, market.buyer, d.id).dispute.status is (
        DisputeStatus.NEGOTIATING
    )
    market.advance(seconds=1)
    escalated = act(market, disputes.get_dispute, market.buyer, d.id)
    assert escalated.dispute.status is DisputeStatus.ESCALATED
    assert escalated.dispute.agent_due_by is not None


def test_the_agent_queue_is_oldest_due_first_and_flags_overdue(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    first = shipped_in_window(market)
    second = market.shipped()
    market.advance(days=5)
    d1 = open_(market, first).dispute
    d2 = open_(market, second).dispute
    for d in (d2, d1):
        act(market, disputes.reject, market.seller, d.id, "no")
        act(market, disputes.escalate, market.buyer, d.id)
        market.advance(hours=1)
    queue, _ = market.tx(
        lambda uow: disputes.list_disputes(
            market.deps, uow, agent, status=DisputeStatus.ESCALATED, starting_after=None, limit=10
        )
    )
    assert [q.dispute.id for q in queue] == [d2.id, d1.id]
    assert not any(q.overdue for q in queue)
    market.advance(days=4)
    queue, _ = market.tx(
        lambda uow: disputes.list_disputes(
            market.deps, uow, agent, status=DisputeStatus.ESCALATED, starting_after=None, limit=10
        )
    )
    assert all(q.overdue for q in queue)


def test_an_agent_decides_with_a_rationale(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "no")
    act(market, disputes.escalate, market.seller, d.id)
    with pytest.raises(Forbidden):
        act(market, disputes.decide, market.seller, d.id, "no_refund", None, False, "mine")
    done = act(market, disputes.decide, agent, d.id, "full_refund", None, False,
               "tracking never moved").dispute  # fmt: skip
    assert (done.outcome, done.decided_by, done.rationale) == (
        DisputeOutcome.FULL_REFUND,
        DecidedBy.AGENT,
        "tracking never moved",
    )
    assert market.order(order.id).status is OrderStatus.REFUNDED
    assert market.balance(escrow_account(order.id)) == 0


def test_no_refund_releases_the_money_when_the_window_allows(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "no")
    act(market, disputes.escalate, market.buyer, d.id)
    market.advance_to(order.deadlines.delivery_deadline + timedelta(days=2))
    act(market, disputes.decide, agent, d.id, "no_refund", None, False, "delivered")
    market.fire_due()
    assert market.order(order.id).status is OrderStatus.COMPLETED
    assert market.balance(seller_payable_account(market.seller.id)) == 2850


def test_evidence_requests_are_recorded_with_a_3_day_deadline(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "no")
    act(market, disputes.escalate, market.buyer, d.id)
    act(market, disputes.request_evidence, agent, d.id, "seller", "proof of delivery please")
    [req] = market.tx(lambda uow: uow.disputes.evidence_requests(d.id))
    assert req["due_by"] == market.now + timedelta(days=3)


def test_a_withdrawn_dispute_lets_the_order_go_on_and_allows_one_more(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.withdraw, market.buyer, d.id)
    assert market.order(order.id).open_dispute_id is None
    second = open_(market, order).dispute
    act(market, disputes.withdraw, market.buyer, second.id)
    with pytest.raises(InvalidTransition):
        open_(market, order)
    market.advance_to(order.deadlines.delivery_deadline)
    assert market.order(order.id).status is OrderStatus.COMPLETED


def _resolved_partially(market: Market) -> tuple[Order, str]:
    order = shipped_in_window(market)
    d = open_(market, order, form(1000)).dispute
    act(market, disputes.accept, market.seller, d.id)
    return order, d.id


def _appeal(market: Market, who: User, dispute_id: str, files: list[str] | None = None) -> None:
    ids = [evidence_file(market, who)] if files is None else files
    act(market, disputes.appeal, who, dispute_id, "new facts", ids)


def test_an_appeal_needs_new_evidence_and_is_made_once_per_dispute(market: Market) -> None:
    _, d = _resolved_partially(market)
    with pytest.raises(EvidenceRequired):
        _appeal(market, market.buyer, d, files=[])
    _appeal(market, market.buyer, d)
    with pytest.raises(Conflict):
        _appeal(market, market.seller, d)


def test_once_appealed_neither_party_is_offered_an_appeal_and_neither_may_make_one(
    market: Market,
) -> None:
    """docs/decisions.md: one appeal per dispute, by either party. The dispute's page (its
    next_actions), the API and the table's guard (docs/disputes.md) say the same."""
    from refundkit.domain.disputes.machine import DISPUTE_TRANSITIONS, DisputeAction

    def offered(who: User) -> bool:
        found = act(market, disputes.get_dispute, who, d)
        return any(a.action is DisputeAction.APPEAL and a.actor is who.role
                   for a in found.next_actions)  # fmt: skip

    _, d = _resolved_partially(market)
    assert offered(market.buyer) and offered(market.seller)
    _appeal(market, market.seller, d)
    assert not offered(market.buyer) and not offered(market.seller)
    for who in (market.buyer, market.seller):
        with pytest.raises(Conflict):
            _appeal(market, who, d)
    rows = [r for r in DISPUTE_TRANSITIONS if r.action is DisputeAction.APPEAL]
    assert rows and all("once per dispute" in r.guard.description for r in rows)


def test_no_appeal_after_30_days(market: Market) -> None:
    _, d = _resolved_partially(market)
    market.advance(days=30)
    with pytest.raises(WindowClosed):
        _appeal(market, market.seller, d)


def test_an_appeal_holds_the_money_until_an_agent_answers(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order, d = _resolved_partially(market)
    _appeal(market, market.buyer, d)
    market.advance_to(order.deadlines.delivery_deadline + timedelta(days=1))
    assert market.order(order.id).status is OrderStatus.SHIPPED
    queue = market.tx(lambda uow: disputes.list_appeals(uow, agent, status="open", limit=10))
    assert [a["dispute_id"] for a in queue] == [d]
    market.tx(
        lambda uow: disputes.decide_appeal(
            market.deps,
            uow,
            agent,
            d,
            uphold=True,
            outcome=None,
            amount=None,
            rationale="photos show no damage",
        )
    )
    market.fire_due()
    assert market.order(order.id).status is OrderStatus.COMPLETED
    assert market.tx(lambda uow: disputes.list_appeals(uow, agent, status="open", limit=10)) == []


def test_a_new_outcome_on_appeal_refunds_the_difference(market: Market) -> None:
    agent = market.user(Role.AGENT, "IE")
    order, d = _resolved_partially(market)
    _appeal(market, market.buyer, d)
    with pytest.raises(InvalidTransition):  # money paid back is never taken again
        market.tx(
            lambda uow: disputes.decide_appeal(
                market.deps,
                uow,
                agent,
                d,
                uphold=False,
                outcome="no_refund",
                amount=None,
                rationale="r",
            )
        )
    done = market.tx(
        lambda uow: disputes.decide_appeal(
            market.deps,
            uow,
            agent,
            d,
            uphold=False,
            outcome="full_refund",
            amount=None,
            rationale="the second photo shows the crack",
        )
    ).dispute
    assert (done.outcome, done.refund_amount, done.decided_by) == (
        DisputeOutcome.FULL_REFUND,
        3000,
        DecidedBy.AGENT,
    )
    assert sorted(r.amount for r in market.refunds(order.id)) == [1000, 2000]
    assert market.order(order.id).status is OrderStatus.REFUNDED


def test_only_an_agent_decides_an_appeal(market: Market) -> None:
    _, d = _resolved_partially(market)
    _appeal(market, market.buyer, d)
    with pytest.raises(Forbidden):
        market.tx(
            lambda uow: disputes.decide_appeal(
                market.deps,
                uow,
                market.seller,
                d,
                uphold=True,
                outcome=None,
                amount=None,
                rationale="mine",
            )
        )


def test_the_thread_is_shared_by_the_parties_and_hidden_from_strangers(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.post_message, market.buyer, d.id, "Where is it?")
    act(market, disputes.post_message, market.seller, d.id, "On its way.")
    notes = market.tx(lambda uow: disputes.messages(uow, market.seller, d.id))
    assert [n.body for n in notes] == ["Where is it?", "On its way."]
    stranger = market.user(Role.SELLER, "CN")
    with pytest.raises(NotFound):
        market.tx(lambda uow: disputes.messages(uow, stranger, d.id))


@pytest.mark.parametrize("state", ["negotiating", "escalated"])
def test_the_buyer_may_withdraw_while_negotiating_or_escalated(market: Market, state: str) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "no")
    if state == "escalated":
        act(market, disputes.escalate, market.buyer, d.id)
    done = act(market, disputes.withdraw, market.buyer, d.id).dispute
    assert done.status is DisputeStatus.WITHDRAWN
    assert market.order(order.id).open_dispute_id is None


def test_an_admin_may_decide_like_an_agent(market: Market) -> None:
    admin = market.user(Role.ADMIN, "IE")
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.reject, market.seller, d.id, "no")
    act(market, disputes.escalate, market.buyer, d.id)
    done = act(market, disputes.decide, admin, d.id, "no_refund", None, False, "delivered").dispute
    assert (done.outcome, done.decided_by) == (DisputeOutcome.NO_REFUND, DecidedBy.AGENT)


def test_terms_with_a_return_wait_for_the_goods_and_move_no_money_yet(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order, form(3000, goods_back=True)).dispute
    done = act(market, disputes.accept, market.seller, d.id).dispute
    assert done.status is DisputeStatus.AWAITING_RETURN
    assert done.outcome is None
    assert market.refunds(order.id) == []
    assert market.order(order.id).open_dispute_id == d.id  # the money stays held


def test_a_withdrawn_dispute_may_be_appealed(market: Market) -> None:
    order = shipped_in_window(market)
    d = open_(market, order).dispute
    act(market, disputes.withdraw, market.buyer, d.id)
    _appeal(market, market.seller, d.id)
    assert market.order(order.id).open_dispute_id == d.id


def test_an_appeal_cannot_take_over_the_hold_of_another_open_dispute(market: Market) -> None:
    order = shipped_in_window(market)
    first = open_(market, order).dispute
    act(market, disputes.withdraw, market.buyer, first.id)
    second = open_(market, order).dispute
    with pytest.raises(InvalidTransition):
        _appeal(market, market.seller, first.id)
    assert market.order(order.id).open_dispute_id == second.id


def test_two_agents_deciding_one_appeal_at_once_decide_it_once(market: Market) -> None:
    from together import together

    agents = [market.user(Role.AGENT, "IE") for _ in range(2)]
    order, d = _resolved_partially(market)
    _appeal(market, market.buyer, d)
    results = together(*[
        lambda a=agent, amount=amount: market.tx(lambda uow: disputes.decide_appeal(
            market.deps, uow, a, d, uphold=False, outcome="partial_refund", amount=amount,
            rationale="more damage"))
        for agent, amount in zip(agents, (1500, 2500), strict=True)
    ])  # fmt: skip
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1, results
    assert isinstance(failures[0], InvalidTransition)
    refunded = sum(r.amount for r in market.refunds(order.id))
    assert refunded in (1500, 2500)


def _awaiting_return(market: Market) -> tuple[Order, str]:
    order = shipped_in_window(market)
    d = open_(market, order, form(3000, goods_back=True)).dispute
    act(market, disputes.accept, market.seller, d.id)
    return order, d.id


def _ship_back(market: Market, d: str) -> None:
    act(market, disputes.ship_return, market.buyer, d, "UPS", "RET-1")


def _scan_return_delivered(market: Market, days_ago: float = 0) -> None:
    from refundkit.service.records import TrackingScan
    from refundkit.service.tracking import ingest_scans

    at = market.now - timedelta(days=days_ago)
    scan = TrackingScan("UPS", "RET-1", "delivered", "CN", "Shenzhen", None, at, None,
                        market.now)  # fmt: skip
    market.tx(lambda uow: ingest_scans(market.deps, uow, market.platform, [scan]))


def test_a_return_never_sent_within_10_days_closes_with_no_refund(market: Market) -> None:
    order, d = _awaiting_return(market)
    market.advance(days=9, hours=23)
    assert act(market, disputes.get_dispute, market.buyer, d).dispute.status is (
        DisputeStatus.AWAITING_RETURN
    )
    market.advance(hours=1)
    closed = act(market, disputes.get_dispute, market.buyer, d).dispute
    assert (closed.status, closed.outcome, closed.decided_by) == (
        DisputeStatus.CLOSED,
        DisputeOutcome.NO_REFUND,
        DecidedBy.POLICY,
    )
    assert market.refunds(order.id) == []
    market.advance_to(order.deadlines.delivery_deadline)
    assert market.order(order.id).status is OrderStatus.COMPLETED


def test_goods_returned_as_sent_are_refunded_as_agreed(market: Market) -> None:
    order, d = _awaiting_return(market)
    _ship_back(market, d)
    done = act(market, disputes.confirm_return, market.seller, d, "as_sent").dispute
    assert (done.status, done.outcome, done.decided_by) == (
        DisputeStatus.RESOLVED,
        DisputeOutcome.FULL_REFUND,
        DecidedBy.SELLER,
    )
    assert [r.amount for r in market.refunds(order.id)] == [3000]


def test_goods_returned_not_as_sent_go_to_an_agent(market: Market) -> None:
    _, d = _awaiting_return(market)
    _ship_back(market, d)
    done = act(market, disputes.confirm_return, market.seller, d, "not_as_sent").dispute
    assert done.status is DisputeStatus.ESCALATED
    assert done.agent_due_by is not None


def test_seller_silence_15_days_after_the_returns_delivery_refunds(market: Market) -> None:
    order, d = _awaiting_return(market)
    _ship_back(market, d)
    market.advance(days=20)  # in transit: no delivery scan yet, no countdown
    assert market.refunds(order.id) == []
    _scan_return_delivered(market)
    after = act(market, disputes.get_dispute, market.seller, d).dispute
    assert after.return_confirm_by == market.now + timedelta(days=15)
    market.advance(days=14, hours=23)
    assert market.refunds(order.id) == []
    market.advance(hours=1)
    done = act(market, disputes.get_dispute, market.buyer, d).dispute
    assert (done.status, done.decided_by) == (DisputeStatus.RESOLVED, DecidedBy.POLICY)
    assert [r.amount for r in market.refunds(order.id)] == [3000]


def test_a_return_scan_dated_before_the_return_shipped_starts_nothing(market: Market) -> None:
    """Issue 20, item 1, the buyer's side: an old delivered scan under the return's number must
    not start the seller's 15 days (and refund by silence) before the goods can arrive."""
    order, d = _awaiting_return(market)
    market.advance(days=1)
    _ship_back(market, d)
    _scan_return_delivered(market, days_ago=2)
    after = act(market, disputes.get_dispute, market.seller, d).dispute
    assert (after.status, after.return_delivered_at, after.return_confirm_by) == (
        DisputeStatus.RETURN_IN_TRANSIT,
        None,
        None,
    )
    market.advance(days=16)
    assert market.refunds(order.id) == []
    assert "return.delivery_scan_ignored" in [e.type for e in market.events(order.id)]


def test_a_return_shipped_after_10_days_is_refused(market: Market) -> None:
    _, d = _awaiting_return(market)
    market.rt.sandbox_clock.set(market.now + timedelta(days=10))  # type: ignore[union-attr]
    with pytest.raises(WindowClosed):
        _ship_back(market, d)


def _offered(market: Market, order: Order) -> bool:
    """What the buyer's order page reads to show the dispute form."""
    from refundkit.service import orders

    found = market.tx(lambda uow: orders.get_order(market.deps, uow, market.buyer, order.id))
    return any(str(a.action) == "open_dispute" for a in found.next_actions)


def _opens(market: Market, order: Order) -> str | None:
    """The API's answer: the new dispute's id, or None when it refuses."""
    try:
        return open_(market, order).dispute.id
    except InvalidTransition:
        return None


def test_the_page_offers_another_dispute_exactly_when_the_api_takes_one(market: Market) -> None:
    """One dispute per order, another only after withdrawals, at most
    ``disputes.max_disputes_per_order`` (2): the order's row ``open_dispute`` holds it all,
    so the buyer's page and the API agree at every step."""
    settled = shipped_in_window(market)
    first = open_(market, settled, form(1000)).dispute.id  # resolved, the order goes on
    act(market, disputes.accept, market.seller, first)
    assert (_offered(market, settled), _opens(market, settled)) == (False, None)

    withdrawn = market.shipped()
    market.advance(days=5)
    for expected in (True, True, False):  # two disputes, each withdrawn, then no third
        assert _offered(market, withdrawn) is expected
        opened = _opens(market, withdrawn)
        assert (opened is not None) is expected
        if opened is not None:
            act(market, disputes.withdraw, market.buyer, opened)
