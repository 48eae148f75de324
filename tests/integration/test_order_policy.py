"""DESIGN §5: an order keeps the policy it was placed under. Orders are placed under one
policy, the service restarts with another (every number changed), and the use cases that
take a policy are walked on those orders: each must read the order's pinned version, and
none may read the active policy for an existing order."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from market import Market, evidence_file
from refundkit.adapters.policy_files import default_policy_text
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DisputeStatus
from refundkit.domain.policy import Policy
from refundkit.domain.roles import Role
from refundkit.entrypoints.bootstrap import Runtime, build
from refundkit.service import disputes, orders
from refundkit.service.policy_book import PolicyBook

CHANGED = {
    "seller_answer_days = 5": "seller_answer_days = 2",
    "evidence_answer_days = 3": "evidence_answer_days = 9",
    "appeal_days = 30": "appeal_days = 2",
    "max_evidence_files = 20": "max_evidence_files = 1",
    "return_confirm_within_days = 15": "return_confirm_within_days = 4",
    "return_ship_within_days = 10": "return_ship_within_days = 3",
    "agent_sla_business_days = 2": "agent_sla_business_days = 7",
}
ALLOWED_ACTIVE_READERS = {
    ("refundkit.service.orders", "create_order"),  # a new order is placed under it
    ("refundkit.service.rate_limits", "_limit"),  # per account, not per order
    ("refundkit.service.files", "upload"),  # the upload quota, per user
    # Standing judges people over a window, not one order (docs/decisions.md, issue 19);
    # what it did to an order or dispute is fixed on it when it began.
    ("refundkit.service.standing", "_seller_reading"),
    ("refundkit.service.standing", "_buyer_reading"),
    ("refundkit.service.standing", "readings"),  # both of the above in one statement
    ("refundkit.service.standing", "seller_view"),
    ("refundkit.service.standing", "buyer_view"),
}


class WatchedPolicies:
    """The policy book, recording who reads the active policy."""

    def __init__(self, book: PolicyBook) -> None:
        self._book = book
        self.readers: list[tuple[str, str]] = []

    @property
    def active(self) -> Policy:
        reader = _caller()
        if reader is not None:
            self.readers.append(reader)
        return self._book.active

    def __getattr__(self, name: str) -> Any:
        return getattr(self._book, name)


def _caller() -> tuple[str, str] | None:
    """The first refundkit frame outside the policy plumbing (``Deps.context`` reads it for
    its callers); None when a test itself reads it."""
    for frame in inspect.stack()[2:]:
        module = frame.frame.f_globals.get("__name__", "")
        if module.startswith("refundkit.") and module != "refundkit.service.deps":
            return module, frame.function
    return None


Later = Callable[[], tuple[Market, WatchedPolicies]]


@pytest.fixture
def later(market: Market, database_url: str, tmp_path: Path) -> Iterator[Later]:
    """Restarts the service under a new policy (every number changed), once the test has
    placed its orders: the same people and database, and a watcher of active-policy reads."""
    text = default_policy_text()
    version = market.deps.policies.active.version
    for old, new in {f'version = "{version}"': 'version = "walk-2"', **CHANGED}.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "policy.toml"
    path.write_text(text)
    started: list[Runtime] = []

    def restart() -> tuple[Market, WatchedPolicies]:
        runtime = build(url=database_url, sandbox=True, migrate=False, policy_path=path)
        started.append(runtime)
        watched = WatchedPolicies(runtime.deps.policies)
        runtime.deps.policies = watched  # type: ignore[assignment]
        return market.on(runtime), watched

    yield restart
    for runtime in started:
        runtime.close()


def _days(later: datetime | None, earlier: datetime) -> float:
    assert later is not None
    return (later - earlier) / timedelta(days=1)


def test_every_use_case_on_an_existing_order_reads_the_orders_own_policy(
    market: Market, later: Later
) -> None:
    agent = market.user(Role.AGENT, "IE")
    goods_back = market.shipped()
    argued = market.shipped()
    market, watched = later()
    assert market.deps.policies.active.version == "walk-2"
    market.advance(days=5)

    # Opening, with two evidence files (the new policy allows one): the order's policy.
    files = [evidence_file(market, market.buyer) for _ in range(2)]
    form = DisputeForm("damaged", None, True, 1000, True, "Broken.")
    opened = market.tx(lambda uow: disputes.open_dispute(
        market.deps, uow, market.buyer, goods_back.id, form, files)).dispute  # fmt: skip
    assert _days(opened.respond_by, market.now) == 5
    more = [evidence_file(market, market.seller)]
    market.tx(lambda uow: disputes.add_evidence(market.deps, uow, market.seller, opened.id, more,
                                                "label"))  # fmt: skip
    market.tx(lambda uow: disputes.post_message(market.deps, uow, market.seller, opened.id, "ok"))

    # The return: agreed, shipped, delivered (the carrier's scan), confirmed.
    d = market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, opened.id)).dispute
    assert d.status is DisputeStatus.AWAITING_RETURN
    assert _days(d.return_ship_by, market.now) == 10
    market.tx(lambda uow: disputes.ship_return(market.deps, uow, market.buyer, d.id, "DHL", "RT1"))
    market.advance(days=1)
    at = market.now
    market.tx(lambda uow: disputes.return_delivered(market.deps, uow, "DHL", "RT1", at))
    d = market.tx(lambda uow: disputes.get_dispute(market.deps, uow, market.buyer, d.id)).dispute
    assert _days(d.return_confirm_by, at) == 15
    d = market.tx(lambda uow: disputes.confirm_return(market.deps, uow, market.seller, d.id,
                                                      "as_sent")).dispute  # fmt: skip
    assert d.status is DisputeStatus.RESOLVED and _days(d.appeal_until, market.now) == 30
    appeal_files = [evidence_file(market, market.buyer) for _ in range(2)]
    market.tx(lambda uow: disputes.appeal(market.deps, uow, market.buyer, d.id, "not all back",
                                          appeal_files))  # fmt: skip

    # Arguing, then an agent: the agent's deadline and the evidence request's.
    f2 = DisputeForm("not_received", None, False, 500, False, "Nothing came.")
    other = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer,
                                                        argued.id, f2, [])).dispute  # fmt: skip
    market.tx(lambda uow: disputes.reject(market.deps, uow, market.seller, other.id, "sent it"))
    market.tx(lambda uow: disputes.escalate(market.deps, uow, market.buyer, other.id))
    found = market.tx(lambda uow: disputes.request_evidence(
        market.deps, uow, agent, other.id, "seller", "proof of posting"))  # fmt: skip
    [request] = market.tx(lambda uow: uow.disputes.evidence_requests(other.id))
    assert _days(request["due_by"], market.now) == 3
    assert _days(found.dispute.agent_due_by, market.now) < 6  # 2 business days, not 7
    market.tx(lambda uow: orders.get_order(market.deps, uow, market.buyer, argued.id))
    market.advance(days=40)  # every timer of both orders fires under their own policy

    stray = [reader for reader in watched.readers if reader not in ALLOWED_ACTIVE_READERS]
    assert stray == [], f"the active policy was read for an existing order by {stray}"
