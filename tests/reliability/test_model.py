"""The model-based test (issue 8): random buyers, sellers, an agent and the platform act on
random orders and disputes over HTTP, allowed or not, while the sandbox clock jumps; after
every step the API must agree with a simple model of DESIGN §2-4 (order_model.py), and:
every journal entry balances, no escrow is negative and no order is refunded past what was
captured (the ledger proof), each dispute has at most one outcome, every due timer fired
exactly once, and a refused action changed nothing at all.

The seed is printed; ``REFUNDKIT_MODEL_SEED=N`` replays it. ``REFUNDKIT_LONG_TESTS=1`` runs
the long variant."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from api_client import Api
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from order_model import OPEN_DISPUTE, TOTAL, MDispute, Model, MOrder

from books import START, assert_ledger_invariants
from long_runs import record, size
from refundkit.adapters.db import tables as t
from refundkit.entrypoints.bootstrap import build

PEOPLE = 2  # buyers and sellers each
REFUSALS = (403, 404, 409, 422)
JUMPS = [timedelta(hours=1), timedelta(hours=25), timedelta(days=3), timedelta(days=6),
         timedelta(days=16), timedelta(days=31)]  # fmt: skip
AMOUNTS = [0, 1000, 3000, 3100]  # cents: nothing, a third, all, more than was paid
ONCE_PER_SUBJECT = ("order.expired", "order.cancelled", "order.completed", "dispute.resolved",
                    "order.refunded")  # fmt: skip


def cents(text: str | None) -> int | None:
    return None if text is None else int(Decimal(text) * 100)


def money(amount: int) -> str:
    return f"{Decimal(amount) / 100:.2f}"


def when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class Tally:
    steps = 0
    refused = 0
    examples = 0


def machine_for(fresh_database: Callable[[], str]) -> type[RuleBasedStateMachine]:
    class Marketplace(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            Tally.examples += 1
            self.rt = build(url=fresh_database(), sandbox=True, migrate=False, sandbox_start=START)
            self.api = Api(self.rt)
            self.api.client.__enter__()
            self.buyers = [self.api.user("buyer") for _ in range(PEOPLE)]
            self.sellers = [self.api.user("seller", "CN") for _ in range(PEOPLE)]
            self.agent = self.api.user("agent", "IE")
            self.model = Model(START)
            self.advanced_to, self.timers_then = START, 0
            """The last clock move, and the last timer id at that moment: every timer due by
            then and already scheduled then must have fired. (A timer an action schedules
            at a moment already past, such as a refund of a settled payment, is the
            worker's to fire; no worker runs here, so it waits for the next clock move.)"""

        def teardown(self) -> None:
            self.api.client.__exit__(None, None, None)
            self.rt.close()

        # --- doing and checking --------------------------------------------------------

        def _send(self, key: str, path: str, body: Any, allowed: bool,
                  refused_as: tuple[int, ...] = REFUSALS) -> httpx.Response:  # fmt: skip
            """POST; an allowed action must succeed, a refused one must change nothing."""
            Tally.steps += 1
            before = None if allowed else self.api.snapshot()
            answer = self.api.post(path, body, key=key, idem=f"k-{uuid.uuid4().hex}")
            if allowed:
                assert answer.status_code in (200, 201), (path, body, answer.text)
            else:
                Tally.refused += 1
                assert answer.status_code in refused_as, (path, body, answer.text)
                assert answer.json()["code"], answer.text
                assert self.api.snapshot() == before, f"refused {path} changed something"
            return answer

        def _order(self, data: st.DataObject) -> MOrder:
            ids = sorted(self.model.orders)
            return self.model.orders[data.draw(st.sampled_from(ids), label="order")]

        def _dispute(self, data: st.DataObject) -> MDispute:
            ids = sorted(self.model.disputes)
            return self.model.disputes[data.draw(st.sampled_from(ids), label="dispute")]

        def _stranger_key(self, o: MOrder, data: st.DataObject) -> str:
            who = data.draw(st.sampled_from(["buyer", "seller"]), label="stranger")
            people = self.buyers if who == "buyer" else self.sellers
            return people[1 - (o.buyer if who == "buyer" else o.seller)]["api_key"]

        # --- orders ----------------------------------------------------------------------

        @rule(buyer=st.integers(0, PEOPLE - 1), seller=st.integers(0, PEOPLE - 1))
        def place(self, buyer: int, seller: int) -> None:
            body = self.api.order_body(self.buyers[buyer], self.sellers[seller])
            made = self._send(self.api.platform_key, "/v1/orders", body, True).json()
            self.model.orders[made["id"]] = MOrder(made["id"], buyer, seller, self.model.now)

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data())
        def pay(self, data: st.DataObject) -> None:
            o = self._order(data)
            ok = o.status == "awaiting_payment"
            got = self._send(self.api.platform_key, f"/v1/orders/{o.id}/pay", {}, ok)
            if ok:
                o.status, o.paid, o.paid_at = "paid", TOTAL, self.model.now
                o.ship_by = when(got.json()["deadlines"]["ship_by"])
                assert o.ship_by is not None and o.ship_by >= o.paid_at + timedelta(days=7)

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), who=st.sampled_from(["seller", "buyer", "stranger"]))
        def ship(self, data: st.DataObject, who: str) -> None:
            o = self._order(data)
            key = self._key(o, who, data)
            ok = who == "seller" and o.status in ("paid", "cancel_requested")
            tracking = {"carrier": "DHL", "tracking_number": f"T-{o.id}"}
            self._send(key, f"/v1/orders/{o.id}/ship", tracking, ok, self._refusals(who))
            if ok:
                o.status, o.shipped_at = "shipped", self.model.now

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), who=st.sampled_from(["buyer", "seller", "stranger"]))
        def cancel(self, data: st.DataObject, who: str) -> None:
            o = self._order(data)
            ok = who == "buyer" and o.status in ("awaiting_payment", "paid")
            self._send(self._key(o, who, data), f"/v1/orders/{o.id}/cancel", {"reason": "no"}, ok,
                       self._refusals(who))  # fmt: skip
            if not ok:
                return
            if o.status == "awaiting_payment":
                o.status = "cancelled"
            elif o.free_cancel_until is not None and self.model.now < o.free_cancel_until:
                self.model.cancel_with_refund(o)
            else:
                o.status, o.cancel_requested_at = "cancel_requested", self.model.now

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), approve=st.booleans())
        def answer_cancellation(self, data: st.DataObject, approve: bool) -> None:
            o = self._order(data)
            ok = o.status == "cancel_requested"
            action = "approve" if approve else "reject"
            key = self.sellers[o.seller]["api_key"]
            self._send(key, f"/v1/orders/{o.id}/cancellation/{action}", {}, ok)
            if ok and approve:
                self.model.cancel_with_refund(o)
            elif ok:
                o.status = "paid"

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), who=st.sampled_from(["buyer", "seller", "stranger"]))
        def confirm_receipt(self, data: st.DataObject, who: str) -> None:
            o = self._order(data)
            ok = who == "buyer" and o.status == "shipped"
            self._send(self._key(o, who, data), f"/v1/orders/{o.id}/confirm-receipt", {}, ok,
                       self._refusals(who))  # fmt: skip
            if ok:
                o.status, o.confirmed_at = "delivered", self.model.now

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), amount=st.sampled_from(AMOUNTS[1:]))
        def platform_refund(self, data: st.DataObject, amount: int) -> None:
            o = self._order(data)
            ok = (o.status in ("paid", "shipped", "delivered", "completed", "cancelled",
                               "refunded")
                  and o.dispute is None and 0 < amount <= o.refundable)  # fmt: skip
            body = {"amount": money(amount), "reason": "goodwill"}
            self._send(self.api.platform_key, f"/v1/orders/{o.id}/refunds", body, ok)
            if ok:
                self.model.refund(o, amount)
                if o.refundable == 0:
                    o.status = "refunded"

        # --- disputes --------------------------------------------------------------------

        @precondition(lambda self: self.model.orders)
        @rule(data=st.data(), amount=st.sampled_from(AMOUNTS), stranger=st.booleans())
        def open_dispute(self, data: st.DataObject, amount: int, stranger: bool) -> None:
            o = self._order(data)
            ok = not stranger and self.model.may_open(o, amount)
            key = self._stranger_key(o, data) if stranger else self.buyers[o.buyer]["api_key"]
            body = {"reason": "not_received", "item_received": False,
                    "requested_refund": money(amount), "description": "Never came."}  # fmt: skip
            got = self._send(key, f"/v1/orders/{o.id}/disputes", body, ok,
                             (404,) if stranger else (409, 422))  # fmt: skip
            if ok:
                d = MDispute(got.json()["id"], o.id, "awaiting_seller", amount, self.model.now)
                self.model.disputes[d.id] = d
                o.dispute = d.id
                o.disputes.append(d.id)

        @precondition(lambda self: self.model.disputes)
        @rule(data=st.data(), action=st.sampled_from(["accept", "reject", "offer", "escalate"]),
              amount=st.sampled_from(AMOUNTS))  # fmt: skip
        def seller_acts(self, data: st.DataObject, action: str, amount: int) -> None:
            d = self._dispute(data)
            o = self.model.orders[d.order_id]
            self._party_acts(d, o, "seller", self.sellers[o.seller]["api_key"], action, amount)

        @precondition(lambda self: self.model.disputes)
        @rule(data=st.data(), action=st.sampled_from(["accept", "offer", "escalate", "withdraw"]),
              amount=st.sampled_from(AMOUNTS))  # fmt: skip
        def buyer_acts(self, data: st.DataObject, action: str, amount: int) -> None:
            d = self._dispute(data)
            o = self.model.orders[d.order_id]
            self._party_acts(d, o, "buyer", self.buyers[o.buyer]["api_key"], action, amount)

        def _party_acts(self, d: MDispute, o: MOrder, role: str, key: str, action: str,
                        amount: int) -> None:  # fmt: skip
            path = f"/v1/disputes/{d.id}/{'offers' if action == 'offer' else action}"
            body: dict[str, Any] = {}
            seller_first = d.status == "awaiting_seller" and role == "seller"
            if action == "accept":
                mine = d.offer is not None and d.offer[0] != role and d.status == "negotiating"
                ok = seller_first or mine
            elif action == "reject":
                ok, body = seller_first, {"reason": "it was sent"}
            elif action == "offer":
                ok = (seller_first or d.status == "negotiating") and amount <= o.refundable
                body = {"refund_amount": money(amount)}
            elif action == "escalate":
                ok = d.status == "negotiating"
            else:
                ok = d.status in OPEN_DISPUTE
            self._send(key, path, body, ok)
            if not ok:
                return
            if action == "accept":
                self.model.settle(d, d.requested if d.offer is None else d.offer[1])
            elif action == "reject":
                d.status = "negotiating"
            elif action == "offer":
                d.status, d.offer = "negotiating", (role, amount)
            elif action == "escalate":
                d.status, d.offer = "escalated", None
            else:
                self.model.withdraw(d)

        @precondition(lambda self: self.model.disputes)
        @rule(data=st.data(), outcome=st.sampled_from(["full_refund", "partial_refund",
                                                       "no_refund"]))  # fmt: skip
        def agent_decides(self, data: st.DataObject, outcome: str) -> None:
            d = self._dispute(data)
            o = self.model.orders[d.order_id]
            amount = {"full_refund": o.refundable, "no_refund": 0}.get(outcome, 1000)
            ok = d.status == "escalated" and (outcome != "partial_refund" or
                                              0 < amount < o.refundable)  # fmt: skip
            body = {"outcome": outcome, "rationale": "looked at it"}
            if outcome == "partial_refund":
                body["refund_amount"] = money(amount)
            self._send(self.agent["api_key"], f"/v1/disputes/{d.id}/decision", body, ok)
            if ok:
                self.model.settle(d, amount)

        @precondition(lambda self: self.model.disputes)
        @rule(data=st.data(), action=st.sampled_from(["accept", "withdraw", "escalate"]))
        def stranger_acts_on_a_dispute(self, data: st.DataObject, action: str) -> None:
            d = self._dispute(data)
            key = self._stranger_key(self.model.orders[d.order_id], data)
            self._send(key, f"/v1/disputes/{d.id}/{action}", {}, False, (404,))

        # --- time --------------------------------------------------------------------------

        @rule(jump=st.sampled_from(JUMPS))
        def time_passes(self, jump: timedelta) -> None:
            Tally.steps += 1
            hours = int(jump.total_seconds() // 3600)
            answer = self.api.post("/v1/sandbox/clock/advance", {"hours": hours})
            assert answer.status_code == 200, answer.text
            self.model.advance(self.model.now + jump)
            self.advanced_to = self.model.now
            with self.rt.engine.connect() as conn:
                last = conn.execute(sa.select(sa.func.max(t.timers.c.id))).scalar()
            self.timers_then = int(last or 0)

        # --- helpers -----------------------------------------------------------------------

        def _key(self, o: MOrder, who: str, data: st.DataObject) -> str:
            if who == "stranger":
                return self._stranger_key(o, data)
            return (self.buyers[o.buyer] if who == "buyer" else self.sellers[o.seller])["api_key"]

        @staticmethod
        def _refusals(who: str) -> tuple[int, ...]:
            return (404,) if who == "stranger" else (403, 409, 422)

        # --- after every step ----------------------------------------------------------------

        @invariant()
        def the_books_hold(self) -> None:
            assert_ledger_invariants(self.rt.engine)

        @invariant()
        def the_api_matches_the_model(self) -> None:
            for o in self.model.orders.values():
                got = self.api.order(o.id)
                amounts, deadlines = got["amounts"], got["deadlines"]
                assert got["status"] == o.status, (o, got)
                assert (cents(amounts["paid"]), cents(amounts["refunded"])) == (o.paid, o.refunded)
                assert got["dispute_id"] == o.dispute, (o, got)
                assert cents(amounts["refunded"]) <= cents(amounts["paid"])  # type: ignore[operator]
                assert when(deadlines["pay_by"]) == o.pay_by
                if o.shipped_at is not None:
                    assert when(deadlines["delivery_deadline"]) == o.delivery_deadline, (o, got)
                    assert when(deadlines["dispute_opens_at"]) == o.dispute_opens_at, (o, got)
                    assert when(deadlines["dispute_closes_at"]) == o.dispute_closes_at, (o, got)
            for d in self.model.disputes.values():
                got = self.api.get(f"/v1/disputes/{d.id}").json()
                assert (got["status"], got["outcome"]) == (d.status, d.outcome), (d, got)
                assert cents(got["refund_amount"]) == d.refund_amount, (d, got)

        @invariant()
        def every_due_timer_fired_once(self) -> None:
            with self.rt.engine.connect() as conn:
                overdue = conn.execute(
                    sa.select(sa.func.count()).select_from(t.timers)
                    .where(t.timers.c.due_at <= self.advanced_to, t.timers.c.fired_at.is_(None),
                           t.timers.c.id <= self.timers_then)
                ).scalar_one()  # fmt: skip
                repeated = conn.execute(
                    sa.select(t.events.c.type, t.events.c.subject_id)
                    .where(t.events.c.type.in_(ONCE_PER_SUBJECT))
                    .group_by(t.events.c.type, t.events.c.subject_id)
                    .having(sa.func.count() > 1)
                ).all()  # fmt: skip
                released = conn.execute(
                    sa.select(t.journal_entries.c.order_id)
                    .where(t.journal_entries.c.kind == "funds_released")
                    .group_by(t.journal_entries.c.order_id)
                    .having(sa.func.count() > 1)
                ).all()  # fmt: skip
            assert overdue == 0, f"{overdue} timers are due and have not fired"
            assert repeated == [], f"happened more than once: {repeated}"
            assert released == [], f"released twice: {released}"

    return Marketplace


def test_the_api_follows_the_model(database_url: str, tmp_path: Path,
                                   request: pytest.FixtureRequest) -> None:  # fmt: skip
    chosen = os.environ.get("REFUNDKIT_MODEL_SEED")
    run_seed = int(chosen) if chosen else random.randrange(2**32)
    print(f"model-based test seed: {run_seed} (replay with REFUNDKIT_MODEL_SEED={run_seed})")
    postgres = database_url.startswith("postgresql")
    made = iter(range(10**6))

    def fresh_database() -> str:
        if not postgres:
            path = tmp_path / f"model-{next(made)}.sqlite3"
            path.write_bytes(Path(request.getfixturevalue("sqlite_template")).read_bytes())
            return f"sqlite:///{path}"
        engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            names = ", ".join(tbl.name for tbl in t.metadata.sorted_tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
        engine.dispose()
        return database_url

    examples = size(6, 150) if not postgres else size(2, 40)
    steps = size(20, 60)
    Tally.steps = Tally.refused = Tally.examples = 0
    factory = seed(run_seed)(machine_for(fresh_database))
    run_state_machine_as_test(
        factory,
        settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None,
                          database=None, derandomize=False,
                          suppress_health_check=list(HealthCheck)),
    )  # fmt: skip
    record("model_based", database="postgresql" if postgres else "sqlite", seed=run_seed,
           examples=Tally.examples, steps=Tally.steps, refused_steps=Tally.refused)  # fmt: skip
