"""Standing in the pure domain (issue 19): the policy's tables refuse what makes no sense,
an order is one defect at most, thresholds compare exactly, a cleared signal counts only
what follows, and a used return's deduction cap rounds in the buyer's favour."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from refundkit.adapters.policy_files import default_policy_text, load_policy_text
from refundkit.domain.errors import PolicyError
from refundkit.domain.standing.buyer import BuyerFacts, deduction_cap, read_buyer
from refundkit.domain.standing.policy import BuyerSignal, BuyerStanding, Defect, SellerStanding
from refundkit.domain.standing.seller import (
    ChargebackFact,
    DisputeFact,
    dispute_defect,
    find_defects,
    read_standing,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC)
POLICY = load_policy_text(default_policy_text())
SELLERS, BUYERS = POLICY.seller_standing, POLICY.buyer_signals


def _changed(old: str, new: str) -> str:
    text = default_policy_text()
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("restricted_from_basis_points = 200", "restricted_from_basis_points = 50",
         "seller_standing.restricted_from_basis_points"),
        ('defects = ["dispute_lost",', 'defects = ["late",', "seller_standing.defects"),
        ("extra_escrow_hold_days = 7", "extra_escrow_hold_days = -1",
         "seller_standing.at_risk.extra_escrow_hold_days"),
        ("agent_review_from_signals = 3", "agent_review_from_signals = 1",
         "buyer_signals.no_fast_refund_from_signals"),
        ("used_return_max_deduction_basis_points = 5000",
         "used_return_max_deduction_basis_points = 10001",
         "buyer_signals.used_return_max_deduction_basis_points"),
        ("window_days = 60", "window_days = 0", "seller_standing.window_days"),
        ("fast_refund_from_balance = true", 'fast_refund_from_balance = "yes"',
         "seller_standing.restricted.fast_refund_from_balance"),
        ("fast_refund_from_balance = false", "fast_refund_from_balance = 0",
         "seller_standing.at_risk.fast_refund_from_balance"),
    ],
)  # fmt: skip
def test_the_standing_tables_refuse_what_makes_no_sense(old: str, new: str, key: str) -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy_text(_changed(old, new))
    assert refused.value.key == key


def test_a_missing_consequence_key_is_refused_by_its_dotted_name() -> None:
    text = re.sub(r"^approve_returns_at_once = false\n", "", default_policy_text(), count=1,
                  flags=re.M)  # fmt: skip
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text)
    assert refused.value.key == "seller_standing.at_risk.approve_returns_at_once"


def test_fast_refund_from_balance_is_off_at_risk_and_on_when_restricted_by_default() -> None:
    policy = load_policy_text(default_policy_text()).seller_standing
    assert policy.at_risk.fast_refund_from_balance is False
    assert policy.restricted.fast_refund_from_balance is True
    text = re.sub(r"^fast_refund_from_balance = true\n", "", default_policy_text(), count=1,
                  flags=re.M)  # fmt: skip
    with pytest.raises(PolicyError) as refused:
        load_policy_text(text)
    assert refused.value.key == "seller_standing.restricted.fast_refund_from_balance"


def _dispute(order: str, outcome: str | None, by: str | None, rule: str | None = None,
             at: datetime = T0, dispute: str = "dp") -> DisputeFact:  # fmt: skip
    return DisputeFact(order, f"{dispute}_{order}", outcome, by, rule, at)


@pytest.mark.parametrize(
    ("outcome", "by", "rule", "defect"),
    [
        ("full_refund", "agent", None, Defect.DISPUTE_LOST),
        ("partial_refund", "agent", None, Defect.DISPUTE_LOST),
        ("no_refund", "agent", None, None),
        ("full_refund", "seller", None, None),
        ("full_refund", "buyer", None, None),
        ("full_refund", "policy", "disputes.seller_answer_days", Defect.CLOSED_WITHOUT_SELLER),
        ("full_refund", "policy", "disputes.return_confirm_within_days",
         Defect.CLOSED_WITHOUT_SELLER),
        ("full_refund", "policy", "tracking.resolve_not_received_at_once: shared_tracking",
         Defect.DISPUTE_LOST),
        ("full_refund", "policy", "seller_standing.restricted: approve_returns_at_once", None),
        (None, None, None, None),
    ],
)  # fmt: skip
def test_what_a_disputes_end_says_of_its_seller(
    outcome: str | None, by: str | None, rule: str | None, defect: Defect | None
) -> None:
    assert dispute_defect(_dispute("o1", outcome, by, rule)) is defect


def test_an_order_is_one_defect_at_most_named_by_the_earliest() -> None:
    lost = _dispute("o1", "full_refund", "agent", at=T0 + timedelta(days=2))
    silent = _dispute("o1", "full_refund", "policy", "disputes.seller_answer_days", at=T0,
                      dispute="dp2")  # fmt: skip
    charged = ChargebackFact("o1", "cb1", "lost", T0 + timedelta(days=1))
    found = find_defects(SELLERS, [lost, silent], [charged], frozenset())
    assert [(d.order_id, d.kind, d.source_id) for d in found] == [
        ("o1", Defect.CLOSED_WITHOUT_SELLER, "dp2_o1")]  # fmt: skip


def test_a_chargeback_the_seller_won_is_no_defect_and_the_policy_chooses_the_kinds() -> None:
    won, lost = ChargebackFact("o1", "cb1", "won", T0), ChargebackFact("o2", "cb2", "lost", T0)
    assert [d.order_id for d in find_defects(SELLERS, [], [won, lost], frozenset())] == ["o2"]
    only_disputes = load_policy_text(_changed(
        'defects = ["dispute_lost", "chargeback", "closed_without_seller"]',
        'defects = ["dispute_lost"]')).seller_standing  # fmt: skip
    assert find_defects(only_disputes, [], [lost], frozenset()) == ()


def test_thresholds_compare_exactly_and_an_excluded_defect_stops_counting() -> None:
    one = find_defects(SELLERS, [_dispute("o1", "full_refund", "agent")], [], frozenset())
    assert read_standing(SELLERS, 50, one).standing is SellerStanding.RESTRICTED  # 200 bp
    assert read_standing(SELLERS, 51, one).standing is SellerStanding.AT_RISK  # 196 bp
    assert read_standing(SELLERS, 100, one).standing is SellerStanding.AT_RISK  # 100 bp
    assert read_standing(SELLERS, 101, one).standing is SellerStanding.GOOD
    below = read_standing(SELLERS, 4, one)
    assert (below.standing, below.below_minimum, below.rate_basis_points) == (
        SellerStanding.GOOD, True, 2500)  # fmt: skip
    excluded = find_defects(SELLERS, [_dispute("o1", "full_refund", "agent")], [],
                            frozenset({"o1"}))  # fmt: skip
    reading = read_standing(SELLERS, 5, excluded)
    assert (reading.standing, reading.counted, excluded[0].excluded) == (
        SellerStanding.GOOD, 0, True)  # fmt: skip
    assert read_standing(SELLERS, 5, one).consequences.approve_returns_at_once is True


def _facts(orders: int, claims: int, after_delivery: int = 0) -> BuyerFacts:
    day = [T0 + timedelta(days=i) for i in range(max(orders, claims, after_delivery))]
    return BuyerFacts(tuple(day[:orders]), tuple(day[:claims]), tuple(day[:after_delivery]),
                      (), ())  # fmt: skip


def test_each_signal_raised_counts_one_and_a_clearance_counts_only_what_follows() -> None:
    reading = read_buyer(BUYERS, _facts(5, 3, 2), {})
    raised = {s.signal for s in reading.signals if s.raised}
    assert raised == {BuyerSignal.CLAIM_RATE, BuyerSignal.NOT_RECEIVED_AFTER_DELIVERY}
    assert (reading.standing, reading.fast_refund_allowed) == (BuyerStanding.NO_FAST_REFUND,
                                                               False)  # fmt: skip
    assert reading.rule == "buyer_signals.no_fast_refund_from_signals"
    # 2 claims of 4 orders is 50 %, but under 5 orders the rate is no signal; 2 of 5 is 40 %.
    assert read_buyer(BUYERS, _facts(4, 2), {}).standing is BuyerStanding.GOOD
    assert read_buyer(BUYERS, _facts(5, 2), {}).standing is BuyerStanding.GOOD
    cleared = read_buyer(BUYERS, _facts(5, 3, 2),
                         {BuyerSignal.CLAIM_RATE: T0 + timedelta(days=1)})  # fmt: skip
    claim = next(s for s in cleared.signals if s.signal is BuyerSignal.CLAIM_RATE)
    assert (claim.count, claim.raised, cleared.standing) == (1, False, BuyerStanding.WARNED)


def test_the_deduction_cap_rounds_down_to_the_minor_unit() -> None:
    assert deduction_cap(BUYERS, 1749) == 874  # 874.5: the half cent stays the buyer's
    assert deduction_cap(BUYERS, 1750) == 875
    assert deduction_cap(BUYERS, 1) == 0
