"""A command's route reads nothing of its own (issue 13): from the route to the SQL, the order
and the dispute are read by the use case, under lock, and the amount sent as text is parsed
there in the order's currency. Every SQL statement of the request is recorded; a marker is
put in the record where the route calls the use case; before it, no statement touches the
``orders`` or ``disputes`` tables, after it the use case reads them (so the check is not
empty), and the answer renders without reading the order again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from api_client import Api, api_fixture  # noqa: F401
from web_client import csrf, signed_in

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.service import chargebacks, disputes, refunds

MARK = "-- use case called"
_TOUCHES = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+\"?(orders|disputes)\b", re.IGNORECASE)
_READS_ORDER = re.compile(r"\bFROM\s+\"?orders\b", re.IGNORECASE)
_LOCK_ONLY = re.compile(r"\s*SELECT orders\.id\s+FROM orders\s+WHERE[^()]*FOR UPDATE", re.I)
_STANDING_WINDOW = re.compile(r"orders\.(buyer|seller)_id = \S+ AND orders\.paid_at >=")


@contextmanager
def recorded(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, module: Any, name: str
             ) -> Iterator[list[str]]:  # fmt: skip
    seen: list[str] = []
    use_case: Callable[..., Any] = getattr(module, name)

    def marked(*args: Any, **kwargs: Any) -> Any:
        seen.append(MARK)
        return use_case(*args, **kwargs)

    def count(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    monkeypatch.setattr(module, name, marked)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def assert_only_the_use_case_reads(seen: list[str]) -> None:
    assert seen.count(MARK) == 1, "the route must call its use case once"
    at = seen.index(MARK)
    before = [s for s in seen[:at] if _TOUCHES.search(s)]
    # A row lock taken by a statement of its own (the order's id only) is not a read (the
    # order's own locking read is: on PostgreSQL it locks and reads in one statement).
    # The standing of the parties (issue 19) counts their orders in a window: a read of
    # people's history, not of this order.
    orders_read = [s for s in seen[at + 1 :]
                   if _READS_ORDER.search(s) and not _LOCK_ONLY.match(s)
                   and not _STANDING_WINDOW.search(s)]  # fmt: skip
    print(f"\n{len(seen) - 1} statements; before the use case {len(before)} on orders or "
          f"disputes; after it {len(orders_read)} order reads")  # fmt: skip
    assert before == [], f"the route read before its use case: {before}"
    # One read of the order, by the use case under its lock; rendering reads it no more.
    assert len(orders_read) == 1, orders_read


class Case:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.buyer, self.seller = api.user("buyer"), api.user("seller", "CN")
        self.agent = api.user("agent", "IE")
        order = api.create_order(self.buyer, self.seller)
        api.pay(order["id"])
        api.ship(order["id"], self.seller)
        self.order_id = order["id"]
        api.post("/v1/sandbox/clock/advance", {"days": 5})

    def open(self) -> str:
        body = {"reason": "not_received", "item_received": False, "requested_refund": "30.00",
                "description": "Never arrived."}  # fmt: skip
        answer = self.api.post(f"/v1/orders/{self.order_id}/disputes", body,
                               key=self.buyer["api_key"])  # fmt: skip
        assert answer.status_code == 201, answer.text
        found: str = answer.json()["id"]
        return found


@pytest.fixture
def case(api: Api) -> Case:
    return Case(api)


def test_opening_a_dispute_reads_the_order_only_in_the_use_case(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    with recorded(case.api.rt.engine, monkeypatch, disputes, "open_dispute") as seen:
        case.open()
    assert_only_the_use_case_reads(seen)


def test_an_offer_reads_the_dispute_and_order_only_in_the_use_case(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = case.open()
    assert case.api.post(f"/v1/disputes/{d}/reject", {"reason": "delivered"},
                         key=case.seller["api_key"]).status_code == 200  # fmt: skip
    with recorded(case.api.rt.engine, monkeypatch, disputes, "offer") as seen:
        answer = case.api.post(f"/v1/disputes/{d}/offers",
                               {"refund_amount": "20.00", "note": "halfway"},
                               key=case.buyer["api_key"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["offers"][-1]["refund_amount"] == "20.00"
    assert_only_the_use_case_reads(seen)


def test_a_decision_with_an_amount_reads_only_in_the_use_case(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = case.open()
    case.api.post(f"/v1/disputes/{d}/reject", {"reason": "delivered"},
                  key=case.seller["api_key"])  # fmt: skip
    assert case.api.post(f"/v1/disputes/{d}/escalate", {},
                         key=case.seller["api_key"]).status_code == 200  # fmt: skip
    with recorded(case.api.rt.engine, monkeypatch, disputes, "decide") as seen:
        answer = case.api.post(f"/v1/disputes/{d}/decision",
                               {"outcome": "partial_refund", "refund_amount": "12.00",
                                "rationale": "tracking unclear"},
                               key=case.agent["api_key"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["refund_amount"] == "12.00"
    assert_only_the_use_case_reads(seen)


def test_a_platform_refund_reads_the_order_only_in_the_use_case(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    with recorded(case.api.rt.engine, monkeypatch, refunds, "refund_order") as seen:
        answer = case.api.post(
            f"/v1/orders/{case.order_id}/refunds",
            {"amount": "5.00", "reason": "goodwill"},
            idem="route-reads-1",
        )
    assert answer.status_code == 201, answer.text
    assert_only_the_use_case_reads(seen)


def test_a_sandbox_chargeback_with_an_amount_reads_the_order_only_in_the_use_case(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The amount is parsed in the order's currency by ``sandbox_open``, after it has read
    the order under lock; the route hands it the text, with no parser and no read."""
    with recorded(case.api.rt.engine, monkeypatch, chargebacks, "sandbox_open") as seen:
        answer = case.api.post(f"/v1/sandbox/orders/{case.order_id}/chargeback",
                               {"amount": "12.50", "reason": "fraudulent"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["amount"] == "12.50"
    assert_only_the_use_case_reads(seen)


def test_an_offer_from_the_dispute_page_reads_only_in_the_use_case(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 3000, False, "Nothing came.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute.id  # fmt: skip
    client = signed_in(market, market.seller)
    token = csrf(client.get(f"/disputes/{d}").text)
    with recorded(market.rt.engine, monkeypatch, disputes, "offer") as seen:
        answer = client.post(f"/disputes/{d}/actions/offer", follow_redirects=False, data={
            "csrf_token": token, "refund_amount": "12.50", "note": "half"})  # fmt: skip
    assert answer.status_code in (302, 303), answer.text
    assert_only_the_use_case_reads(seen)
    [made] = market.tx(lambda uow: uow.disputes.get(d)).offers  # type: ignore[union-attr]
    assert made.refund_amount == 1250
